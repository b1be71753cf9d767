// AdamW with decoupled weight decay as torch.optim.AdamW, and its state saved to a stream; not a schedule, not clipping.
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
            var name = Encoding.UTF8.GetBytes(_parameters[i].Name);
            w.Write(name.Length);
            w.Write(name);
            w.Write(_m[i].Length);
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
        var r = new StateReader(stream);
        uint magic = r.ReadUInt32("magic");
        if (magic != Magic) StateReader.Fail($"magic \"QADW\", found 0x{magic:X8}", 0);
        int version = r.ReadInt32("version");
        if (version != Version) StateReader.Fail($"version {Version}, found {version}", 4);
        long step = r.ReadInt64("step count");
        if (step < 0) StateReader.Fail($"a non-negative step count, found {step}", 8);
        long countAt = r.Position;
        int count = r.ReadInt32("parameter count");
        if (count != _parameters.Count) StateReader.Fail($"{_parameters.Count} parameters, found {count}", countAt);
        var m = new float[count][];
        var v = new float[count][];
        for (int i = 0; i < count; i++)
        {
            var p = _parameters[i];
            long nameAt = r.Position;
            int nameBytes = r.ReadInt32("name length");
            if (nameBytes < 0 || nameBytes > MaxNameBytes) StateReader.Fail($"a name of 0..{MaxNameBytes} bytes, found {nameBytes}", nameAt);
            string name = Encoding.UTF8.GetString(r.ReadBytes(nameBytes, "name"));
            if (name != p.Name) StateReader.Fail($"parameter {i} named '{p.Name}', found '{name}'", nameAt);
            long lengthAt = r.Position;
            int length = r.ReadInt32("element count");
            if (length != p.Length) StateReader.Fail($"{p.Length} elements for '{p.Name}', found {length}", lengthAt);
            m[i] = r.ReadFloats(length, $"first moment of '{p.Name}'");
            v[i] = r.ReadFloats(length, $"second moment of '{p.Name}'");
        }
        for (int i = 0; i < count; i++)
        {
            m[i].CopyTo(_m[i], 0);
            v[i].CopyTo(_v[i], 0);
        }
        StepCount = step;
    }

    /// <summary>Reads exact byte counts and turns a short stream into one-line InvalidDataExceptions.</summary>
    private sealed class StateReader(Stream stream)
    {
        private readonly byte[] _scalar = new byte[8];

        public long Position { get; private set; }

        public uint ReadUInt32(string what) { Fill(_scalar.AsSpan(0, 4), what); return BitConverter.ToUInt32(_scalar, 0); }
        public int ReadInt32(string what) { Fill(_scalar.AsSpan(0, 4), what); return BitConverter.ToInt32(_scalar, 0); }
        public long ReadInt64(string what) { Fill(_scalar.AsSpan(0, 8), what); return BitConverter.ToInt64(_scalar, 0); }

        public byte[] ReadBytes(int count, string what)
        {
            var bytes = new byte[count];
            Fill(bytes, what);
            return bytes;
        }

        public float[] ReadFloats(int count, string what)
        {
            var values = new float[count];
            Fill(MemoryMarshal.AsBytes(values.AsSpan()), what);
            return values;
        }

        private void Fill(Span<byte> buffer, string what)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                int read = stream.Read(buffer[done..]);
                if (read == 0) Fail($"{buffer.Length} bytes of {what}, found {done} before the end", Position);
                done += read;
            }
            Position += buffer.Length;
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public static void Fail(string expectedFound, long offset) =>
            throw new InvalidDataException($"{StateName}: expected {expectedFound}, at byte {offset}");
    }
}
