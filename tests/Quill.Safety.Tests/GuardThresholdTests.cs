// GuardTraining's threshold rule and validation split, on made-up scores: each file and each language is held to the false-positive target.
namespace Quill.Safety.Tests;

public sealed class GuardThresholdTests
{
    private static GuardExample Benign(string language, string source = "a.jsonl", string group = "g") =>
        new("text", false, language, "ordinary", "train", group, source);

    private static GuardExample Attack(string language, string source = "a.jsonl", string group = "g") =>
        new("text", true, language, "override", "train", group, source);

    [Fact]
    public void One_language_false_alarms_raise_the_threshold_that_the_file_as_a_whole_would_allow()
    {
        // 40 benign rows in one file: English all at 0.10; German two of 20 at 0.80 and 0.60. The file as a whole allows two
        // (5 % of 40) at 0.30, but German allows one of its 20, so the threshold must pass 0.60.
        var rows = new List<GuardExample>();
        var scores = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            rows.Add(Benign("en"));
            scores.Add(0.10);
        }
        for (int i = 0; i < 20; i++)
        {
            rows.Add(Benign("de"));
            scores.Add(i switch { 0 => 0.80, 1 => 0.60, _ => 0.10 });
        }
        rows.Add(Attack("de"));
        scores.Add(0.95);
        Assert.Equal(0.61, GuardTraining.LowestThreshold(rows, [.. scores]), 12);

        // Every other German row relabelled French: each language now has 10 benign rows and one false alarm (0.80 German,
        // 0.60 French), and 5 % of 10 allows none, so the threshold must pass 0.80.
        GuardExample[] split = [.. rows.Select((r, i) => r.Language == "de" && i % 2 == 1 ? r with { Language = "fr" } : r)];
        Assert.Equal(0.81, GuardTraining.LowestThreshold(split, [.. scores]), 12);
    }

    [Fact]
    public void Without_false_alarms_the_lowest_grid_value_is_kept()
    {
        GuardExample[] rows = [Benign("en"), Benign("fr", "b.jsonl"), Attack("en")];
        Assert.Equal(0.30, GuardTraining.LowestThreshold(rows, [0.2, 0.25, 0.9]), 12);
    }

    [Fact]
    public void The_validation_split_takes_every_fifth_template_group_whole()
    {
        GuardExample[] train = [.. Enumerable.Range(0, 10).SelectMany(g => new[] { Attack("en", group: $"t{g}"), Benign("fr", group: $"t{g}") })];
        var (fit, validation) = GuardTraining.ValidationSplit(train);
        Assert.Equal(["t4", "t9"], validation.Select(r => r.Group).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(16, fit.Length);
        Assert.DoesNotContain(fit, r => r.Group is "t4" or "t9");
    }
}
