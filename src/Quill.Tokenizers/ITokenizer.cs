// What the runtime needs from any tokenizer; the pipelines behind it live in Models/, PreTokenizers/, Loaders/.
namespace Quill.Tokenizers;

/// <summary>Maps text to token ids and back.</summary>
public interface ITokenizer
{
    /// <summary>Number of entries in the vocabulary.</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or -1 when the vocabulary has none.</summary>
    int BosId { get; }

    /// <summary>End-of-sequence id, or -1 when the vocabulary has none.</summary>
    int EosId { get; }

    /// <summary>True for ids that end generation (EOS, EOT, ...).</summary>
    bool IsEndOfGeneration(int id);

    /// <summary>
    /// Encodes <paramref name="text"/>. <paramref name="addSpecial"/> adds BOS/EOS where the vocabulary says so;
    /// <paramref name="parseSpecial"/> turns special-token strings inside the text (e.g. "&lt;s&gt;") into their ids.
    /// </summary>
    int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>The raw bytes one token stands for when decoded (UTF-8, possibly a partial character).</summary>
    byte[] TokenBytes(int id);

    /// <summary>The vocabulary's own spelling of a token (e.g. "▁the", "Ġloves", "&lt;0x0A&gt;").</summary>
    string TokenText(int id);

    /// <summary>Decodes ids to text; invalid UTF-8 becomes U+FFFD.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
