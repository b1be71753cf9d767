// Every half's float in one 256 KB table: two loads widen a scattered block scale exactly, where a vector widening of four
// halves from four places costs more than the block's integer work.
using System.Runtime.InteropServices;

namespace Quill.Tensors.Quantization;

/// <summary><see cref="Values"/>[h] = <see cref="Fp16Bits.ToSingle(ushort)"/>(h) for every 16-bit h; built on first use, kept for the process.</summary>
internal static unsafe class Fp16Table
{
    public static readonly float* Values = Build();

    private static float* Build()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int h = 0; h < 65536; h++) table[h] = Fp16Bits.ToSingle((ushort)h);
        return table;
    }
}
