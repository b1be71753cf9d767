// The K-quant row dots against the real ggml's x86 kernels (ggml_vec_dot_*_q8_K of LLamaSharp's AVX2 build), bit for bit,
// and Q4_K's AVX-512 dot against its pair-order reference; not the scalar-reference comparison (KQuantTests).
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class KQuantNativeX86Tests
{
    public static TheoryData<string, int> FormatsAndBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (KFormat format in KQuantTestData.All)
            foreach (int blocks in new[] { 1, 2, 31, 33, 256 })
                data.Add(format.Name, blocks);
        return data;
    }

    [Theory, MemberData(nameof(FormatsAndBlocks))]
    public void RowDotMatchesGgmlX86(string name, int blocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        KFormat format = KQuantTestData.ByName(name);
        byte[] weights = KQuantTestData.RandomBlocks(format, blocks, seed: 3 * blocks + 1);
        int parted = 0;
        for (int trial = 0; trial < 32; trial++)
        {
            byte[] activations = KQuantTestData.RandomActivations(blocks, seed: 100 * trial + blocks);
            float expected = KNativeGgml.DotX86(format.GgmlName, "q8_K", weights, activations, blocks * 256);
            foreach (SimdWidth level in new[] { SimdWidth.Vector256, SimdCapability.Best })
            {
                // Q4_K with AVX-512 follows llama.cpp's repacked GEMM instead (its reference is checked against llama.cpp's
                // prompt logits in LlamaDifferentialTests).
                float wanted = name == "Q4_K" && level == SimdWidth.Vector512 ? PairOrder(weights, activations, blocks) : expected;
                float actual = format.Dot(weights, activations, level);
                if (BitConverter.SingleToInt32Bits(actual) != BitConverter.SingleToInt32Bits(wanted))
                {
                    parted++;
                    Console.WriteLine($"{name} blocks {blocks} trial {trial} {level}: expected {wanted:R}, Quill {actual:R}");
                }
            }
        }
        Assert.Equal(0, parted);
    }

    private static unsafe float PairOrder(byte[] weights, byte[] activations, int blocks)
    {
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        {
            return Q4KBlock.DotPairOrderReference(w, a, blocks);
        }
    }
}
