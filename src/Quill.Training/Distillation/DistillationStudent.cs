// The ways a distillation student starts: a teacher's layers renumbered, or a GGUF checked for the teacher's vocabulary.
using System.Globalization;
using Quill.Formats.Gguf;
using Quill.Training.Model;

namespace Quill.Training.Distillation;

/// <summary>
/// <see cref="FromTeacher"/> copies the embeddings, every norm, the output head and the kept blocks (block keep[i] of the
/// teacher becomes block i); with every layer kept the student computes exactly the teacher's logits. A student of a
/// shape of its own is an ordinary <see cref="LlamaTrainingModel"/> with the teacher's vocabulary.
/// </summary>
public static class DistillationStudent
{
    /// <summary>A student of the teacher's shape with only <paramref name="keepLayers"/> (increasing teacher block indices).</summary>
    public static LlamaTrainingModel FromTeacher(LlamaTrainingModel teacher, IReadOnlyList<int> keepLayers, TrainingModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(keepLayers);
        CheckLayers(keepLayers, teacher.Config.Layers);
        var student = new LlamaTrainingModel(teacher.Config with { Layers = keepLayers.Count }, options);
        var source = teacher.Parameters.Parameters.ToDictionary(p => p.Name);
        foreach (var p in student.Parameters.Parameters)
        {
            string name = TeacherName(p.Name, keepLayers);
            if (!source.TryGetValue(name, out var from) || from.Length != p.Length)
                throw new InvalidOperationException($"the teacher has no weight '{name}' of {p.Length} values for the student's '{p.Name}'");
            from.Value.CopyTo(p.Value, 0);
        }
        return student;
    }

    /// <summary>Blocks 0, 2, 4, ... of a teacher of <paramref name="layers"/> blocks: half of them, the first always among them.</summary>
    public static int[] EveryOtherLayer(int layers) => [.. Enumerable.Range(0, (layers + 1) / 2).Select(i => 2 * i)];

    /// <summary>Parses "0,2,4" into block numbers (their range is checked against the teacher by <see cref="FromTeacher"/>).</summary>
    public static int[] ParseLayers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var layers = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int layer))
                throw new ArgumentException($"--keep-layers: expected comma-separated block numbers like 0,2,4, found '{part}' in '{text}'");
            layers.Add(layer);
        }
        return [.. layers];
    }

    /// <summary>
    /// Throws a one-line error unless the GGUF at <paramref name="studentPath"/> has exactly the teacher's token list, so
    /// that token i means the same to both.
    /// </summary>
    public static void RequireTeacherVocabulary(string studentPath, string teacherPath)
    {
        string[] student = Tokens(studentPath), teacher = Tokens(teacherPath);
        string studentName = Path.GetFileName(studentPath), teacherName = Path.GetFileName(teacherPath);
        if (student.Length != teacher.Length)
            throw new ArgumentException($"{studentName}: expected the teacher's vocabulary ({teacherName}, {teacher.Length:N0} tokens), found " +
                $"{student.Length:N0} tokens; a student must share its teacher's tokenizer");
        for (int i = 0; i < student.Length; i++)
            if (student[i] != teacher[i])
                throw new ArgumentException($"{studentName}: expected the teacher's vocabulary ({teacherName}), found token {i} '{student[i]}' where the " +
                    $"teacher has '{teacher[i]}'; a student must share its teacher's tokenizer");
    }

    private static string[] Tokens(string path)
    {
        using var file = GgufFile.Open(path);
        return file.GetStringArray("tokenizer.ggml.tokens")
            ?? throw new InvalidDataException($"{Path.GetFileName(path)}: expected a tokenizer (tokenizer.ggml.tokens), found none");
    }

    private static void CheckLayers(IReadOnlyList<int> layers, int teacherLayers)
    {
        if (layers.Count == 0) throw new ArgumentException("--keep-layers: expected at least one block to keep, found none");
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] < 0 || layers[i] >= teacherLayers)
                throw new ArgumentException($"--keep-layers: expected blocks 0..{teacherLayers - 1} of the teacher, found {layers[i]}");
            if (i > 0 && layers[i] <= layers[i - 1])
                throw new ArgumentException($"--keep-layers: expected increasing block numbers, found {layers[i]} after {layers[i - 1]}");
        }
    }

    /// <summary>blk.i.* of the student is blk.keep[i].* of the teacher; every other name is the same in both.</summary>
    private static string TeacherName(string studentName, IReadOnlyList<int> keepLayers)
    {
        if (!studentName.StartsWith("blk.", StringComparison.Ordinal)) return studentName;
        int dot = studentName.IndexOf('.', 4);
        int block = int.Parse(studentName.AsSpan(4, dot - 4), CultureInfo.InvariantCulture);
        return $"blk.{keepLayers[block]}{studentName[dot..]}";
    }
}
