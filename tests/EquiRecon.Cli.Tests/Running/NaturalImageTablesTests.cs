using System.Globalization;
using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Tests.Running;

/// <summary>
/// The natural-image tables end to end on the <c>smoke</c> budget, on small synthetic folders: the importer reads ML.NET's
/// real ResNet18.onnx (copied to the test output by the package download), three rows continue from it.
/// </summary>
public sealed class NaturalImageTablesTests
{
    private static string Models => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    [Fact]
    public void The_imagenette_and_transfer_tables_run_on_the_smoke_budget_and_report_every_row_part_and_set()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("imagenette"), trainPerClass: 30, testPerClass: 12);
        var imagenette = dir.Sub("imagenette-out");

        var (code, output, error) = Cli.Run("reproduce", "--table", "imagenette", "--budget", "smoke", "--data", data,
            "--out", imagenette, "--onnx", Models, "--threads", "1");
        error.Should().BeEmpty();
        code.Should().Be(0, output);

        var csv = File.ReadAllLines(Path.Combine(imagenette, "results.csv"));
        csv[0].Should().StartWith("method,seed,part,rot_r2,color_r2,blur_r2,trans_r2,crop_r2,flip_r2,top1,");
        var lines = csv.Skip(1).Select(l => l.Split(',')).ToArray();
        lines.Select(l => (l[0], l[2])).Should().BeEquivalentTo(
            NaturalImageTables.ImagenetteRows.SelectMany(r => new[] { (r, "all"), (r, "invariant"), (r, "equivariant") }));
        // Smoke numbers mean nothing (a 64-wide probe fitted for 3 epochs on 40 pairs can score far below 0), but every
        // cell is a number: R² at most 1, top-1 in [0, 1].
        foreach (var l in lines)
        {
            l.Skip(3).Take(6).Should().AllSatisfy(v => double.Parse(v, CultureInfo.InvariantCulture).Should().Match(r => double.IsFinite(r) && r <= 1));
            double.Parse(l[9], CultureInfo.InvariantCulture).Should().BeInRange(0, 1);
        }
        var report = File.ReadAllText(Path.Combine(imagenette, "report.md"));
        report.Should().Contain("invariant half vs equivariant half").And.Contain("Equivariant minus invariant").And.Contain("ImageNet classes");

        var backbone = ModelFile.ReadManifest(Path.Combine(imagenette, NaturalImageRunner.BackboneFile));
        backbone.Method.Should().Be("imported");
        backbone.InputSize.Should().Be(NaturalImageBudgets.Smoke.ImageSize);
        foreach (var method in new[] { "vicreg", "sie-all", "equirecon" })
        {
            var manifest = ModelFile.ReadManifest(Path.Combine(NaturalImageRunner.RowDir(imagenette, method, 0), "model.equirecon"));
            manifest.Method.Should().Be(method);
            manifest.Provenance["frozen_stages"].Should().Be(NaturalImageBudgets.Smoke.FrozenStages.ToString(CultureInfo.InvariantCulture));
            manifest.Provenance["init_from"].Should().Contain(backbone.WeightsSha256);
            manifest.Mean.Should().Equal(backbone.Mean);
            manifest.Std.Should().Equal(backbone.Std);
        }

        // Transfer: the same encoders on three classification sets and a CamVid folder.
        var root = dir.Sub("data");
        TinyData.WriteSplits(Path.Combine(root, NaturalImageTables.TransferData.Imagenette), trainPerClass: 24, testPerClass: 12);
        TinyData.WriteSplits(Path.Combine(root, NaturalImageTables.TransferData.Dtd), trainPerClass: 24, testPerClass: 12);
        TinyData.WriteSplits(Path.Combine(root, NaturalImageTables.TransferData.Cifar10), trainPerClass: 24, testPerClass: 12);
        CamVidTransferTests.WriteCamVid(Path.Combine(root, NaturalImageTables.TransferData.CamVid), train: 4, test: 2);
        var transfer = dir.Sub("transfer-out");
        (code, output, error) = Cli.Run("reproduce", "--table", "transfer", "--budget", "smoke", "--data", root,
            "--out", transfer, "--encoders-from", imagenette, "--methods", "imported,equirecon", "--threads", "1");
        error.Should().BeEmpty();
        code.Should().Be(0, output);
        var rows = File.ReadAllLines(Path.Combine(transfer, "results.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        rows.Select(r => r[0]).Should().Equal("imported", "equirecon");
        var header = File.ReadAllLines(Path.Combine(transfer, "results.csv"))[0].Split(',');
        foreach (var column in new[] { "imagenette_top1", "dtd10_top1", "cifar10_top1", "camvid_miou" })
            rows.Should().AllSatisfy(r => double.Parse(r[Array.IndexOf(header, column)], CultureInfo.InvariantCulture).Should().BeInRange(0, 1));
        File.ReadAllText(Path.Combine(transfer, "report.md")).Should().Contain("camvid mIoU");
    }

    [Fact]
    public void Transfer_without_an_imagenette_run_and_unknown_rows_are_refused_naming_the_option()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("reproduce", "--table", "transfer", "--budget", "smoke", "--data", dir.Path, "--out", dir.Sub("out"));
        code.Should().NotBe(0);
        error.Should().Contain("--encoders-from");

        (code, _, error) = Cli.Run("reproduce", "--table", "imagenette", "--budget", "smoke", "--data", dir.Path, "--out", dir.Sub("out2"), "--methods", "sie-rot");
        code.Should().NotBe(0);
        error.Should().Contain("--methods").And.Contain("sie-rot");
    }

    [Fact]
    public void The_hold_out_is_class_balanced_disjoint_and_seeded()
    {
        using var dir = new TempDir();
        using var data = EquiRecon.TorchSharp.Data.ImageFolder.Read(TinyData.WriteImageFolder(dir.Sub("f"), perClass: 20), imageSize: 16);
        var (held, others) = NaturalImageRunner.HoldOut(data, 10, seed: 0);
        held.Should().HaveCount(10).And.OnlyHaveUniqueItems();
        held.Intersect(others).Should().BeEmpty();
        (held.Length + others.Length).Should().Be(data.Count);
        var labels = data.Labels.data<long>().ToArray();
        held.Count(i => labels[i] == 0).Should().Be(5);
        NaturalImageRunner.HoldOut(data, 10, seed: 0).HeldOut.Should().Equal(held);
        NaturalImageRunner.HoldOut(data, 10, seed: 1).HeldOut.Should().NotEqual(held);
    }
}
