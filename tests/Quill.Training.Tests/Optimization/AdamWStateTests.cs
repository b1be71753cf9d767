// AdamW state: a save/load round trip continues bit for bit; broken state files fail with one line.
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class AdamWStateTests
{
    private static (ParameterSet Set, AdamW Adam) Make(int seed)
    {
        var rng = new Random(seed);
        var set = new ParameterSet();
        set.Add("w", Enumerable.Range(0, 37).Select(_ => (float)rng.NextDouble()).ToArray(), new float[37]);
        set.Add("b", Enumerable.Range(0, 5).Select(_ => (float)rng.NextDouble()).ToArray(), new float[5], decay: false);
        return (set, new AdamW(set, 1e-2f, weightDecay: 0.1f));
    }

    private static void StepWithGradients(ParameterSet set, AdamW adam, int step)
    {
        foreach (var p in set.Parameters)
            for (int i = 0; i < p.Length; i++) p.Grad[i] = MathF.Sin(step * 7 + i);
        adam.Step();
    }

    private static byte[] SavedAfterTwoSteps()
    {
        var (set, adam) = Make(1);
        StepWithGradients(set, adam, 0);
        StepWithGradients(set, adam, 1);
        var ms = new MemoryStream();
        adam.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void RoundTripGivesIdenticalNextSteps()
    {
        var (set, adam) = Make(1);
        StepWithGradients(set, adam, 0);
        StepWithGradients(set, adam, 1);
        var ms = new MemoryStream();
        adam.Save(ms);

        var (copySet, copy) = Make(1);
        for (int i = 0; i < set.Count; i++) set[i].Value.CopyTo(copySet[i].Value, 0);
        ms.Position = 0;
        copy.Load(ms);
        Assert.Equal(2, copy.StepCount);

        for (int step = 2; step < 5; step++)
        {
            StepWithGradients(set, adam, step);
            StepWithGradients(copySet, copy, step);
        }
        for (int i = 0; i < set.Count; i++)
        {
            Assert.Equal(set[i].Value, copySet[i].Value);
            Assert.Equal(adam.FirstMoment(i).ToArray(), copy.FirstMoment(i).ToArray());
            Assert.Equal(adam.SecondMoment(i).ToArray(), copy.SecondMoment(i).ToArray());
        }
    }

    public static TheoryData<string, string> Broken => new()
    {
        { "empty", "magic" },
        { "truncated header", "step count" },
        { "truncated moments", "second moment of 'b'" },
        { "wrong magic", "magic \"QADW\"" },
        { "wrong version", "version 1" },
        { "wrong count", "2 parameters, found 3" },
        { "wrong length", "37 elements for 'w', found 36" },
        { "wrong name", "named 'w'" },
        { "huge name", "a name of 0..4096 bytes" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void MalformedStateFailsWithOneLine(string damage, string expectedText)
    {
        var bytes = SavedAfterTwoSteps();
        // Layout: magic 0..4, version 4..8, step 8..16, count 16..20, name length 20..24, "w" 24, element count 25..29.
        bytes = damage switch
        {
            "empty" => [],
            "truncated header" => bytes[..12],
            "truncated moments" => bytes[..^3],
            "wrong magic" => Patch(bytes, 0, 0x12345678),
            "wrong version" => Patch(bytes, 4, 2),
            "wrong count" => Patch(bytes, 16, 3),
            "wrong length" => Patch(bytes, 25, 36),
            "wrong name" => PatchByte(bytes, 24, (byte)'x'),
            "huge name" => Patch(bytes, 20, int.MaxValue),
            _ => throw new ArgumentException(damage),
        };
        var (_, adam) = Make(2);
        var e = Assert.Throws<InvalidDataException>(() => adam.Load(new MemoryStream(bytes)));
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("AdamW state: expected ", e.Message);
        Assert.Contains(expectedText, e.Message);
        Assert.Equal(0, adam.StepCount); // nothing was changed
    }

    private static byte[] Patch(byte[] bytes, int offset, int value)
    {
        BitConverter.GetBytes(value).CopyTo(bytes, offset);
        return bytes;
    }

    private static byte[] PatchByte(byte[] bytes, int offset, byte value)
    {
        bytes[offset] = value;
        return bytes;
    }
}
