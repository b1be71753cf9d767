// The tokenizer a GGUF file describes, matching llama.cpp's llama_tokenize / llama_detokenize id for id; not a loader.
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
public sealed class GgufTokenizer : ITokenizer
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

    public int VocabSize => _table.Count;

    public int BosId { get; }

    public int EosId { get; }

    public int UnknownId { get; }

    public int PaddingId { get; }

    /// <summary>Every id that ends generation, sorted.</summary>
    public IReadOnlyList<int> EndOfGenerationIds => [.. _table.EndOfGenerationIds.Order()];

    public bool IsEndOfGeneration(int id) => _table.IsEndOfGeneration(id);

    /// <summary>The attributes of a token after llama.cpp's load-time fix-ups.</summary>
    public TokenAttributes GetAttributes(int id) => _table.Attributes[CheckId(id)];

    public string TokenText(int id) => _table.Texts[CheckId(id)];

    /// <summary>
    /// What llama.cpp's <c>llama_token_to_piece(special: false)</c> gives: '▁' as ' ' and &lt;0xXX&gt; as that byte for
    /// SentencePiece, the GPT-2 byte mapping undone for byte-level BPE, nothing for control and unknown tokens.
    /// The array is shared: do not modify it.
    /// </summary>
    public byte[] TokenBytes(int id) => _model.RenderToken(CheckId(id));

    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        string clean = ReplaceLoneSurrogates(text);
        var output = new List<int>(clean.Length / 3 + 2);
        if (addSpecial && _addBos) output.Add(BosId);

        var fragments = new List<Fragment>();
        _specialTokens.Split(clean, parseSpecial, fragments);
        bool afterSpecial = true;
        foreach (Fragment fragment in fragments)
        {
            if (fragment.IsText)
            {
                _model.EncodeText(clean.AsSpan(fragment.Start, fragment.Length), afterSpecial, output);
                afterSpecial = false;
            }
            else
            {
                output.Add(fragment.TokenId);
                afterSpecial = true;
            }
        }

        if (addSpecial && _addEos) output.Add(EosId);
        return [.. output];
    }

    /// <summary>
    /// llama.cpp's <c>llama_detokenize(remove_special: false, unparse_special: false)</c>: control tokens render as
    /// nothing, the first token loses one leading space when add_space_prefix (only the very first token: after a BOS
    /// the space stays, as in llama.cpp), and byte-level vocabularies with clean_spaces drop the space before
    /// <c>?!.,</c> and some apostrophes. Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new ArrayBufferWriter<byte>(ids.Length * 4 + 16);
        bool removeSpace = _stripFirstSpace;
        foreach (int id in ids)
        {
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
    private static string ReplaceLoneSurrogates(string text)
    {
        int i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        StringBuilder? result = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            result ??= new StringBuilder(text);
            result[i] = '\uFFFD';
        }
        return result?.ToString() ?? text;
    }
}
