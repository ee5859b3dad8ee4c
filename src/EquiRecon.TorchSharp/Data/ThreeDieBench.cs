using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Data;

/// <summary>3DIEBench images with their per-image latents (see <see cref="ThreeDieBench"/>).</summary>
/// <param name="Dataset">uint8 images <c>(N, 3, S, S)</c>, labels = synset (class) index.</param>
/// <param name="Latents">float32 <c>(N, L)</c>, one row per image (3DIEBench: L = 7 — three rotation angles, floor hue, spotlight θ, φ, spotlight hue).</param>
public sealed record ThreeDieBenchData(ImageDataset Dataset, Tensor Latents);

/// <summary>
/// Reader of the 3DIEBench layout (Garrido et al., SIE; 17 GB, not shipped): <c>root/&lt;synset&gt;/&lt;object&gt;/image_&lt;k&gt;.jpg</c>
/// with <c>latent_&lt;k&gt;.npy</c> beside each image. Classes are the synset folders (ordinal order); objects and
/// views are read in ordinal order.
/// </summary>
public static class ThreeDieBench
{
    /// <summary>Reads images and latents below <paramref name="root"/>.</summary>
    /// <param name="root">The dataset root (the folder holding the synset folders).</param>
    /// <param name="imageSize">Resize (shorter side) and centre-crop to this size; 3DIEBench images are 256 px.</param>
    /// <param name="limitObjectsPerClass">At most this many objects per synset (null: all).</param>
    /// <param name="maxDegreeOfParallelism">Decoding threads; null for the processor count.</param>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No synsets or images, an image without its latent, latents of different lengths; the message names the file.</exception>
    public static ThreeDieBenchData Read(string root, int imageSize = 64, int? limitObjectsPerClass = null, int? maxDegreeOfParallelism = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"3DIEBench root '{root}' does not exist. Expected root/<synset>/<object>/image_<k>.jpg with latent_<k>.npy beside each image.");
        var synsets = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        var files = new List<(string Path, int Label)>();
        var latents = new List<double[]>();
        for (var label = 0; label < synsets.Length; label++)
        {
            var objects = Directory.GetDirectories(synsets[label]).Order(StringComparer.Ordinal).Take(limitObjectsPerClass ?? int.MaxValue);
            foreach (var obj in objects)
            {
                foreach (var image in Directory.GetFiles(obj, "image_*.jpg").Order(StringComparer.Ordinal))
                {
                    var view = Path.GetFileNameWithoutExtension(image)["image_".Length..];
                    var latentPath = Path.Combine(obj, $"latent_{view}.npy");
                    if (!File.Exists(latentPath))
                        throw new InvalidDataException($"Image '{image}' has no latent file '{latentPath}'.");
                    var (values, _) = NpyFile.ReadDoubles(latentPath);
                    if (latents.Count > 0 && values.Length != latents[0].Length)
                        throw new InvalidDataException($"Latent '{latentPath}' has {values.Length} values; earlier latents have {latents[0].Length}.");
                    files.Add((image, label));
                    latents.Add(values);
                }
            }
        }
        if (files.Count == 0)
            throw new InvalidDataException($"3DIEBench root '{root}' holds no images. Expected root/<synset>/<object>/image_<k>.jpg with latent_<k>.npy beside each image.");
        var dataset = ImageFolder.Decode(files, synsets.Select(s => Path.GetFileName(s)).ToArray(), imageSize, maxDegreeOfParallelism, root);
        var flat = latents.SelectMany(v => v).Select(v => (float)v).ToArray();
        return new ThreeDieBenchData(dataset, tensor(flat).reshape(latents.Count, latents[0].Length));
    }
}
