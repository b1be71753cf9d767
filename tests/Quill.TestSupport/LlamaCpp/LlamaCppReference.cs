// llama.cpp (through LLamaSharp's CPU build) as the reference for differential tests; test-only, never used by Quill.
using System.Diagnostics;
using LLama.Native;

namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// Runs llama.cpp on a GGUF file. Every call uses the CPU only, a fresh context sized to the request, one sequence,
/// flash attention off and an F32 KV cache unless a call asks for F16 (so llama.cpp's usual F16 rounding of keys and
/// values does not blur comparisons with an F32 cache). Models are loaded once per file and process. Thread-safe: each call has its own context.
/// </summary>
public static class LlamaCppReference
{
    /// <summary>llama_tokenize: <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks, <paramref name="parseSpecial"/> turns "&lt;s&gt;" text into
    /// control tokens.</summary>
    public static int[] Tokenize(string modelPath, string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath, vocabOnly: true);
        LLamaToken[] tokens = model.Tokenize(text, addSpecial, parseSpecial, System.Text.Encoding.UTF8);
        return Array.ConvertAll(tokens, t => (int)t);
    }

    /// <summary>llama_detokenize with remove_special = false; <paramref name="unparseSpecial"/> renders control tokens as their text.</summary>
    public static string Detokenize(string modelPath, int[] ids, bool unparseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return LlamaCppRuntime.Detokenize(LlamaCppRuntime.Model(modelPath, vocabOnly: true), ids, removeSpecial: false, unparseSpecial);
    }

    /// <summary>llama_token_to_piece of one token: lstrip 0, special = false (control tokens give no bytes).</summary>
    public static byte[] TokenPiece(string modelPath, int id)
    {
        SafeLlamaModelHandle.Vocabulary vocab = LlamaCppRuntime.Model(modelPath, vocabOnly: true).Vocab;
        var piece = new byte[64];
        int length = NativeApi.llama_token_to_piece(vocab, (LLamaToken)id, piece, 0, false);
        if (length < 0)
        {
            piece = new byte[-length];
            length = NativeApi.llama_token_to_piece(vocab, (LLamaToken)id, piece, 0, false);
        }
        return piece[..length];
    }

    /// <summary>llama_vocab_is_eog: whether generation stops at this token.</summary>
    public static bool IsEndOfGeneration(string modelPath, int id) =>
        ((LLamaToken)id).IsEndOfGeneration(LlamaCppRuntime.Model(modelPath, vocabOnly: true).Vocab);

    /// <summary>What llama.cpp read from the file's metadata.</summary>
    public static LlamaCppModelInfo Describe(string modelPath)
    {
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath);
        return new LlamaCppModelInfo(
            model.Vocab.Count, model.EmbeddingSize, model.LayerCount, model.HeadCount, model.KVHeadCount,
            model.ContextSize, model.Description, model.ParameterCount, model.FileType.ToString(), LlamaCppRuntime.LibraryPath);
    }

    /// <summary>
    /// Raw logits (no softmax, no temperature) at every position of <paramref name="ids"/>, starting at position 0:
    /// result[t] is the (V) distribution over the token after ids[0..t]. Decoded as one batch, or with
    /// <paramref name="oneAtATime"/> each token alone, so every row goes through llama.cpp's single-token graph (the one
    /// generation runs), where its F32 and F16 matmuls take ggml's vec_dot: tinyBLAS serves only n ≥ 2.
    /// </summary>
    public static float[][] Logits(string modelPath, int[] ids, int threads = 2, LlamaCppKvCache kvCache = LlamaCppKvCache.F32,
        bool oneAtATime = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length == 0) return [];
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath);
        int vocabulary = model.Vocab.Count;
        CheckIds(modelPath, ids, vocabulary);
        using SafeLLamaContextHandle context = LlamaCppRuntime.Context(model, ids.Length, threads, kvCache: kvCache);
        var logits = new float[ids.Length][];
        var batch = new LLamaBatch();
        if (oneAtATime)
        {
            for (int t = 0; t < ids.Length; t++)
            {
                batch.Clear();
                batch.Add(ids[t], t, LLamaSeqId.Zero, logits: true);
                Decode(modelPath, context, batch);
                logits[t] = context.GetLogitsIth(0)[..vocabulary].ToArray();
            }
            return logits;
        }
        for (int t = 0; t < ids.Length; t++) batch.Add(ids[t], t, LLamaSeqId.Zero, logits: true);
        Decode(modelPath, context, batch);
        for (int t = 0; t < ids.Length; t++) logits[t] = context.GetLogitsIth(t)[..vocabulary].ToArray();
        return logits;
    }

    /// <summary>
    /// The pooled embedding llama.cpp computes for <paramref name="ids"/> as one sequence (embeddings mode, mean pooling
    /// unless <paramref name="pooling"/> says otherwise), not normalized.
    /// </summary>
    public static float[] Embedding(string modelPath, int[] ids, LLamaPoolingType pooling = LLamaPoolingType.Mean, int threads = 2)
    {
        ArgumentNullException.ThrowIfNull(ids);
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath);
        CheckIds(modelPath, ids, model.Vocab.Count);
        using SafeLLamaContextHandle context = LlamaCppRuntime.Context(model, ids.Length, threads, embeddings: pooling);
        var batch = new LLamaBatch();
        for (int t = 0; t < ids.Length; t++) batch.Add(ids[t], t, LLamaSeqId.Zero, logits: true);
        Decode(modelPath, context, batch);
        return context.GetEmbeddingsSeq(LLamaSeqId.Zero).ToArray();
    }

    /// <summary>
    /// Greedy continuation: the argmax token (lowest id on ties, as llama.cpp's greedy sampler) after the prompt, fed back
    /// one at a time, for at most <paramref name="maxTokens"/> tokens. Stops before an end-of-generation token, which is
    /// not included.
    /// </summary>
    public static int[] Greedy(string modelPath, int[] promptIds, int maxTokens, int threads = 2, LlamaCppKvCache kvCache = LlamaCppKvCache.F32)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        if (promptIds.Length == 0) throw new ArgumentException("greedy decoding needs at least one prompt token", nameof(promptIds));
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath);
        int vocabulary = model.Vocab.Count;
        CheckIds(modelPath, promptIds, vocabulary);
        using SafeLLamaContextHandle context = LlamaCppRuntime.Context(model, promptIds.Length + maxTokens, threads, kvCache: kvCache);

        var batch = new LLamaBatch();
        for (int t = 0; t < promptIds.Length; t++) batch.Add(promptIds[t], t, LLamaSeqId.Zero, logits: t == promptIds.Length - 1);
        var output = new List<int>(maxTokens);
        int position = promptIds.Length;
        while (output.Count < maxTokens)
        {
            Decode(modelPath, context, batch);
            int next = ArgMax(context.GetLogitsIth(batch.TokenCount - 1)[..vocabulary]);
            if (((LLamaToken)next).IsEndOfGeneration(model.Vocab)) break;
            output.Add(next);
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, logits: true);
        }
        return [.. output];
    }

    /// <summary>
    /// llama_model_quantize to <paramref name="type"/> ("Q4_K_M", "Q2_K", "Q3_K_M", "Q4_K_S", "Q5_K_M", "Q6_K", "Q8_0",
    /// "Q4_0", "Q4_1", "Q5_0", "Q5_1", or any other LLAMA_FTYPE_MOSTLY_ name) with llama.cpp's default mixture
    /// (output.weight stays as llama.cpp chooses, no importance matrix). <paramref name="leaveOutputTensor"/> and
    /// <paramref name="pure"/> are llama-quantize's --leave-output-tensor and --pure.
    /// </summary>
    public static void Quantize(string sourcePath, string destinationPath, string type, bool leaveOutputTensor = false, bool pure = false)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!File.Exists(sourcePath)) throw new FileNotFoundException($"{sourcePath}: expected a GGUF model file, found nothing", sourcePath);
        if (!Enum.TryParse("MOSTLY_" + type.ToUpperInvariant(), out LLamaFtype ftype)
            && !Enum.TryParse("LLAMA_FTYPE_MOSTLY_" + type.ToUpperInvariant(), out ftype)
            && !Enum.TryParse("ALL_" + type.ToUpperInvariant(), out ftype)
            && !Enum.TryParse("LLAMA_FTYPE_ALL_" + type.ToUpperInvariant(), out ftype))
        {
            throw new ArgumentException($"'{type}' is not a llama.cpp quantization type (expected e.g. Q4_K_M, Q8_0)", nameof(type));
        }
        _ = LlamaCppRuntime.LibraryPath; // loads the native library and silences its log
        LLamaModelQuantizeParams p = LLamaModelQuantizeParams.Default();
        p.ftype = ftype;
        p.nthread = Environment.ProcessorCount;
        p.quantize_output_tensor = !leaveOutputTensor;
        p.pure = pure;
        uint result = NativeApi.llama_model_quantize(sourcePath, destinationPath, ref p);
        if (result != 0)
        {
            throw new InvalidDataException($"{sourcePath}: expected llama.cpp to quantize it to {type}, llama_model_quantize returned {result}; set " +
                $"QUILL_LLAMACPP_LOG=1 for its log");
        }
    }

    /// <summary>
    /// Speed the way llama-bench measures it: prompt processing of <paramref name="promptTokens"/> seeded random tokens in
    /// batches of up to 512, and generation of <paramref name="genTokens"/> tokens one at a time after
    /// <paramref name="depth"/> untimed tokens in the cache (llama-bench's <c>-d</c>; 0: from an empty context), each after
    /// one untimed warm-up run. Tokens per second of wall time. <paramref name="memoryMap"/> false: weights read into
    /// llama.cpp's own buffers instead of its default memory map (llama-bench's <c>--mmap 0</c>).
    /// </summary>
    public static (double PromptTokensPerSecond, double GenTokensPerSecond) Bench(string modelPath, int promptTokens, int genTokens, int threads,
        LlamaCppKvCache kvCache = LlamaCppKvCache.F32, bool memoryMap = true, int depth = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(genTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        SafeLlamaModelHandle model = LlamaCppRuntime.Model(modelPath, memoryMap: memoryMap);
        int vocabulary = model.Vocab.Count;
        int batchSize = Math.Min(Math.Max(promptTokens, depth), 512);
        using SafeLLamaContextHandle context = LlamaCppRuntime.Context(model, Math.Max(promptTokens, depth + genTokens), threads, batchSize,
            kvCache: kvCache);
        var random = new Random(42);
        int[] prompt = Enumerable.Range(0, promptTokens).Select(_ => random.Next(vocabulary)).ToArray();
        int[] depthTokens = Enumerable.Range(0, depth).Select(_ => random.Next(vocabulary)).ToArray();
        var batch = new LLamaBatch();

        void Fill(int[] tokens)
        {
            for (int first = 0; first < tokens.Length; first += batchSize)
            {
                batch.Clear();
                int end = Math.Min(first + batchSize, tokens.Length);
                for (int t = first; t < end; t++) batch.Add(tokens[t], t, LLamaSeqId.Zero, logits: t == tokens.Length - 1);
                Decode(modelPath, context, batch);
            }
        }

        TimeSpan RunPrompt()
        {
            context.MemoryClear(data: true);
            long start = Stopwatch.GetTimestamp();
            Fill(prompt);
            context.Synchronize();
            return Stopwatch.GetElapsedTime(start);
        }

        TimeSpan RunGeneration()
        {
            context.MemoryClear(data: true);
            Fill(depthTokens);
            context.Synchronize();
            long start = Stopwatch.GetTimestamp();
            int token = prompt[0];
            for (int t = 0; t < genTokens; t++)
            {
                batch.Clear();
                batch.Add(token, depth + t, LLamaSeqId.Zero, logits: true);
                Decode(modelPath, context, batch);
                token = ArgMax(context.GetLogitsIth(0)[..vocabulary]);
            }
            context.Synchronize();
            return Stopwatch.GetElapsedTime(start);
        }

        RunPrompt();
        double promptSeconds = RunPrompt().TotalSeconds;
        RunGeneration();
        double genSeconds = RunGeneration().TotalSeconds;
        return (promptTokens / promptSeconds, genTokens / genSeconds);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    private static void Decode(string modelPath, SafeLLamaContextHandle context, LLamaBatch batch)
    {
        DecodeResult result = context.Decode(batch);
        if (result != DecodeResult.Ok) ThrowDecodeFailed(modelPath, result, batch.TokenCount);
    }

    private static void CheckIds(string modelPath, int[] ids, int vocabulary)
    {
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)vocabulary) ThrowBadId(modelPath, ids[t], vocabulary, t);
        }
    }

    private static void ThrowDecodeFailed(string modelPath, DecodeResult result, int tokens) =>
        throw new InvalidOperationException($"{modelPath}: expected llama_decode to succeed, it returned {result}, for a batch of {tokens} tokens");

    private static void ThrowBadId(string modelPath, int id, int vocabulary, int position) =>
        throw new ArgumentException($"{modelPath}: expected token ids below the vocabulary size {vocabulary}, found {id}, at position {position}");
}
