// A deterministic automaton over UTF-8 bytes: the contract a ByteAutomatonConstraint decodes against.
namespace Quill.Generation.Constraints;

/// <summary>
/// A deterministic automaton over the bytes of the generated text, with states numbered by the automaton. It accepts
/// the outputs a task allows (a label, a span of the input, lines of spans); <see cref="ByteAutomatonConstraint"/>
/// walks the tokenizer's vocabulary through it so decoding produces only accepted text. Implementations are not
/// required to be thread-safe (one per constraint).
/// </summary>
public interface IByteAutomaton
{
    /// <summary>The state before any byte.</summary>
    int Start { get; }

    /// <summary>The state after <paramref name="value"/> from <paramref name="state"/>, or -1 when the byte is not allowed there.</summary>
    int Step(int state, byte value);

    /// <summary>
    /// Bytes of the shortest text that leads from <paramref name="state"/> to an accepting state: 0 when the state accepts
    /// (the output may end here), <see cref="int.MaxValue"/> when no accepting state can be reached.
    /// </summary>
    int Cost(int state);
}
