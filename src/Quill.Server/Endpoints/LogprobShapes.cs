// Converts Quill's per-token logprobs into OpenAI's two shapes (chat's list of objects, completions' parallel lists); not their computation.
using Quill.Generation;
using Quill.Server.Contracts;
using Quill.Tokenizers;

namespace Quill.Server.Endpoints;

internal static class LogprobShapes
{
    /// <summary>Chat: one {token, logprob, bytes, top_logprobs} per generated token; bytes are the token's raw UTF-8.</summary>
    public static List<ChatTokenLogprob> Chat(IReadOnlyList<TokenLogprob> tokens, ITokenizer tokenizer)
    {
        var list = new List<ChatTokenLogprob>(tokens.Count);
        foreach (TokenLogprob t in tokens)
        {
            var top = new List<ChatTopLogprob>(t.TopLogprobs.Count);
            foreach (TopLogprob a in t.TopLogprobs) top.Add(new ChatTopLogprob(a.Text, a.Logprob, Bytes(tokenizer, a.Token)));
            list.Add(new ChatTokenLogprob(t.Text, t.Logprob, Bytes(tokenizer, t.Token), top));
        }
        return list;
    }

    /// <summary>
    /// Completions: tokens, token_logprobs, top_logprobs (text → logprob; alternatives that decode alike keep the
    /// first, the most likely) and text_offset, counted from <paramref name="offset"/> and advanced past the tokens.
    /// </summary>
    public static TextLogprobs Text(IReadOnlyList<TokenLogprob> tokens, ref int offset)
    {
        var result = new TextLogprobs([], [], [], []);
        foreach (TokenLogprob t in tokens)
        {
            result.Tokens.Add(t.Text);
            result.TokenLogprobs.Add(t.Logprob);
            var top = new Dictionary<string, float>(t.TopLogprobs.Count);
            foreach (TopLogprob a in t.TopLogprobs) top.TryAdd(a.Text, a.Logprob);
            result.TopLogprobs.Add(top);
            result.TextOffset.Add(offset);
            offset += t.Text.Length;
        }
        return result;
    }

    /// <summary>Appends <paramref name="more"/> to <paramref name="into"/> (streamed pieces joined for a whole response).</summary>
    public static void Append(TextLogprobs into, TextLogprobs more)
    {
        into.Tokens.AddRange(more.Tokens);
        into.TokenLogprobs.AddRange(more.TokenLogprobs);
        into.TopLogprobs.AddRange(more.TopLogprobs);
        into.TextOffset.AddRange(more.TextOffset);
    }

    private static int[] Bytes(ITokenizer tokenizer, int token)
    {
        byte[] raw = tokenizer.TokenBytes(token);
        var bytes = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++) bytes[i] = raw[i];
        return bytes;
    }
}
