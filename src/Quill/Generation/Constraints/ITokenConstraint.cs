// The contract between constrained decoding (JSON, a JSON Schema) and the generation loop.
namespace Quill.Generation.Constraints;

/// <summary>
/// Restricts which token may come next so that the generated text stays a prefix of some valid output (and ends
/// only when the output is complete). Stateful: one instance per generated sequence, advanced with
/// <see cref="Accept"/> after every sampled token. The generation loop samples as usual, and only when the sampled
/// token is not <see cref="Allows">allowed</see> masks the logits with <see cref="Mask"/> and samples again, so the
/// full-vocabulary check runs only on the steps that need it. A constraint never leaves no token allowed: once the
/// output is complete it allows the end-of-generation tokens (and nothing else).
/// </summary>
public interface ITokenConstraint
{
    /// <summary>True when <paramref name="token"/> may be generated next.</summary>
    bool Allows(int token);

    /// <summary>Sets the logit of every token that <see cref="Allows"/> rejects to negative infinity (logits: V).</summary>
    void Mask(Span<float> logits);

    /// <summary>Advances past <paramref name="token"/>, which must be allowed.</summary>
    void Accept(int token);

    /// <summary>True when the text so far is a complete output (an end-of-generation token is allowed now).</summary>
    bool IsComplete { get; }

    /// <summary>
    /// Tokens that may still be generated, this one included (set by the generation loop before every step from
    /// max tokens and the free context). When the budget gets tight the constraint allows only tokens after which the
    /// output can still be completed in time (counting one token per remaining byte), so the output is complete, and
    /// parses, even when the budget runs out. Large (int.MaxValue) means unlimited.
    /// </summary>
    int RemainingTokens { get; set; }
}
