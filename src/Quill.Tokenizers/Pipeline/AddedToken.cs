// A token added on top of the model's vocabulary (tokenizer.json "added_tokens").
namespace Quill.Tokenizers.Pipeline;

/// <summary>
/// Hugging Face's AddedToken: matched in the text before the model runs. <see cref="Special"/> tokens are matched only
/// when parsing special tokens and can be skipped when decoding; <see cref="LStrip"/>/<see cref="RStrip"/> swallow the
/// whitespace on that side; <see cref="SingleWord"/> matches only between word boundaries; <see cref="Normalized"/>
/// tokens are matched in the normalized text instead of the raw input.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special = true, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
