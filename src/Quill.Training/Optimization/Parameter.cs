// One trainable tensor seen by the optimizer: its values, its gradient and whether weight decay applies.
namespace Quill.Training.Optimization;

/// <summary>
/// A named flat view of a layer's weights (e.g. <c>Linear.Weight</c>) and the gradient the layer's Backward adds to.
/// <c>decay</c> is false for norms and biases, which AdamW then leaves undecayed.
/// </summary>
public sealed class Parameter
{
    public Parameter(string name, float[] value, float[] grad, bool decay = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(grad);
        if (value.Length != grad.Length)
            throw new ArgumentException($"{name}: expected a gradient of {value.Length} values, found {grad.Length}");
        Name = name;
        Value = value;
        Grad = grad;
        Decay = decay;
    }

    public string Name { get; }
    public float[] Value { get; }
    public float[] Grad { get; }
    public bool Decay { get; }
    public int Length => Value.Length;
}
