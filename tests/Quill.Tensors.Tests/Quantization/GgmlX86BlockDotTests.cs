// The AVX2 block dot in ggml-cpu's x86 order against its scalar reference, bit for bit; not the ggml comparison (LegacyNativeTests).
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class GgmlX86BlockDotTests
{
    private delegate float BlockDotAt(byte* w, byte* a, int blocks);

    private sealed record Kernels(BlockFormatCase Format, BlockDotAt Run, BlockDotAt Reference);

    private static readonly Kernels[] All =
    [
        new(BlockFormatCase.Get("Q8_0"), GgmlX86BlockDot.Run<Q8_0Block.Kernel, Q8_0Block.Kernel>, GgmlX86BlockDot.Reference<Q8_0Block.Kernel,
            Q8_0Block.Kernel>),
        new(BlockFormatCase.Get("Q4_0"), GgmlX86BlockDot.Run<Q4_0Block.Kernel, Q8_0Block.Kernel>, GgmlX86BlockDot.Reference<Q4_0Block.Kernel,
            Q8_0Block.Kernel>),
        new(BlockFormatCase.Get("Q4_1"), GgmlX86BlockDot.Run<Q4_1Block.Kernel, Q8_1Block.Kernel>, GgmlX86BlockDot.Reference<Q4_1Block.Kernel,
            Q8_1Block.Kernel>),
        new(BlockFormatCase.Get("Q5_0"), GgmlX86BlockDot.Run<Q5_0Block.Kernel, Q8_0Block.Kernel>, GgmlX86BlockDot.Reference<Q5_0Block.Kernel,
            Q8_0Block.Kernel>),
        new(BlockFormatCase.Get("Q5_1"), GgmlX86BlockDot.Run<Q5_1Block.Kernel, Q8_1Block.Kernel>, GgmlX86BlockDot.Reference<Q5_1Block.Kernel,
            Q8_1Block.Kernel>),
    ];

    public static TheoryData<string, int> FormatsAndBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (Kernels k in All)
            foreach (int blocks in new[] { 0, 1, 31, 33, 256, 4097 })
                data.Add(k.Format.Name, blocks);
        return data;
    }

    [Theory, MemberData(nameof(FormatsAndBlocks))]
    public void RunEqualsReferenceBitForBit(string name, int blocks)
    {
        Kernels k = All.Single(x => x.Format.Name == name);
        (byte[] weights, byte[] activations) = Rows(k.Format, blocks, seed: blocks + 7);
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        {
            float reference = k.Reference(w, a, blocks);
            if (GgmlX86BlockDot.IsSupported)
                Assert.Equal(BitConverter.SingleToInt32Bits(reference), BitConverter.SingleToInt32Bits(k.Run(w, a, blocks)));
            // The reference is the same sum as the format's generic-order DotReference, up to float order.
            float generic = k.Format.DotReference(weights, activations);
            Assert.Equal(generic, reference, Math.Abs(generic) * QuantTolerances.DotRelative + 1e-3f);
        }
    }

    [Theory, MemberData(nameof(FormatsAndBlocks))]
    public void FormatDotUsesTheX86OrderOnAvx2(string name, int blocks)
    {
        if (!GgmlX86BlockDot.IsSupported) return;
        Kernels k = All.Single(x => x.Format.Name == name);
        (byte[] weights, byte[] activations) = Rows(k.Format, blocks, seed: blocks + 11);
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        {
            Assert.Equal(k.Reference(w, a, blocks), k.Format.Dot(weights, activations, Simd.SimdCapability.Best));
        }
    }

    private static (byte[] Weights, byte[] Activations) Rows(BlockFormatCase format, int blocks, int seed)
    {
        var weights = new byte[blocks * format.BlockBytes];
        var activations = new byte[blocks * format.ActivationBlockBytes];
        format.QuantizeReference(QuantTestData.Floats(blocks * 32, seed), weights);
        format.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed + 1), activations);
        return (weights, activations);
    }
}
