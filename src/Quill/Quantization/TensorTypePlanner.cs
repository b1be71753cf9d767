// Which type each tensor of a model gets under a quantization mix: llama.cpp's per-tensor rules (llama-quant.cpp), for the mixes Quill writes.
using System.Text.RegularExpressions;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Quantization;

/// <summary>What a model's hyperparameters say that the mix rules read (llama.cpp's hparams and arch).</summary>
/// <param name="Architecture">general.architecture.</param>
/// <param name="Layers">block_count (n_layer): the count the ffn rules divide.</param>
/// <param name="Heads">attention.head_count.</param>
/// <param name="KvHeads">attention.head_count_kv (grouped-query ratio Heads / KvHeads).</param>
/// <param name="Experts">expert_count (0 or 1 for a dense model).</param>
public sealed record ModelShape(string Architecture, int Layers, int Heads, int KvHeads, int Experts)
{
    /// <summary>Query heads per KV head (llama.cpp's n_gqa()).</summary>
    public int GroupedQueryRatio => KvHeads > 0 ? Heads / KvHeads : 0;

    /// <summary>The hyperparameters of a GGUF file, with llama.cpp's defaults where a key is absent.</summary>
    public static ModelShape Of(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string arch = file.GetString("general.architecture") ?? "llama";
        int layers = (int)(file.GetInteger($"{arch}.block_count") ?? 0);
        int heads = (int)(file.GetInteger($"{arch}.attention.head_count") ?? 0);
        int kvHeads = (int)(file.GetInteger($"{arch}.attention.head_count_kv") ?? heads);
        int experts = (int)(file.GetInteger($"{arch}.expert_count") ?? 0);
        return new ModelShape(arch, layers, heads, kvHeads, experts);
    }
}

/// <summary>Choices a user makes beside the mix (llama-quantize's flags).</summary>
public sealed record TensorTypeOptions
{
    /// <summary>--output-tensor-type: the type of output.weight (and of tied token embeddings).</summary>
    public GgmlType? OutputTensorType { get; init; }

    /// <summary>--token-embedding-type: the type of token_embd.weight.</summary>
    public GgmlType? TokenEmbeddingType { get; init; }

    /// <summary>--leave-output-tensor: output.weight is copied as it is.</summary>
    public bool LeaveOutputTensor { get; init; }

    /// <summary>--pure: every quantizable tensor gets the default type (no mix rules; shape fallbacks still apply).</summary>
    public bool Pure { get; init; }

    /// <summary>--tensor-type PATTERN=TYPE, in order: the first pattern found in a tensor's name (a regex search) sets its type.</summary>
    public IReadOnlyList<(Regex Pattern, GgmlType Type)> Overrides { get; init; } = [];

    /// <summary>An importance matrix is given (two rules differ with one).</summary>
    public bool HasImportanceMatrix { get; init; }
}

/// <summary>One tensor of the plan: its type in the input, the type it gets, and whether its shape forced a fallback.</summary>
public sealed record PlannedTensor(GgufTensorInfo Tensor, GgmlType Target, bool FellBack)
{
    public string Name => Tensor.Name;

    /// <summary>Whether the bytes change (otherwise the tensor is copied).</summary>
    public bool Converts => Target != Tensor.Type;
}

/// <summary>
/// llama.cpp's tensor type selection (llama_tensor_get_type and its helpers in src/llama-quant.cpp), for the mixes in
/// <see cref="QuantizationMix"/>: which tensors may be quantized at all, the output and embedding tensors, the mixes'
/// bumps of attn_v, ffn_down and attn_output by layer (use_more_bits), and the fallback to a 32-block type for rows
/// that are not a whole super-block. The rules count tensors in llama.cpp's order (by layer, then by name), so the
/// plan comes back in that order, which is also the order llama.cpp writes them.
/// </summary>
public static class TensorTypePlanner
{
    private enum Category
    {
        TokenEmbedding, AttentionQ, AttentionV, AttentionK, AttentionQkv, AttentionKvB, AttentionOutput, FfnUp, FfnGate, FfnDown, Output, Other,
    }

    /// <summary>The plan for every tensor, in llama.cpp's order.</summary>
    public static IReadOnlyList<PlannedTensor> Plan(IReadOnlyList<GgufTensorInfo> tensors, QuantizationMix mix, ModelShape shape,
        TensorTypeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(shape);
        options ??= new TensorTypeOptions();
        var ordered = tensors.OrderBy(t => t, LoaderOrder.Instance).ToList();
        var state = new State(shape, mix, options)
        {
            AttentionVTotal = ordered.Count(t => IsAttentionVLike(Categorize(t.Name))),
            TiedEmbeddings = !ordered.Any(t => Categorize(t.Name) == Category.Output),
        };
        var plan = new List<PlannedTensor>(ordered.Count);
        foreach (GgufTensorInfo tensor in ordered)
        {
            bool fellBack = false;
            GgmlType target = AllowsQuantization(tensor, options) ? TypeOf(state, tensor, ref fellBack) : tensor.Type;
            plan.Add(new PlannedTensor(tensor, target, fellBack));
        }
        return plan;
    }

    /// <summary>llama.cpp's tensor_allows_quantization: 2-D or more, a weight, not a norm and not one of the small special tensors.</summary>
    private static bool AllowsQuantization(GgufTensorInfo tensor, TensorTypeOptions options)
    {
        if (Dimensions(tensor.Shape) < 2) return false;
        string name = tensor.Name;
        if (!name.EndsWith("weight", StringComparison.Ordinal)) return false;
        if (options.LeaveOutputTensor && name == "output.weight") return false;
        string[] excluded =
        [
            "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
            "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
            "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
            "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
            "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.",
            "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
        ];
        if (excluded.Any(e => name.Contains(e, StringComparison.Ordinal))) return false;
        return name is not ("position_embd.weight" or "token_types.weight");
    }

    /// <summary>ggml_n_dims: the index of the last dimension above 1, plus one.</summary>
    private static int Dimensions(long[] shape)
    {
        for (int i = shape.Length - 1; i >= 1; i--) if (shape[i] > 1) return i + 1;
        return 1;
    }

    private static Category Categorize(string name)
    {
        if (name == "output.weight") return Category.Output;
        if (name is "token_embd.weight" or "per_layer_token_embd.weight") return Category.TokenEmbedding;
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal)) return Category.AttentionQkv;
        if (name.Contains("attn_kv_b.weight", StringComparison.Ordinal)) return Category.AttentionKvB;
        if (name.Contains("attn_v.weight", StringComparison.Ordinal)) return Category.AttentionV;
        if (name.Contains("attn_k.weight", StringComparison.Ordinal)) return Category.AttentionK;
        if (name.Contains("attn_q.weight", StringComparison.Ordinal)) return Category.AttentionQ;
        if (name.Contains("attn_output.weight", StringComparison.Ordinal)) return Category.AttentionOutput;
        if (name.Contains("ffn_up", StringComparison.Ordinal)) return Category.FfnUp;
        if (name.Contains("ffn_gate", StringComparison.Ordinal)) return Category.FfnGate;
        if (name.Contains("ffn_down", StringComparison.Ordinal)) return Category.FfnDown;
        return Category.Other;
    }

    private static bool IsAttentionVLike(Category c) => c is Category.AttentionV or Category.AttentionQkv or Category.AttentionKvB;

    private sealed class State(ModelShape shape, QuantizationMix mix, TensorTypeOptions options)
    {
        public ModelShape Shape { get; } = shape;
        public QuantizationMix Mix { get; } = mix;
        public TensorTypeOptions Options { get; } = options;
        public int AttentionVTotal { get; init; }
        public bool TiedEmbeddings { get; init; }
        public int AttentionV, FfnDown, FfnGate, FfnUp; // tensors of each kind seen so far
    }

    /// <summary>llama_tensor_get_type for a tensor that may be quantized.</summary>
    private static GgmlType TypeOf(State s, GgufTensorInfo tensor, ref bool fellBack)
    {
        Category category = Categorize(tensor.Name);
        if (s.Options.TokenEmbeddingType is { } embedding && category == Category.TokenEmbedding) return embedding;
        if (s.Options.OutputTensorType is { } output && category == Category.Output) return output;
        GgmlType type = s.Mix.DefaultType;
        if (!s.Mix.IsQuantized) return type;
        bool manual = false;
        foreach ((Regex pattern, GgmlType overridden) in s.Options.Overrides)
        {
            if (!pattern.IsMatch(tensor.Name)) continue;
            type = overridden;
            manual = true;
            break;
        }
        if (!manual && !s.Options.Pure) type = MixRule(s, tensor, category, type);
        return Fallback(tensor, type, ref fellBack);
    }

    /// <summary>llama_tensor_get_type_impl for the mixes Quill writes (no IQ types, no MXFP4).</summary>
    private static GgmlType MixRule(State s, GgufTensorInfo tensor, Category category, GgmlType type)
    {
        string mix = s.Mix.Name;
        string arch = s.Shape.Architecture;
        bool falcon = arch == "falcon";
        int experts = s.Shape.Experts;
        int gqa = s.Shape.GroupedQueryRatio;
        if (category == Category.Output || (s.TiedEmbeddings && category == Category.TokenEmbedding))
        {
            if (s.Options.OutputTensorType is { } output) return output;
            if (falcon || tensor.Shape[0] % GgmlTypeInfo.BlockSize(type) != 0) return GgmlType.Q8_0;
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        if (category == Category.TokenEmbedding) return s.Options.TokenEmbeddingType ?? type;
        if (IsAttentionVLike(category))
        {
            if (mix == "Q2_K") type = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (mix == "Q2_K_S" && gqa >= 4) type = GgmlType.Q4_K;
            else if (mix == "Q3_K_M") type = s.AttentionV < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (mix == "Q3_K_L") type = GgmlType.Q5_K;
            else if (mix is "Q4_K_M" or "Q5_K_M" && UseMoreBits(s.AttentionV, s.AttentionVTotal)) type = GgmlType.Q6_K;
            else if (mix == "Q4_K_S" && s.AttentionV < 4) type = GgmlType.Q5_K;
            if (Is70B(s.Shape) && type is GgmlType.Q3_K or GgmlType.Q4_K) type = GgmlType.Q5_K;
            if (experts == 8) type = GgmlType.Q8_0;
            s.AttentionV++;
            return type;
        }
        switch (category)
        {
            case Category.AttentionK:
                return experts == 8 ? GgmlType.Q8_0 : type;
            case Category.FfnDown:
            {
                (int layer, int layers) = LayerOf(s.FfnDown, s.Shape, tensor.Name);
                if (mix == "Q2_K") type = GgmlType.Q3_K;
                else if (mix == "Q2_K_S") { if (layer < layers / 8) type = GgmlType.Q4_K; }
                else if (mix == "Q3_K_M")
                {
                    type = layer < layers / 16 ? GgmlType.Q5_K : !falcon || UseMoreBits(layer, layers) ? GgmlType.Q4_K : GgmlType.Q3_K;
                }
                else if (mix == "Q3_K_L") type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                else if (mix == "Q4_K_M")
                {
                    if (falcon) type = layer < layers / 16 ? GgmlType.Q6_K : UseMoreBits(layer, layers) ? GgmlType.Q5_K : GgmlType.Q4_K;
                    else if (UseMoreBits(layer, layers)) type = GgmlType.Q6_K;
                }
                else if (mix == "Q5_K_M" && UseMoreBits(layer, layers)) type = GgmlType.Q6_K;
                else if (mix == "Q4_K_S" && !falcon && layer < layers / 8) type = GgmlType.Q5_K;
                else if (mix is "Q4_0" or "Q5_0" && s.Options.HasImportanceMatrix && layer < layers / 8)
                {
                    type = mix == "Q4_0" ? GgmlType.Q4_1 : GgmlType.Q5_1;
                }
                s.FfnDown++;
                return type;
            }
            case Category.AttentionOutput:
                if (!falcon)
                {
                    if (experts == 8)
                    {
                        if (mix is "Q2_K" or "Q3_K_S" or "Q3_K_M" or "Q4_K_S" or "Q4_K_M") type = GgmlType.Q5_K;
                    }
                    else if (mix == "Q2_K") type = GgmlType.Q3_K;
                    else if (mix == "Q3_K_M") type = GgmlType.Q4_K;
                    else if (mix == "Q3_K_L") type = GgmlType.Q5_K;
                }
                else if (mix == "Q3_K_L") type = GgmlType.Q4_K;
                return type;
            case Category.FfnGate:
                LayerOf(s.FfnGate, s.Shape, tensor.Name);
                s.FfnGate++;
                return type;
            case Category.FfnUp:
                LayerOf(s.FfnUp, s.Shape, tensor.Name);
                s.FfnUp++;
                return type;
            default:
                return type;
        }
    }

    /// <summary>llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one between.</summary>
    private static bool UseMoreBits(int layer, int layers) => layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>llama.cpp calls a Llama with 80 layers and grouped-query attention its 70B model.</summary>
    private static bool Is70B(ModelShape shape) => shape.Architecture == "llama" && shape.Layers == 80 && shape.Heads != shape.KvHeads;

    /// <summary>layer_info: the running count of this kind of tensor, or with experts the layer parsed from "blk.N.".</summary>
    private static (int Layer, int Layers) LayerOf(int seen, ModelShape shape, string name)
    {
        if (Math.Max(1, shape.Experts) <= 1) return (seen, shape.Layers);
        int layer = BlockIndex(name);
        if (layer < 0) throw new InvalidDataException($"tensor '{name}': expected a name starting with blk.N. in a model with experts");
        if (layer >= shape.Layers) throw new InvalidDataException($"tensor '{name}': layer {layer} is outside the model's {shape.Layers} layers");
        return (layer, shape.Layers);
    }

    /// <summary>tensor_type_fallback: a row that is not a whole block of the chosen type gets a 32-block type (or F16).</summary>
    private static GgmlType Fallback(GgufTensorInfo tensor, GgmlType type, ref bool fellBack)
    {
        long columns = tensor.Shape[0];
        if (columns % GgmlTypeInfo.BlockSize(type) == 0) return type;
        fellBack = true;
        GgmlType fallback = type switch
        {
            GgmlType.Q2_K or GgmlType.Q3_K => GgmlType.Q4_0,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => throw new InvalidDataException($"tensor '{tensor.Name}': no fallback is defined for {type} with {columns} columns"),
        };
        return columns % GgmlTypeInfo.BlockSize(fallback) == 0 ? fallback : GgmlType.F16;
    }

    /// <summary>N of a name starting "blk.N." (sscanf("blk.%d.")), or -1.</summary>
    private static int BlockIndex(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        int end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out int layer) ? layer : -1;
    }

    /// <summary>llama_model_loader's weight_name_comparer: by layer (names without "blk.N." first), then by name (bytewise).</summary>
    private sealed class LoaderOrder : IComparer<GgufTensorInfo>
    {
        public static readonly LoaderOrder Instance = new();

        public int Compare(GgufTensorInfo? a, GgufTensorInfo? b)
        {
            int la = BlockIndex(a!.Name), lb = BlockIndex(b!.Name);
            return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a.Name, b.Name);
        }
    }
}
