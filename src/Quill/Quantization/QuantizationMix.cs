// The file types `quill quantize` writes, by llama.cpp's names and numbers (llama_ftype): each a default tensor type and a mix rule.
using Quill.Tensors;

namespace Quill.Quantization;

/// <summary>
/// One of llama.cpp's file types (<c>LLAMA_FTYPE_MOSTLY_*</c>): its name as llama-quantize spells it, the number written
/// to <c>general.file_type</c>, and the type most matrices get (<c>llama_ftype_get_default_type</c>). Which tensors get
/// another type is <see cref="TensorTypePlanner"/>'s business.
/// </summary>
public sealed record QuantizationMix(string Name, uint FileType, GgmlType DefaultType)
{
    public static readonly QuantizationMix F32 = new("F32", 0, GgmlType.F32);
    public static readonly QuantizationMix F16 = new("F16", 1, GgmlType.F16);
    public static readonly QuantizationMix Q4_0 = new("Q4_0", 2, GgmlType.Q4_0);
    public static readonly QuantizationMix Q4_1 = new("Q4_1", 3, GgmlType.Q4_1);
    public static readonly QuantizationMix Q8_0 = new("Q8_0", 7, GgmlType.Q8_0);
    public static readonly QuantizationMix Q5_0 = new("Q5_0", 8, GgmlType.Q5_0);
    public static readonly QuantizationMix Q5_1 = new("Q5_1", 9, GgmlType.Q5_1);
    public static readonly QuantizationMix Q2_K = new("Q2_K", 10, GgmlType.Q2_K);
    public static readonly QuantizationMix Q3_K_S = new("Q3_K_S", 11, GgmlType.Q3_K);
    public static readonly QuantizationMix Q3_K_M = new("Q3_K_M", 12, GgmlType.Q3_K);
    public static readonly QuantizationMix Q3_K_L = new("Q3_K_L", 13, GgmlType.Q3_K);
    public static readonly QuantizationMix Q4_K_S = new("Q4_K_S", 14, GgmlType.Q4_K);
    public static readonly QuantizationMix Q4_K_M = new("Q4_K_M", 15, GgmlType.Q4_K);
    public static readonly QuantizationMix Q5_K_S = new("Q5_K_S", 16, GgmlType.Q5_K);
    public static readonly QuantizationMix Q5_K_M = new("Q5_K_M", 17, GgmlType.Q5_K);
    public static readonly QuantizationMix Q6_K = new("Q6_K", 18, GgmlType.Q6_K);
    public static readonly QuantizationMix Q2_K_S = new("Q2_K_S", 21, GgmlType.Q2_K);
    public static readonly QuantizationMix BF16 = new("BF16", 32, GgmlType.BF16);

    /// <summary>Every mix Quill writes, in llama-quantize's order of its list.</summary>
    public static IReadOnlyList<QuantizationMix> All { get; } =
        [Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, F16, BF16, F32];

    /// <summary>The mix named <paramref name="name"/> (any case; Q4_K is Q4_K_M and Q3_K Q3_K_M, Q5_K Q5_K_M, as llama-quantize has them).</summary>
    public static QuantizationMix Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string upper = name.Trim().ToUpperInvariant() switch
        {
            "Q3_K" => "Q3_K_M",
            "Q4_K" => "Q4_K_M",
            "Q5_K" => "Q5_K_M",
            var other => other,
        };
        return All.FirstOrDefault(m => m.Name == upper)
            ?? throw new ArgumentException($"'{name}' is not a quantization type: expected one of {string.Join(", ", All.Select(m => m.Name))}");
    }

    /// <summary>Whether the default type is a block-quantized one (not F32, F16, BF16): only those get per-tensor mix rules.</summary>
    public bool IsQuantized => DefaultType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16);

    public override string ToString() => Name;
}
