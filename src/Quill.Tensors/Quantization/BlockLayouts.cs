// ggml's block structs (ggml-common.h) field for field, so every format's size and offset constants are checked against one typed layout.
using System.Runtime.InteropServices;

namespace Quill.Tensors.Quantization;

// The kernels address blocks through byte pointers and the formats' offset constants (BlockBytes, QuantsOffset, ...);
// these structs are the typed statement of the same layouts, with C's natural alignment as ggml compiles them.
// BlockLayoutTests asserts sizeof of each equals its format's BlockBytes and GgmlTypeInfo.BlockBytes, and every
// field offset equals the constant the kernels use: ggml's static_assert(sizeof(block_q4_K) == ...) in C# form.
// fp16 fields are ushort bit patterns (ggml_half), read through Fp16Bits.

/// <summary>ggml's block_q4_0: 32 weights, d · (q − 8), nibbles low half first.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ4_0
{
    public ushort D;
    public fixed byte Qs[16];
}

/// <summary>ggml's block_q4_1: 32 weights, d · q + m.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ4_1
{
    public ushort D;
    public ushort M;
    public fixed byte Qs[16];
}

/// <summary>ggml's block_q5_0: 32 weights, d · (q − 16) with the fifth bits in qh.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ5_0
{
    public ushort D;
    public fixed byte Qh[4];
    public fixed byte Qs[16];
}

/// <summary>ggml's block_q5_1: 32 weights, d · q + m with the fifth bits in qh.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ5_1
{
    public ushort D;
    public ushort M;
    public fixed byte Qh[4];
    public fixed byte Qs[16];
}

/// <summary>ggml's block_q8_0: 32 weights, d · q with q an int8.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ8_0
{
    public ushort D;
    public fixed sbyte Qs[32];
}

/// <summary>ggml's block_q8_1: block_q8_0 plus s = d · Σq (activations of the formats with a minimum).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ8_1
{
    public ushort D;
    public ushort S;
    public fixed sbyte Qs[32];
}

/// <summary>ggml's block_q2_K: 16 sub-blocks of 16, 4-bit scale and min per sub-block, 2-bit quants.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ2K
{
    public fixed byte Scales[16];
    public fixed byte Qs[64];
    public ushort D;
    public ushort DMin;
}

/// <summary>ggml's block_q3_K: high bits in hmask, 2 low bits in qs, sixteen 6-bit scales in 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ3K
{
    public fixed byte HMask[32];
    public fixed byte Qs[64];
    public fixed byte Scales[12];
    public ushort D;
}

/// <summary>ggml's block_q4_K: eight sub-blocks of 32, 6-bit scales and mins in 12 bytes, 4-bit quants.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ4K
{
    public ushort D;
    public ushort DMin;
    public fixed byte Scales[12];
    public fixed byte Qs[128];
}

/// <summary>ggml's block_q5_K: block_q4_K with the fifth bits of all 256 quants in qh.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ5K
{
    public ushort D;
    public ushort DMin;
    public fixed byte Scales[12];
    public fixed byte Qh[32];
    public fixed byte Qs[128];
}

/// <summary>ggml's block_q6_K: 4 low bits in ql, 2 high bits in qh, sixteen int8 scales, one fp16 d.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ6K
{
    public fixed byte Ql[128];
    public fixed byte Qh[64];
    public fixed sbyte Scales[16];
    public ushort D;
}

/// <summary>ggml's block_q8_K (K-quant activations): a float d, 256 int8 quants and the sums of each 16.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockQ8K
{
    public float D;
    public fixed sbyte Qs[256];
    public fixed short BSums[16];
}
