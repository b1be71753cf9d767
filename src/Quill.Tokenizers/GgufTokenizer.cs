// The tokenizer a GGUF file describes, matching llama.cpp's llama_tokenize / llama_detokenize id for id; built by GgufTokenizerLoader.
using System.Buffers;
using System.Text;
using Quill.Tokenizers.Decoders;
using Quill.Tokenizers.Models;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers;

/// <summary>
/// Special tokens are cut out first (<see cref="SpecialTokenSplitter"/>), each plain-text fragment goes through the
/// model, and BOS/EOS are added when <c>addSpecial</c> and the vocabulary asks for them. Build it with
/// <see cref="GgufTokenizerLoader"/>. Thread-safe.
/// </summary>
public sealed class GgufTokenizer : Tokenizer
{
    private readonly TokenTable _table;
    private readonly ITokenModel _model;
    private readonly SpecialTokenSplitter _specialTokens;
    private readonly bool _addBos;
    private readonly bool _addEos;
    private readonly bool _stripFirstSpace;
    private readonly bool _cleanSpaces;

    internal GgufTokenizer(TokenTable table, ITokenModel model, string modelName, int bosId, int eosId, int unknownId,
        int paddingId, bool addBos, bool addEos, bool addSpacePrefix, bool cleanSpaces)
    {
        _table = table;
        _model = model;
        _specialTokens = new SpecialTokenSplitter(table);
        Model = modelName;
        BosId = bosId;
        EosId = eosId;
        UnknownId = unknownId;
        PaddingId = paddingId;
        _addBos = addBos;
        _addEos = addEos;
        _stripFirstSpace = addSpacePrefix;
        _cleanSpaces = cleanSpaces;
    }

    /// <summary>"llama" (SentencePiece BPE) or "gpt2" (byte-level BPE).</summary>
    public string Model { get; }

    public override int VocabSize => _table.Count;

    public override int BosId { get; }

    public override int EosId { get; }

    public int UnknownId { get; }

    public int PaddingId { get; }

    /// <summary>Every id that ends generation, sorted.</summary>
    public IReadOnlyList<int> EndOfGenerationIds => [.. _table.EndOfGenerationIds.Order()];

    public override bool IsEndOfGeneration(int id) => _table.IsEndOfGeneration(id);

    /// <summary>The attributes of a token after llama.cpp's load-time fix-ups.</summary>
    public TokenAttributes GetAttributes(int id) => _table.Attributes[CheckId(id)];

    public override string TokenText(int id) => _table.Texts[CheckId(id)];

    /// <summary>
    /// What llama.cpp's <c>llama_token_to_piece(special: false)</c> gives: '▁' as ' ' and &lt;0xXX&gt; as that byte for
    /// SentencePiece, the GPT-2 byte mapping undone for byte-level BPE, nothing for control and unknown tokens.
    /// The array is shared: do not modify it.
    /// </summary>
    public override byte[] TokenBytes(int id) => _model.RenderToken(CheckId(id));

    public override bool IsSpecial(int id) => _table.Has(CheckId(id), TokenAttributes.Control);

    public override int TokenToId(ReadOnlySpan<char> token) => _table.Find(token);

    protected override void EncodeCore(ReadOnlySpan<char> input, bool addSpecial, bool parseSpecial, TokenBuffer output)
    {
        char[]? rented = null;
        ReadOnlySpan<char> text = ReplaceLoneSurrogates(input, ref rented);
        try
        {
            if (addSpecial && _addBos) output.Add(BosId, 0, 0);
            List<Fragment> fragments = t_fragments ??= [];
            List<int> ids = t_ids ??= [];
            fragments.Clear();
            _specialTokens.Split(text, parseSpecial, fragments);
            bool afterSpecial = true;
            foreach (Fragment fragment in fragments)
            {
                if (fragment.IsText)
                {
                    ids.Clear();
                    ReadOnlySpan<char> piece = text.Slice(fragment.Start, fragment.Length);
                    _model.EncodeText(piece, afterSpecial, ids);
                    AddAligned(piece, fragment.Start, ids, output);
                    afterSpecial = false;
                }
                else
                {
                    output.Add(fragment.TokenId, fragment.Start, fragment.Start + fragment.Length);
                    afterSpecial = true;
                }
            }
            if (addSpecial && _addEos) output.Add(EosId, text.Length, text.Length);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    [ThreadStatic] private static List<Fragment>? t_fragments;
    [ThreadStatic] private static List<int>? t_ids;

    /// <summary>
    /// Offsets for ids of one text piece, found by walking each token's bytes along the piece's UTF-8: llama.cpp keeps
    /// no offsets. A space the model prefixed (SentencePiece add_space_prefix) is skipped; a token whose bytes are not
    /// in the text (llama.cpp drops unknown bytes) gets the range reached so far.
    /// </summary>
    private void AddAligned(ReadOnlySpan<char> piece, int pieceStart, List<int> ids, TokenBuffer output)
    {
        int position = 0;   // char of the piece the next token starts in
        int carried = 0;    // bytes of that char already covered by earlier tokens
        for (int i = 0; i < ids.Count; i++)
        {
            int id = ids[i];
            int length = _model.RenderToken(id).Length;
            if (i == 0 && _stripFirstSpace && length > 0 && _model.RenderToken(id)[0] == (byte)' ' && (piece.IsEmpty || piece[0] != ' ')) length--;
            int start = position, covered = carried + length;
            while (position < piece.Length && covered > 0)
            {
                (int width, int utf8) = Utf8Width(piece, position);
                if (covered < utf8) break;
                covered -= utf8;
                position += width;
            }
            carried = position < piece.Length ? covered : 0;
            int end = carried > 0 ? position + Utf8Width(piece, position).Chars : position;
            output.Add(id, pieceStart + start, pieceStart + end);
        }
    }

    private static (int Chars, int Bytes) Utf8Width(ReadOnlySpan<char> text, int index)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])) return (2, 4);
        return (1, c < 0x80 ? 1 : c < 0x800 ? 2 : 3);
    }

    /// <summary>
    /// llama.cpp's <c>llama_detokenize(remove_special: false, unparse_special: false)</c>: control tokens render as
    /// nothing, the first token loses one leading space when add_space_prefix (only the very first token: after a BOS
    /// the space stays, as in llama.cpp), and byte-level vocabularies with clean_spaces drop the space before
    /// <c>?!.,</c> and some apostrophes. Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new ArrayBufferWriter<byte>(ids.Length * 4 + 16);
        bool removeSpace = _stripFirstSpace;
        foreach (int id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            ReadOnlySpan<byte> piece = TokenBytes(id);
            if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
            removeSpace = false;
            bytes.Write(piece);
        }
        if (!_cleanSpaces) return Encoding.UTF8.GetString(bytes.WrittenSpan);

        byte[] text = bytes.WrittenSpan.ToArray();
        int length = TokenizationSpaceCleaner.Clean(text);
        return Encoding.UTF8.GetString(text, 0, length);
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_table.Count) ThrowBadId(id);
        return id;
    }

    private void ThrowBadId(int id) =>
        throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {_table.Count}), found {id}");

    /// <summary>What UTF-8 encoding does to a lone surrogate (U+FFFD), done up front so every stage sees valid text.</summary>
    private static ReadOnlySpan<char> ReplaceLoneSurrogates(ReadOnlySpan<char> text, ref char[]? rented)
    {
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        Span<char> copy = default;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (rented is null)
            {
                rented = ArrayPool<char>.Shared.Rent(text.Length);
                copy = rented.AsSpan(0, text.Length);
                text.CopyTo(copy);
            }
            copy[i] = '\uFFFD';
        }
        return rented is null ? text : rented.AsSpan(0, text.Length);
    }
}
