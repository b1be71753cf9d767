// One adapter, three ways: the training model with it attached, the inference engine on the merged GGUF, and the
// inference engine applying the adapter file to the untouched base at run time.
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Training.Lora;
using static Quill.Training.Tests.Lora.LoraTestModels;

namespace Quill.Training.Tests.Lora;

public sealed class LoraEquivalenceTests : IDisposable
{
    // The training and inference engines sum in different orders; the bound LlamaTrainingGgufTests uses.
    private const float F32Tolerance = 2e-3f;

    // Merged weights rounded to F16 once.
    private const float F16Tolerance = 1e-2f;

    // A Q8_0 base in the inference engine (quantized activations) against its dequantized F32 masters in training.
    private const double Q8RelativeTolerance = 0.02;

    // The adapter must move the logits far more than any tolerance above, or the comparisons prove nothing.
    private const float MinimumAdapterEffect = 0.05f;

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-eq-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SaveAdapter(string basePath, IReadOnlyCollection<string>? targets = null)
    {
        string path = Path.Combine(_folder, "adapter.gguf");
        using var source = GgufFile.Open(basePath);
        LoraAdapterFile.Save(WithRandomLora(basePath, targets), path, source);
        return path;
    }

    [Theory]
    [InlineData("q,k,v,o,gate,up,down")]
    [InlineData("v,down")]
    public void TrainingMergedAndRuntimeAdapterAgree(string targets)
    {
        string basePath = WriteBase(_folder);
        var trained = WithRandomLora(basePath, targets.Split(','));
        string adapter = SaveAdapter(basePath, targets.Split(','));
        string merged = Path.Combine(_folder, "merged.gguf");
        LoraMerge.Merge(basePath, adapter, merged);

        var training = TrainingLogits(trained);
        var mergedLogits = InferenceLogits(merged);
        var runtime = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter)] });

        Assert.True(MaxDifference(training, InferenceLogits(basePath)) > MinimumAdapterEffect, "the adapter should change the logits");
        Assert.True(MaxDifference(training, mergedLogits) < F32Tolerance, $"merged: {MaxDifference(training, mergedLogits)}");
        Assert.True(MaxDifference(training, runtime) < F32Tolerance, $"runtime: {MaxDifference(training, runtime)}");
    }

    [Fact]
    public void MergedAsF16StaysClose()
    {
        string basePath = WriteBase(_folder);
        string adapter = SaveAdapter(basePath);
        string merged = Path.Combine(_folder, "merged-f16.gguf");
        LoraMerge.Merge(basePath, adapter, merged, GgmlType.F16);

        using (var file = GgufFile.Open(merged)) Assert.Equal(GgmlType.F16, file.GetTensor("blk.0.attn_q.weight").Type);
        var runtime = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter)] });
        Assert.True(MaxDifference(runtime, InferenceLogits(merged)) < F16Tolerance);
    }

    [Fact]
    public void QuantizedBaseTakesTheAdapterAtRunTime()
    {
        string basePath = WriteBase(_folder, GgmlType.Q8_0);
        var training = TrainingLogits(WithRandomLora(basePath));
        string adapter = SaveAdapter(basePath);

        var runtime = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter)] });
        var plain = InferenceLogits(basePath);

        double diff = 0, norm = 0;
        for (int i = 0; i < training.Length; i++) { diff += Math.Pow(training[i] - runtime[i], 2); norm += Math.Pow(training[i], 2); }
        Assert.True(Math.Sqrt(diff / norm) < Q8RelativeTolerance, $"relative error {Math.Sqrt(diff / norm)}");
        Assert.True(MaxDifference(runtime, plain) > MinimumAdapterEffect);
    }

    [Fact]
    public void MergingOntoAQuantizedBaseMatchesTheRuntimeAdapter()
    {
        string basePath = WriteBase(_folder, GgmlType.Q8_0);
        string adapter = SaveAdapter(basePath);
        string merged = Path.Combine(_folder, "merged-from-q8.gguf");
        LoraMerge.Merge(basePath, adapter, merged);

        var runtime = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter)] });
        var mergedLogits = InferenceLogits(merged);
        double diff = 0, norm = 0;
        for (int i = 0; i < runtime.Length; i++) { diff += Math.Pow(runtime[i] - mergedLogits[i], 2); norm += Math.Pow(runtime[i], 2); }
        Assert.True(Math.Sqrt(diff / norm) < Q8RelativeTolerance, $"relative error {Math.Sqrt(diff / norm)}");
    }

    [Fact]
    public void NonFiniteScaleIsRefused()
    {
        string basePath = WriteBase(_folder);
        string adapter = SaveAdapter(basePath);
        Assert.Throws<ArgumentException>(() => InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter, float.NaN)] }));
    }

    [Fact]
    public void ScaleZeroLeavesTheBaseAndTwoHalvesMakeOneWhole()
    {
        string basePath = WriteBase(_folder);
        string adapter = SaveAdapter(basePath);

        var zero = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter, 0f)] });
        var whole = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter)] });
        var halves = InferenceLogits(basePath, new LoadOptions { LoraAdapters = [new LoraAdapterOption(adapter, 0.5f), new LoraAdapterOption(adapter, 0.5f)] });

        Assert.Equal(InferenceLogits(basePath), zero);
        Assert.True(MaxDifference(whole, halves) < F32Tolerance);
    }
}
