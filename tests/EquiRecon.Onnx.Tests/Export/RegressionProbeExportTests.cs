using EquiRecon.TorchSharp.Evaluation;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;

namespace EquiRecon.Onnx.Tests.Export;

public sealed class RegressionProbeExportTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_exported_probe_head_predicts_like_RegressionProbeModel(bool batchNorm)
    {
        const int d = 40, hidden = 16, k = 3, n = 64;
        torch.manual_seed(11);
        using var probe = new RegressionProbeModel(d, hidden, k, batchNorm);
        using (torch.no_grad())
        {
            foreach (var (name, t) in probe.state_dict())
            {
                if (name.EndsWith("_std", StringComparison.Ordinal) || name.EndsWith("running_var", StringComparison.Ordinal))
                    t.copy_(torch.rand_like(t) + 0.5);
                else if (name.EndsWith("_mean", StringComparison.Ordinal) || name.EndsWith("running_mean", StringComparison.Ordinal) || (name.Contains(".bn", StringComparison.Ordinal) && t.dtype == torch.float32))
                    t.copy_(torch.randn_like(t) * 0.3 + (name.EndsWith(".weight", StringComparison.Ordinal) ? 1 : 0));
            }
        }
        probe.eval();
        using var features = torch.randn(n, d) * 2 + 1;
        var expected = probe.call(features).contiguous().data<float>().ToArray();

        var onnx = OnnxExport.ExportRegressionProbeToBytes(probe.ToBytes());
        using var session = new InferenceSession(onnx);
        var input = new DenseTensor<float>(features.contiguous().data<float>().ToArray(), [n, d]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.ProbeInputName, input)]);
        var actual = results.Single(r => r.Name == OnnxExport.ProbeOutputName).AsTensor<float>().ToArray();
        OnnxTestModels.WorstRelative(actual, expected, n).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void Bytes_that_are_no_probe_are_refused()
    {
        var act = () => OnnxExport.ExportRegressionProbeToBytes(new byte[30], "probe x");
        act.Should().Throw<FormatException>().WithMessage("probe x: *not a regression probe*");
        using var probe = new RegressionProbeModel(4, 3, 2);
        var bytes = probe.ToBytes();
        var truncated = () => OnnxExport.ExportRegressionProbeToBytes(bytes[..^8]);
        truncated.Should().Throw<FormatException>().WithMessage("*truncated*");
    }
}
