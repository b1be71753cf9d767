// Pins every quantized format's size and offset constants to ggml's block structs (BlockLayouts) and to GgmlTypeInfo.
using System.Runtime.CompilerServices;
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class BlockLayoutTests
{
    [Fact]
    public void LegacyBlocks_MatchGgmlStructs()
    {
        BlockQ4_0 q4_0;
        AssertSize<BlockQ4_0>(GgmlType.Q4_0, Q4_0Block.BlockBytes);
        Assert.Equal(Q4_0Block.QuantsOffset, Offset(&q4_0, q4_0.Qs));

        BlockQ4_1 q4_1;
        AssertSize<BlockQ4_1>(GgmlType.Q4_1, Q4_1Block.BlockBytes);
        Assert.Equal(Q4_1Block.Kernel.MinOffset, Offset(&q4_1, &q4_1.M));
        Assert.Equal(Q4_1Block.QuantsOffset, Offset(&q4_1, q4_1.Qs));

        BlockQ5_0 q5_0;
        AssertSize<BlockQ5_0>(GgmlType.Q5_0, Q5_0Block.BlockBytes);
        Assert.Equal(Q5_0Block.QhOffset, Offset(&q5_0, q5_0.Qh));
        Assert.Equal(Q5_0Block.QsOffset, Offset(&q5_0, q5_0.Qs));

        BlockQ5_1 q5_1;
        AssertSize<BlockQ5_1>(GgmlType.Q5_1, Q5_1Block.BlockBytes);
        Assert.Equal(Q5_1Block.Kernel.MinOffset, Offset(&q5_1, &q5_1.M));
        Assert.Equal(Q5_1Block.QhOffset, Offset(&q5_1, q5_1.Qh));
        Assert.Equal(Q5_1Block.QsOffset, Offset(&q5_1, q5_1.Qs));

        BlockQ8_0 q8_0;
        AssertSize<BlockQ8_0>(GgmlType.Q8_0, Q8_0Block.BlockBytes);
        Assert.Equal(Q8_0Block.Kernel.QuantsOffset, Offset(&q8_0, q8_0.Qs));

        BlockQ8_1 q8_1;
        AssertSize<BlockQ8_1>(GgmlType.Q8_1, Q8_1Block.BlockBytes);
        Assert.Equal(Q8_1Block.Kernel.SumOffset, Offset(&q8_1, &q8_1.S));
        Assert.Equal(Q8_1Block.Kernel.QuantsOffset, Offset(&q8_1, q8_1.Qs));
    }

    [Fact]
    public void KQuantBlocks_MatchGgmlStructs()
    {
        BlockQ2K q2;
        AssertSize<BlockQ2K>(GgmlType.Q2_K, Q2KBlock.BlockBytes);
        Assert.Equal(Q2KBlock.QuantsOffset, Offset(&q2, q2.Qs));
        Assert.Equal(Q2KBlock.DeltaOffset, Offset(&q2, &q2.D));
        Assert.Equal(Q2KBlock.MinOffset, Offset(&q2, &q2.DMin));

        BlockQ3K q3;
        AssertSize<BlockQ3K>(GgmlType.Q3_K, Q3KBlock.BlockBytes);
        Assert.Equal(Q3KBlock.QuantsOffset, Offset(&q3, q3.Qs));
        Assert.Equal(Q3KBlock.ScalesOffset, Offset(&q3, q3.Scales));
        Assert.Equal(Q3KBlock.DeltaOffset, Offset(&q3, &q3.D));

        BlockQ4K q4;
        AssertSize<BlockQ4K>(GgmlType.Q4_K, Q4KBlock.BlockBytes);
        Assert.Equal(2, Offset(&q4, &q4.DMin));
        Assert.Equal(Q4KBlock.ScalesOffset, Offset(&q4, q4.Scales));
        Assert.Equal(Q4KBlock.QuantsOffset, Offset(&q4, q4.Qs));

        BlockQ5K q5;
        AssertSize<BlockQ5K>(GgmlType.Q5_K, Q5KBlock.BlockBytes);
        Assert.Equal(Q5KBlock.ScalesOffset, Offset(&q5, q5.Scales));
        Assert.Equal(Q5KBlock.HighOffset, Offset(&q5, q5.Qh));
        Assert.Equal(Q5KBlock.QuantsOffset, Offset(&q5, q5.Qs));

        BlockQ6K q6;
        AssertSize<BlockQ6K>(GgmlType.Q6_K, Q6KBlock.BlockBytes);
        Assert.Equal(Q6KBlock.HighOffset, Offset(&q6, q6.Qh));
        Assert.Equal(Q6KBlock.ScalesOffset, Offset(&q6, q6.Scales));
        Assert.Equal(Q6KBlock.DeltaOffset, Offset(&q6, &q6.D));

        BlockQ8K q8;
        AssertSize<BlockQ8K>(GgmlType.Q8_K, Q8KBlock.BlockBytes);
        Assert.Equal(Q8KBlock.QuantsOffset, Offset(&q8, q8.Qs));
        Assert.Equal(Q8KBlock.SumsOffset, Offset(&q8, q8.BSums));
    }

    [Fact]
    public void BlockElementCounts_AreGgmls()
    {
        foreach (GgmlType type in new[] { GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q8_1 })
            Assert.Equal(32, GgmlTypeInfo.BlockSize(type));
        foreach (GgmlType type in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K })
            Assert.Equal(256, GgmlTypeInfo.BlockSize(type));
    }

    private static void AssertSize<TBlock>(GgmlType type, int formatBlockBytes)
        where TBlock : unmanaged
    {
        Assert.Equal(sizeof(TBlock), formatBlockBytes);
        Assert.Equal(sizeof(TBlock), GgmlTypeInfo.BlockBytes(type));
        Assert.Equal(sizeof(TBlock), Unsafe.SizeOf<TBlock>());
    }

    private static int Offset<TBlock, TField>(TBlock* block, TField* field)
        where TBlock : unmanaged
        where TField : unmanaged => (int)((byte*)field - (byte*)block);
}
