// Small vocabularies trained by plain BPE on a corpus and written as vocab-only GGUF files; not real model vocabularies.
using System.Text;
using System.Text.RegularExpressions;
using Quill.Formats.Gguf;
using Quill.Tokenizers.Models.Bpe;

namespace Quill.Tokenizers.Tests.Differential;

internal static class SyntheticVocabularies
{
    private const int ByteLevelMerges = 500;
    private const int SentencePieceMerges = 400;

    /// <summary>256 byte characters, merges learned on GPT-2 words, then control and user-defined specials.</summary>
    public static GgufVocabulary ByteLevel(string corpus, string pre)
    {
        var words = Regex.Matches(corpus, @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
            .Select(m => Encoding.UTF8.GetBytes(m.Value).Select(b => ByteLevelAlphabet.Encode(b).ToString()).ToList())
            .ToList();
        (List<string> merges, List<string> results) = Train(words, ByteLevelMerges);
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.Encode((byte)b).ToString());
        foreach (string result in results.Where(r => !tokens.Contains(r))) tokens.Add(result);
        var types = Enumerable.Repeat(1, tokens.Count).ToList();
        AddSpecial(tokens, types, null, ("<|endoftext|>", 3), ("<|im_end|>", 3), ("<tool_call>", 4));
        int endOfText = tokens.IndexOf("<|endoftext|>");
        return new GgufVocabulary("gpt2", pre, [.. tokens], null, [.. types], [.. merges], endOfText, endOfText, -1, -1,
            [endOfText], AddBos: pre == "llama-bpe", AddEos: false, AddSpacePrefix: false);
    }

    /// <summary>
    /// &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, byte tokens, the corpus's characters but a few (to exercise byte fallback), then
    /// merges learned on '▁' words scored by rank; <paramref name="crossWordTokens"/> adds "o▁" pieces.
    /// </summary>
    public static GgufVocabulary SentencePiece(string corpus, bool addSpacePrefix, bool crossWordTokens)
    {
        var words = Regex.Split(corpus.Replace(' ', '▁').Replace("▁", " ▁"), " ").Where(w => w.Length > 0)
            .Select(Codepoints).ToList();
        (_, List<string> results) = Train(words, SentencePieceMerges);
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); scores.Add(0); }
        string[] leftOut = ["😀", "中", "\u0301"];
        foreach (string c in words.SelectMany(w => w).Distinct().Where(c => !leftOut.Contains(c) && !tokens.Contains(c)))
        {
            tokens.Add(c); types.Add(1); scores.Add(-10_000);
        }
        for (int rank = 0; rank < results.Count; rank++)
        {
            if (tokens.Contains(results[rank])) continue;
            tokens.Add(results[rank]); types.Add(1); scores.Add(-rank - 1);
        }
        AddSpecial(tokens, types, scores, ("<tool_call>", 4), ("<|im_end|>", 3));
        if (crossWordTokens) AddSpecial(tokens, types, scores, ("o▁w", 1), ("o▁", 1));
        return new GgufVocabulary("llama", null, [.. tokens], [.. scores], [.. types], null, 1, 2, 0, -1, [2],
            AddBos: true, AddEos: false, AddSpacePrefix: addSpacePrefix);
    }

    /// <summary>A vocab-only GGUF llama.cpp can load (it still wants the llama hyper-parameters).</summary>
    public static void WriteGguf(GgufVocabulary v, string path)
    {
        var w = new GgufWriter();
        w.Set("general.architecture", "llama");
        w.Set("llama.context_length", 2048u);
        w.Set("llama.embedding_length", 64u);
        w.Set("llama.block_count", 1u);
        w.Set("llama.feed_forward_length", 128u);
        w.Set("llama.attention.head_count", 2u);
        w.Set("llama.attention.head_count_kv", 2u);
        w.Set("llama.rope.dimension_count", 32u);
        w.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.Set("tokenizer.ggml.model", v.Model);
        if (v.Pre is not null) w.Set("tokenizer.ggml.pre", v.Pre);
        w.Set("tokenizer.ggml.tokens", v.Tokens);
        if (v.Scores is not null) w.Set("tokenizer.ggml.scores", v.Scores);
        w.Set("tokenizer.ggml.token_type", v.TokenTypes!);
        if (v.Merges is not null) w.Set("tokenizer.ggml.merges", v.Merges);
        w.Set("tokenizer.ggml.bos_token_id", (uint)v.BosId);
        w.Set("tokenizer.ggml.eos_token_id", (uint)v.EosId);
        if (v.UnknownId >= 0) w.Set("tokenizer.ggml.unknown_token_id", (uint)v.UnknownId);
        w.Set("tokenizer.ggml.add_bos_token", v.AddBos);
        w.Set("tokenizer.ggml.add_space_prefix", v.AddSpacePrefix);
        w.WriteTo(path);
    }

    private static void AddSpecial(List<string> tokens, List<int> types, List<float>? scores, params (string Text, int Type)[] specials)
    {
        foreach ((string text, int type) in specials)
        {
            tokens.Add(text);
            types.Add(type);
            scores?.Add(type == 1 ? -2 : 0);
        }
    }

    private static List<string> Codepoints(string s)
    {
        var list = new List<string>();
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1) list.Add(s.Substring(i, char.IsSurrogatePair(s, i) ? 2 : 1));
        return list;
    }

    /// <summary>Plain BPE training: merge the most frequent adjacent pair (ties by text) <paramref name="count"/> times.</summary>
    private static (List<string> Merges, List<string> Results) Train(List<List<string>> words, int count)
    {
        var merges = new List<string>();
        var results = new List<string>();
        for (int k = 0; k < count; k++)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (List<string> w in words)
            {
                for (int i = 1; i < w.Count; i++) pairs[(w[i - 1], w[i])] = pairs.GetValueOrDefault((w[i - 1], w[i])) + 1;
            }
            if (pairs.Count == 0) break;
            (string left, string right) = pairs.OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(left + " " + right);
            results.Add(left + right);
            foreach (List<string> w in words)
            {
                for (int i = 1; i < w.Count; i++)
                {
                    if (w[i - 1] != left || w[i] != right) continue;
                    w[i - 1] = left + right;
                    w.RemoveAt(i);
                }
            }
        }
        return (merges, results);
    }
}
