// The ordered list of parameters one optimizer updates: zeroing, counting and the global gradient norm.
using System.Numerics.Tensors;

namespace Quill.Training.Optimization;

/// <summary>Parameters in a fixed order (the order optimizer state is saved in).</summary>
public sealed class ParameterSet
{
    private readonly List<Parameter> _parameters = [];

    public IReadOnlyList<Parameter> Parameters => _parameters;
    public int Count => _parameters.Count;

    /// <summary>Total number of scalar values over all parameters.</summary>
    public long ElementCount
    {
        get
        {
            long n = 0;
            foreach (var p in _parameters) n += p.Length;
            return n;
        }
    }

    public Parameter this[int index] => _parameters[index];

    public Parameter Add(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        _parameters.Add(parameter);
        return parameter;
    }

    public Parameter Add(string name, float[] value, float[] grad, bool decay = true) =>
        Add(new Parameter(name, value, grad, decay));

    public void ZeroGrad()
    {
        foreach (var p in _parameters) Array.Clear(p.Grad);
    }

    /// <summary>g ← g·<paramref name="factor"/> for every gradient.</summary>
    public void ScaleGrads(float factor)
    {
        foreach (var p in _parameters) TensorPrimitives.Multiply(p.Grad, factor, p.Grad);
    }

    /// <summary>sqrt(Σ g²) over all gradients, summed in double so large models do not lose the small terms.</summary>
    public double GlobalGradNorm()
    {
        double sum = 0;
        foreach (var p in _parameters)
        {
            var g = p.Grad;
            for (int i = 0; i < g.Length; i++) sum += (double)g[i] * g[i];
        }
        return Math.Sqrt(sum);
    }
}
