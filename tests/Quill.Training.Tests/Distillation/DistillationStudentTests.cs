// Students made from a teacher's blocks: every block kept computes the teacher's logits exactly, a subset the teacher with only those blocks.
using Quill.Models.Llama;
using Quill.Training.Data;
using Quill.Training.Distillation;
using Quill.Training.Model;
using Quill.Training.Tests.Model;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Distillation;

public class DistillationStudentTests
{
    private static readonly LlamaConfig Config = TinyLlamaConfigs.Make(vocab: 37, dim: 16, layers: 5, heads: 4, kvHeads: 2, ffn: 24, context: 16);

    /// <summary>Two rows of 9 and 6 real tokens (the second padded).</summary>
    private static readonly Batch Batch = new(2, 9, [3, 1, 4, 1, 5, 9, 2, 6, 5, 35, 8, 9, 7, 9, 3, 0, 0, 0], new int[18], [9, 6]);

    internal static LlamaTrainingModel RandomTeacher(LlamaConfig? config = null, int seed = 1)
    {
        var model = new LlamaTrainingModel(config ?? Config, new TrainingModelOptions { Threads = 2 });
        var rng = new Random(seed);
        foreach (var p in model.Parameters.Parameters) RandomValues(rng, p.Length, 0.5f).CopyTo(p.Value, 0);
        return model;
    }

    /// <summary>The teacher's own layers run by hand: embedding, only the blocks <paramref name="keep"/>, final norm, head.</summary>
    private static float[] TeacherWithOnly(LlamaTrainingModel teacher, int[] keep)
    {
        int rows = Batch.BatchSize * Batch.SequenceLength, dim = teacher.Config.Dim;
        var positions = Enumerable.Range(0, rows).Select(r => r % Batch.SequenceLength).ToArray();
        float[] x = new float[rows * dim], y = new float[rows * dim];
        teacher.TokenEmbedding.Forward(Batch.Inputs, x);
        foreach (int l in keep)
        {
            teacher.Blocks[l].Forward(x, y, positions, Batch.Lengths);
            (x, y) = (y, x);
        }
        teacher.OutputNorm.Forward(x, y);
        var logits = new float[rows * teacher.Config.VocabSize];
        teacher.Head.Forward(y, logits);
        return logits;
    }

    [Fact]
    public void EveryBlockKeptGivesTheTeachersLogitsExactly()
    {
        var teacher = RandomTeacher();
        var expected = teacher.ForwardLogits(Batch).ToArray();
        var student = DistillationStudent.FromTeacher(teacher, [0, 1, 2, 3, 4], new TrainingModelOptions { Threads = 2 });
        Assert.NotSame(teacher.TokenEmbedding.Weight, student.TokenEmbedding.Weight); // copies, so training the student leaves the teacher alone
        Assert.True(expected.AsSpan().SequenceEqual(student.ForwardLogits(Batch)), "a student with every block differs from its teacher");
    }

    [Theory]
    [InlineData(new[] { 0, 2, 4 })]
    [InlineData(new[] { 1, 3 })]
    [InlineData(new[] { 4 })]
    public void KeptBlocksGiveTheTeacherWithOnlyThoseBlocks(int[] keep)
    {
        var teacher = RandomTeacher();
        var student = DistillationStudent.FromTeacher(teacher, keep, new TrainingModelOptions { Threads = 2 });
        Assert.Equal(keep.Length, student.Config.Layers);
        Assert.Equal(teacher.Config with { Layers = keep.Length }, student.Config);
        var expected = TeacherWithOnly(teacher, keep);
        Assert.True(expected.AsSpan().SequenceEqual(student.ForwardLogits(Batch)), $"blocks {string.Join(",", keep)} differ");
        Assert.Equal(teacher.Blocks[keep[^1]].Down.Weight, student.Blocks[^1].Down.Weight);
    }

    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(4, new[] { 0, 2 })]
    [InlineData(5, new[] { 0, 2, 4 })]
    public void EveryOtherLayerStartsAtTheFirst(int layers, int[] expected) => Assert.Equal(expected, DistillationStudent.EveryOtherLayer(layers));

    [Theory]
    [InlineData(new[] { 0, 5 }, "expected blocks 0..4 of the teacher, found 5")]
    [InlineData(new[] { 2, 1 }, "expected increasing block numbers, found 1 after 2")]
    [InlineData(new[] { 1, 1 }, "expected increasing block numbers, found 1 after 1")]
    [InlineData(new int[0], "at least one block")]
    public void BadBlockListsAreOneLineErrors(int[] keep, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DistillationStudent.FromTeacher(RandomTeacher(), keep));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ParsesCommaSeparatedBlockNumbers()
    {
        Assert.Equal([0, 2, 4], DistillationStudent.ParseLayers("0,2, 4"));
        var e = Assert.Throws<ArgumentException>(() => DistillationStudent.ParseLayers("0,two"));
        Assert.Contains("found 'two'", e.Message);
    }
}
