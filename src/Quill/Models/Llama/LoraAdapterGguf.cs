// Reads and writes LoRA adapters in llama.cpp's GGUF adapter format (convert_lora_to_gguf.py); the math that applies them is LoraDelta.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Models.Llama;

/// <summary>
/// general.type = "adapter", adapter.type = "lora", adapter.lora.alpha (F32), general.architecture as the base model's;
/// per adapted weight "blk.N.attn_q.weight" two tensors: "….lora_a" of shape [In, rank] and "….lora_b" of shape
/// [rank, Out] (ne0 first), so A is (rank, In) and B (Out, rank) row-major. Only the projections of Llama blocks
/// (attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down) are accepted.
/// </summary>
public static class LoraAdapterGguf
{
    private const string SuffixA = ".lora_a", SuffixB = ".lora_b";
    private const int MaxRank = 1 << 16;
    private const long MaxFeatures = 1 << 20;
    private static readonly string[] Projections = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];

    /// <summary>Reads and checks an adapter file; every problem is a one-line <see cref="ModelFormatException"/> naming the file.</summary>
    public static LoraAdapterWeights Read(string path)
    {
        string name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such LoRA adapter file", path);
        using var file = GgufFile.Open(path);
        string? type = file.GetString("general.type");
        if (type != "adapter") Fail(name, "general.type 'adapter' (a LoRA adapter)", type is null ? "no general.type" : $"'{type}'", "the header");
        string? adapterType = file.GetString("adapter.type");
        if (adapterType != "lora") Fail(name, "adapter.type 'lora'", adapterType is null ? "no adapter.type" : $"'{adapterType}'", "the header");
        string? arch = file.GetString("general.architecture");
        if (arch is null) Fail(name, "general.architecture", "none", "the header");
        float alpha = file.GetFloat32("adapter.lora.alpha") ?? Fail<float>(name, "adapter.lora.alpha (F32)", "none", "the header");
        if (!float.IsFinite(alpha) || alpha < 0)
            Fail(name, "a finite adapter.lora.alpha ≥ 0", alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), "the header");

        var targets = new List<string>();
        foreach (var t in file.Tensors)
        {
            string target = t.Name.EndsWith(SuffixA, StringComparison.Ordinal) || t.Name.EndsWith(SuffixB, StringComparison.Ordinal)
                ? t.Name[..^SuffixA.Length]
                : Fail<string>(name, "tensors named '<weight>.lora_a' or '<weight>.lora_b'", $"'{t.Name}'", "the tensor list");
            if (!IsAdaptable(target))
                Fail(name, "LoRA on blk.N.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down}.weight", $"'{t.Name}'", "the tensor list");
            if (t.Name.EndsWith(SuffixA, StringComparison.Ordinal)) targets.Add(target);
            else if (file.FindTensor(target + SuffixA) is null) Fail(name, $"'{target}{SuffixA}' beside '{t.Name}'", "none", "the tensor list");
        }
        if (targets.Count == 0) Fail(name, "at least one lora_a/lora_b pair", "no LoRA tensors", "the tensor list");

        var weights = new List<LoraWeight>(targets.Count);
        foreach (string target in targets)
        {
            var a = file.GetTensor(target + SuffixA);
            var b = file.FindTensor(target + SuffixB) ?? Fail<GgufTensorInfo>(name, $"'{target}{SuffixB}' beside '{target}{SuffixA}'", "none",
                "the tensor list");
            CheckMatrix(name, a);
            CheckMatrix(name, b);
            long inFeatures = a.Shape[0], rank = a.Shape[1], outFeatures = b.Shape[1];
            if (rank < 1 || rank > MaxRank) Fail(name, $"a rank of 1..{MaxRank}", rank.ToString(), $"tensor '{a.Name}' (shape [In, rank])");
            if (b.Shape[0] != rank)
                Fail(name, $"'{b.Name}' of shape [rank {rank}, Out]", $"[{b.Shape[0]}, {b.Shape[1]}]", $"tensor '{b.Name}' (maybe A and B are transposed)");
            if (inFeatures > MaxFeatures || outFeatures > MaxFeatures)
                Fail(name, $"at most {MaxFeatures} features", $"[{inFeatures}, {outFeatures}]", $"tensor '{target}'");
            weights.Add(new LoraWeight(target, (int)rank, alpha, (int)inFeatures, (int)outFeatures,
                ReadF32(file, name, a, (int)rank, (int)inFeatures), ReadF32(file, name, b, (int)outFeatures, (int)rank)));
        }
        return new LoraAdapterWeights(arch!, alpha, weights);
    }

    /// <summary>Writes <paramref name="adapter"/> as F32 tensors, atomically (a crash leaves the old file or none).</summary>
    public static void Write(LoraAdapterWeights adapter, string path, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (adapter.Weights.Count == 0) throw new ArgumentException("a LoRA adapter needs at least one adapted weight");
        var writer = new GgufWriter();
        writer.Set("general.architecture", adapter.Architecture);
        writer.Set("general.type", "adapter");
        writer.Set("general.name", modelName ?? "quill-lora");
        writer.Set("adapter.type", "lora");
        writer.Set("adapter.lora.alpha", adapter.Alpha);
        foreach (var w in adapter.Weights)
        {
            if (!IsAdaptable(w.Target)) throw new ArgumentException($"'{w.Target}' is not a projection of a Llama block");
            if (w.Alpha != adapter.Alpha)
                throw new ArgumentException($"'{w.Target}' has alpha {w.Alpha}, the adapter {adapter.Alpha}; one file holds one alpha");
            if (w.Rank < 1 || w.A.Length != (long)w.Rank * w.InFeatures || w.B.Length != (long)w.OutFeatures * w.Rank)
                throw new ArgumentException($"'{w.Target}': A must be ({w.Rank}, {w.InFeatures}) and B ({w.OutFeatures}, {w.Rank}), found {w.A.Length} and " +
                    $"{w.B.Length} values");
            writer.AddTensor(w.Target + SuffixA, GgmlType.F32, [w.InFeatures, w.Rank], Bytes(w.A));
            writer.AddTensor(w.Target + SuffixB, GgmlType.F32, [w.Rank, w.OutFeatures], Bytes(w.B));
        }
        writer.WriteTo(path);
    }

    /// <summary>True for "blk.N.attn_q.weight" and the other block projections a LoRA may adapt.</summary>
    public static bool IsAdaptable(string weight)
    {
        var parts = weight.Split('.');
        return parts.Length == 4 && parts[0] == "blk" && int.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out _)
            && Projections.Contains(parts[2]) && parts[3] == "weight";
    }

    private static byte[] Bytes(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static void CheckMatrix(string name, GgufTensorInfo t)
    {
        if (t.Shape.Length != 2) Fail(name, "a 2-D tensor", $"{t.Shape.Length} dimensions", $"tensor '{t.Name}'");
        if (t.Shape[0] < 1 || t.Shape[1] < 1) Fail(name, "a non-empty tensor", $"[{string.Join(", ", t.Shape)}]", $"tensor '{t.Name}'");
        if (t.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16)) Fail(name, "an F32, F16 or BF16 tensor", t.Type.ToString(), $"tensor '{t.Name}'");
    }

    private static float[] ReadF32(GgufFile file, string name, GgufTensorInfo t, int rows, int columns)
    {
        var values = new float[(long)rows * columns];
        long rowBytes = GgmlTypeInfo.RowBytes(t.Type, columns);
        var data = file.GetTensorData(t);
        if (data.Length < rowBytes * rows) Fail(name, $"{rowBytes * rows} bytes", $"{data.Length}", $"tensor '{t.Name}'");
        var format = QuantFormats.Get(t.Type);
        for (int r = 0; r < rows; r++)
            format.Dequantize(data.Slice((int)(r * rowBytes), (int)rowBytes), values.AsSpan(r * columns, columns));
        return values;
    }

    private static void Fail(string file, string expected, string found, string where) => Fail<int>(file, expected, found, where);

    private static T Fail<T>(string file, string expected, string found, string where) =>
        throw new ModelFormatException($"{file}: expected {expected}, found {found}, in {where}");
}
