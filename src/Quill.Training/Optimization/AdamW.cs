// AdamW with decoupled weight decay as torch.optim.AdamW, and its state saved to and loaded from a stream; not a schedule, not clipping.
using System.Runtime.InteropServices;
using System.Text;

namespace Quill.Training.Optimization;

/// <summary>
/// Per step t (1-based) and parameter p with gradient g: p ← p − lr·wd·p (only when p.Decay); m ← β1·m + (1−β1)·g;
/// v ← β2·v + (1−β2)·g²; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t); p ← p − lr·m̂/(sqrt(v̂) + eps).
/// The element loop is <see cref="AdamWKernel"/>, in float; bias corrections are computed in double.
/// State (m, v per parameter and the step count) is saved with <see cref="Save"/> in this binary layout, little-endian:
/// "QADW" · int32 version (1) · int64 step · int32 parameter count · per parameter: int32 name byte length, UTF-8 name,
/// int32 element count, m (count floats), v (count floats).
/// </summary>
public sealed class AdamW
{
    private const uint Magic = 0x57444151; // "QADW" read as a little-endian uint32
    private const int Version = 1;
    private const int MaxNameBytes = 4096;
    private const string StateName = "AdamW state";

    private readonly ParameterSet _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;

    public AdamW(ParameterSet parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "expected 0 ≤ β1 < 1");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "expected 0 ≤ β2 < 1");
        _parameters = parameters;
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _m = new float[parameters.Count][];
        _v = new float[parameters.Count][];
        for (int i = 0; i < parameters.Count; i++)
        {
            _m[i] = new float[parameters[i].Length];
            _v[i] = new float[parameters[i].Length];
        }
    }

    /// <summary>The rate the next <see cref="Step()"/> uses; a schedule sets it before each step.</summary>
    public float LearningRate { get; set; }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>Steps taken so far (t of the last step).</summary>
    public long StepCount { get; private set; }

    public ParameterSet Parameters => _parameters;

    /// <summary>First moment m of parameter <paramref name="index"/> (for checkpoints and tests).</summary>
    public ReadOnlySpan<float> FirstMoment(int index) => _m[index];

    /// <summary>Second moment v of parameter <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> SecondMoment(int index) => _v[index];

    /// <summary>Sets the learning rate and takes one step.</summary>
    public void Step(float learningRate)
    {
        LearningRate = learningRate;
        Step();
    }

    /// <summary>One update of every parameter from its current gradient; gradients are left as they are.</summary>
    public void Step()
    {
        long t = ++StepCount;
        float invBias1 = (float)(1.0 / (1.0 - Math.Pow(Beta1, t)));
        float invBias2 = (float)(1.0 / (1.0 - Math.Pow(Beta2, t)));
        float decayScale = 1f - LearningRate * WeightDecay;
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var c = new AdamWKernel.Coefficients(LearningRate, p.Decay ? decayScale : 1f, Beta1, Beta2, Epsilon, invBias1, invBias2);
            AdamWKernel.Update(p.Value, p.Grad, _m[i], _v[i], c);
        }
    }

    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(StepCount);
        w.Write(_parameters.Count);
        for (int i = 0; i < _parameters.Count; i++)
        {
            StateReader.WriteParameterHeader(w, _parameters[i]);
            w.Write(MemoryMarshal.AsBytes(_m[i].AsSpan()));
            w.Write(MemoryMarshal.AsBytes(_v[i].AsSpan()));
        }
    }

    /// <summary>
    /// Replaces m, v and the step count with those saved by <see cref="Save"/> for the same parameters (same order, names
    /// and lengths). Reads everything before changing anything; a malformed stream throws a one-line InvalidDataException.
    /// </summary>
    public void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var r = new StateReader(stream, StateName);
        uint magic = r.ReadUInt32("magic");
        if (magic != Magic) r.Fail($"magic \"QADW\", found 0x{magic:X8}", 0);
        int version = r.ReadInt32("version");
        if (version != Version) r.Fail($"version {Version}, found {version}", 4);
        long step = r.ReadInt64("step count");
        if (step < 0) r.Fail($"a non-negative step count, found {step}", 8);
        r.ReadParameterCount(_parameters);
        var m = new float[_parameters.Count][];
        var v = new float[_parameters.Count][];
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            r.ReadParameterHeader(p, i, MaxNameBytes);
            m[i] = r.ReadFloats(p.Length, $"first moment of '{p.Name}'");
            v[i] = r.ReadFloats(p.Length, $"second moment of '{p.Name}'");
        }
        for (int i = 0; i < m.Length; i++)
        {
            m[i].CopyTo(_m[i], 0);
            v[i].CopyTo(_v[i], 0);
        }
        StepCount = step;
    }
}
