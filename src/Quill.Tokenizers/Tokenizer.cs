// The base every tokenizer derives from: one encode routine, and the API built on it; the staged one is PipelineTokenizer.
namespace Quill.Tokenizers;

/// <summary>
/// Derived classes implement <see cref="EncodeCore"/> (ids and offsets into a <see cref="TokenBuffer"/>) and the
/// vocabulary look-ups; this class turns that into arrays, spans, counts and streaming decoding. Encoding through the
/// span and count entry points reuses a per-thread buffer and allocates nothing once warm. Implementations are
/// thread-safe.
/// </summary>
public abstract class Tokenizer : ITokenizer
{
    [ThreadStatic] private static TokenBuffer? t_buffer;

    public abstract int VocabSize { get; }

    public abstract int BosId { get; }

    public abstract int EosId { get; }

    public abstract bool IsEndOfGeneration(int id);

    public abstract bool IsSpecial(int id);

    public abstract byte[] TokenBytes(int id);

    public abstract string TokenText(int id);

    public abstract int TokenToId(ReadOnlySpan<char> token);

    public abstract string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens);

    public string Decode(ReadOnlySpan<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="output"/> (which starts empty), offsets relative to <paramref
    /// name="text"/>.</summary>
    protected abstract void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output);

    /// <summary>Encodes into a caller's buffer (cleared first), for callers that keep their own.</summary>
    public void Encode(ReadOnlySpan<char> text, TokenBuffer output, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Clear();
        EncodeCore(text, addSpecial, parseSpecial, output);
    }

    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        TokenBuffer buffer = Rent(text, addSpecial, parseSpecial);
        return buffer.Ids.ToArray();
    }

    public EncodedToken[] EncodeWithOffsets(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        TokenBuffer buffer = Rent(text, addSpecial, parseSpecial);
        var tokens = new EncodedToken[buffer.Count];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = buffer[i];
        return tokens;
    }

    public int EncodeTo(ReadOnlySpan<char> text, Span<int> destination, bool addSpecial = true, bool parseSpecial = false)
    {
        TokenBuffer buffer = Rent(text, addSpecial, parseSpecial);
        ReadOnlySpan<int> ids = buffer.Ids;
        ids[..Math.Min(ids.Length, destination.Length)].CopyTo(destination);
        return ids.Length;
    }

    public int CountTokens(ReadOnlySpan<char> text, bool addSpecial = true, bool parseSpecial = false) =>
        Rent(text, addSpecial, parseSpecial).Count;

    public virtual TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    private TokenBuffer Rent(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial)
    {
        TokenBuffer buffer = t_buffer ??= new TokenBuffer(256);
        buffer.Clear();
        EncodeCore(text, addSpecial, parseSpecial, buffer);
        return buffer;
    }
}
