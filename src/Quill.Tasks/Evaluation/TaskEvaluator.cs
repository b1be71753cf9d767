// Scores a model on labelled task examples, beside simple baselines: accuracy, entity F1 and exact match per task.
using Quill.Embeddings;
using Quill.Tasks.Embedding;
using Quill.Tasks.Generative;
using Quill.Tasks.Text;

namespace Quill.Tasks.Evaluation;

/// <summary>
/// One system's score on one task. <see cref="ExactMatch"/> is the share of examples whose whole reply equals the gold
/// one (classify: accuracy; ner: the same entities, in order; qa: the same answer); <see cref="F1"/> is ner's micro F1
/// over (type, word) pairs, null for the other tasks.
/// </summary>
public sealed record TaskScore(string Task, string System, int Examples, double ExactMatch, double? F1);

/// <summary>
/// Runs a model (<see cref="GenerativeTasks"/>) and the baselines over labelled examples. Baselines, so a score means
/// something: <b>majority</b> (classify: the most frequent gold label of the examples themselves), <b>zero-shot
/// embedder</b> (classify, when an embedder is given), <b>capitalized words</b> (ner: every run of capitalized words not
/// opening a sentence, typed with the most frequent gold type) and <b>first new name</b> (qa: the first capitalized word
/// of the context that the question does not hold).
/// </summary>
public static class TaskEvaluator
{
    public static List<TaskScore> Evaluate(IReadOnlyList<TaskExample> examples, GenerativeTasks? model, ITextEmbedder? embedder,
        Action<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var scores = new List<TaskScore>();
        int done = 0;
        foreach (IGrouping<string, TaskExample> group in examples.GroupBy(e => e.Task).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            TaskExample[] items = [.. group];
            if (model is not null)
            {
                string[] predictions = [.. items.Select(e =>
                {
                    string p = TaskTrainingData.Predict(model, e, ct);
                    progress?.Invoke(++done);
                    return p;
                })];
                scores.Add(Score(group.Key, "model", items, predictions));
            }
            switch (group.Key)
            {
                case "classify":
                    string majority = items.GroupBy(e => e.Label).MaxBy(g => g.Count())!.Key!;
                    scores.Add(Score("classify", "majority label", items, [.. items.Select(_ => majority)]));
                    if (embedder is not null)
                    {
                        var zeroShot = new ZeroShotClassifier(embedder);
                        scores.Add(Score("classify", "zero-shot embedder", items, [.. items.Select(e => zeroShot.Classify(e.Text, e.Choices, ct)[0].Label)]));
                    }
                    break;
                case "ner":
                    string type = items.SelectMany(e => e.Entities).GroupBy(e => e.Entity).MaxBy(g => g.Count())?.Key ?? items[0].Choices[0];
                    scores.Add(Score("ner", "capitalized words", items, [.. items.Select(e => CapitalizedRuns(e.Text, type))]));
                    break;
                default:
                    scores.Add(Score("qa", "first new name", items, [.. items.Select(FirstNewName)]));
                    break;
            }
        }
        return scores;
    }

    private static TaskScore Score(string task, string system, TaskExample[] items, string[] predictions)
    {
        int exact = 0;
        long truePositives = 0, predicted = 0, gold = 0;
        for (int i = 0; i < items.Length; i++)
        {
            if (predictions[i] == items[i].Reply) exact++;
            if (task != "ner") continue;
            var goldPairs = items[i].Reply.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            string[] predictedPairs = predictions[i].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            predicted += predictedPairs.Length;
            gold += goldPairs.Count;
            foreach (string pair in predictedPairs)
            {
                if (goldPairs.Remove(pair)) truePositives++;
            }
        }
        double? f1 = task == "ner" ? (predicted + gold == 0 ? 1 : 2.0 * truePositives / (predicted + gold)) : null;
        return new TaskScore(task, system, items.Length, (double)exact / items.Length, f1);
    }

    private static string CapitalizedRuns(string text, string type)
    {
        var offsets = new TextOffsets(text);
        var runs = new List<string>();
        int runStart = -1, runEnd = -1;
        for (int w = 0; w < offsets.WordStarts.Length; w++)
        {
            int start = offsets.WordStarts[w], end = offsets.WordEnds[w];
            bool capital = char.IsUpper(offsets.Slice(start, end)[0]) && !OpensSentence(offsets, w);
            if (capital && runStart >= 0 && OnlySpaces(offsets, runEnd, start)) runEnd = end;
            else if (capital) (runStart, runEnd) = (start, end);
            if (!capital || w == offsets.WordStarts.Length - 1 || !OnlySpaces(offsets, end, offsets.WordStarts[w + 1]))
            {
                if (runStart >= 0) runs.Add($"{type}: {offsets.Slice(runStart, runEnd)}");
                runStart = -1;
            }
        }
        return string.Join("\n", runs);
    }

    private static bool OpensSentence(TextOffsets offsets, int word)
    {
        if (word == 0) return true;
        string between = offsets.Slice(offsets.WordEnds[word - 1], offsets.WordStarts[word]);
        return between.Contains('.') || between.Contains(';') || between.Contains(':') || between.Contains('\n');
    }

    private static bool OnlySpaces(TextOffsets offsets, int from, int to) => offsets.Slice(from, to).All(c => c == ' ');

    private static string FirstNewName(TaskExample example)
    {
        var offsets = new TextOffsets(example.Text);
        var asked = new TextOffsets(example.Question!);
        var question = new HashSet<string>(asked.WordStarts.Select((s, i) => asked.Slice(s, asked.WordEnds[i])));
        for (int w = 0; w < offsets.WordStarts.Length; w++)
        {
            string word = offsets.Slice(offsets.WordStarts[w], offsets.WordEnds[w]);
            if (char.IsUpper(word[0]) && !OpensSentence(offsets, w) && !question.Contains(word)) return word;
        }
        return "";
    }
}
