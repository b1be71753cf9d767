// A parse position of the JSON recognizer: one frame, and a thread (a frame plus the stack below it); no behaviour.
namespace Quill.Generation.Constraints;

/// <summary>
/// The parse position inside one value: which node, which phase of it, and two phase-specific numbers (e.g. the
/// property index and key offset of an object, the character count of a string). Whitespace counts the current run.
/// </summary>
internal struct JsonFrame : IEquatable<JsonFrame>
{
    public int Node;
    public byte Phase;
    public byte Whitespace;
    public int A, B;

    public readonly bool Equals(JsonFrame other) =>
        Node == other.Node && Phase == other.Phase && Whitespace == other.Whitespace && A == other.A && B == other.B;

    public override readonly bool Equals(object? obj) => obj is JsonFrame other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Node, Phase, Whitespace, A, B);
}

/// <summary>
/// One parse of the text so far: the innermost frame held inline and the frames around it as a persistent linked
/// stack in the recognizer's arena (<see cref="Below"/>, −1 for none), so copying a parse copies 24 bytes.
/// </summary>
internal struct JsonThread
{
    public JsonFrame Top;
    public int Below;
}
