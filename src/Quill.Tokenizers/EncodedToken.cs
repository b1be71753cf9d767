// One token of an encoding with where it came from in the input.
namespace Quill.Tokenizers;

/// <summary>
/// A token id and the range of the input it stands for, in UTF-16 code units: <c>text[Start..End]</c>. Tokens that the
/// post-processor adds (BOS, [CLS], [SEP]) have <c>Start == End</c>. Several tokens can share a range when one
/// character became several tokens (byte fallback, a multi-byte character split by byte-level BPE).
/// </summary>
public readonly record struct EncodedToken(int Id, int Start, int End)
{
    public int Length => End - Start;
}
