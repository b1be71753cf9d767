// Hugging Face's ByteLevel decoder: byte-level alphabet chars back to UTF-8 text.
using System.Text;
using Quill.Tokenizers.Models.Bpe;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Decoders;

/// <summary>
/// All tokens are joined into one byte string and decoded as UTF-8 (invalid sequences become U+FFFD). A token with a
/// char outside the alphabet (an added token such as "&lt;｜end▁of▁sentence｜&gt;") contributes its own UTF-8.
/// </summary>
internal sealed class ByteLevelDecoder : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        foreach (string token in tokens)
        {
            bool mapped = true;
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.Decode(c) < 0)
                {
                    mapped = false;
                    break;
                }
            }
            if (mapped)
            {
                foreach (char c in token) bytes.Add((byte)ByteLevelAlphabet.Decode(c));
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }
        tokens.Clear();
        tokens.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }
}
