// What differs between GGUF vocabulary kinds: plain text to ids, one id to bytes; the tokenizer.json pipeline's models are ISubwordModel.
namespace Quill.Tokenizers.Models;

internal interface ITokenModel
{
    /// <summary>Appends the ids of one plain-text fragment. <paramref name="afterSpecial"/>: it starts the text or follows a special token.</summary>
    void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output);

    /// <summary>llama.cpp's <c>token_to_piece(special: false)</c>: the bytes an id renders as (control and unknown: none).</summary>
    byte[] RenderToken(int id);
}
