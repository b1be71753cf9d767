// Preference data: both prompt shapes, answer-only targets, malformed lines counted or refused, truncation and dropping.
using Quill.Tokenizers.ChatTemplates;
using Quill.Training.Data;
using Quill.Training.Preference;
using T = Quill.Training.Tests.Data.ChatByteTokenizer;

namespace Quill.Training.Tests.Preference;

public class PreferenceDatasetTests
{
    private static readonly T Tokenizer = new();
    private static readonly ChatTemplate ChatMl = ChatTemplate.BuiltIn("chatml");
    private const string Valid = """{"prompt":"p","chosen":"c","rejected":"r"}""";
    private const int Ignore = TrainingExample.IgnoreIndex;

    private static PreferenceDataset Load(int maxLength = 512, bool strict = false, params string[] lines) =>
        PreferenceDataset.FromLines(lines, "pairs.jsonl", Tokenizer, ChatMl, maxLength, strict);

    private static int[] TrainedTargets(TrainingExample e) => [.. e.Targets.Where(t => t != Ignore)];

    private static void AssertShifted(TrainingExample e)
    {
        Assert.Equal(e.Inputs.Length, e.Targets.Length);
        for (int t = 0; t + 1 < e.Length; t++)
            if (e.Targets[t] != Ignore) Assert.Equal(e.Inputs[t + 1], e.Targets[t]);
    }

    [Fact]
    public void String_prompt_is_rendered_as_prompt_completion_with_answer_and_eos_trained()
    {
        PreferenceDataset data = Load(lines: """{"prompt":"Q: ","chosen":"yes","rejected":"no"}""");
        Assert.Equal(1, data.Count);
        PreferencePair pair = data[0];
        Assert.Equal([T.Bos, .. T.Ids("Q: "), .. T.Ids("yes")], pair.Chosen.Inputs);
        Assert.Equal([Ignore, Ignore, Ignore, .. T.Ids("yes"), T.Eos], pair.Chosen.Targets);
        Assert.Equal([T.Bos, .. T.Ids("Q: "), .. T.Ids("no")], pair.Rejected.Inputs);
        Assert.Equal([Ignore, Ignore, Ignore, .. T.Ids("no"), T.Eos], pair.Rejected.Targets);
        Assert.Equal(1, pair.Line);
        Assert.Equal(7, pair.Length);
    }

    [Fact]
    public void String_prompt_matches_instruction_dataset_prompt_completion()
    {
        TrainingExample instruction = InstructionDataset.FromLines(["""{"prompt":"Say: ","completion":"hi"}"""], "x", Tokenizer, ChatMl, 512)[0];
        PreferencePair pair = Load(lines: """{"prompt":"Say: ","chosen":"hi","rejected":"ho"}""")[0];
        Assert.Equal(instruction.Inputs, pair.Chosen.Inputs);
        Assert.Equal(instruction.Targets, pair.Chosen.Targets);
    }

    [Theory]
    [InlineData("""{"prompt":[{"role":"user","content":"q"}],"chosen":"Yes","rejected":"No"}""")]
    [InlineData("""{"prompt":[{"role":"user","content":"q"}],"chosen":{"role":"assistant","content":"Yes"},"rejected":{"role":"assistant","content":"No"}}""")]
    [InlineData("""{"prompt":[{"role":"user","content":"q"}],"chosen":[{"role":"assistant","content":"Yes"}]""" +
        ""","rejected":[{"role":"assistant","content":"No"}]}""")]
    public void Messages_prompt_is_rendered_with_the_chat_template_and_trains_only_the_answer(string line)
    {
        PreferencePair pair = Load(lines: line)[0];
        Assert.Equal([.. T.Ids("Yes"), T.ImEnd], TrainedTargets(pair.Chosen));
        Assert.Equal([.. T.Ids("No"), T.ImEnd], TrainedTargets(pair.Rejected));
        // Same as the instruction dataset renders the conversation with the answer as the assistant turn.
        TrainingExample instruction = InstructionDataset.FromLines(
            ["""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"Yes"}]}"""], "x", Tokenizer, ChatMl, 512)[0];
        Assert.Equal(instruction.Inputs, pair.Chosen.Inputs);
        Assert.Equal(instruction.Targets, pair.Chosen.Targets);
        AssertShifted(pair.Chosen);
        AssertShifted(pair.Rejected);
    }

    [Fact]
    public void Earlier_assistant_turns_of_a_messages_prompt_are_not_trained()
    {
        PreferencePair pair = Load(lines: """{"prompt":[{"role":"system","content":"s"},{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},""" +
            """{"role":"user","content":"q2"}],"chosen":"good","rejected":"bad"}""")[0];
        Assert.Equal([.. T.Ids("good"), T.ImEnd], TrainedTargets(pair.Chosen));
        Assert.Equal([.. T.Ids("bad"), T.ImEnd], TrainedTargets(pair.Rejected));
        // The prompt is shared: both sequences agree up to the first answer token.
        int first = Array.FindIndex(pair.Chosen.Targets, t => t != Ignore);
        Assert.Equal(pair.Chosen.Inputs[..(first + 1)], pair.Rejected.Inputs[..(first + 1)]);
        Assert.Equal([T.ImStart, .. T.Ids("assistant\n")], pair.Chosen.Inputs[(first - 10)..(first + 1)]);
    }

    [Theory]
    [InlineData("not json", "invalid JSON")]
    [InlineData("", "an empty line")]
    [InlineData("[1]", "a JSON object was expected")]
    [InlineData("""{"chosen":"c","rejected":"r"}""", "\"prompt\" is missing")]
    [InlineData("""{"prompt":"p","rejected":"r"}""", "\"chosen\" is missing")]
    [InlineData("""{"prompt":"p","chosen":"c"}""", "\"rejected\" is missing")]
    [InlineData("""{"prompt":3,"chosen":"c","rejected":"r"}""", "\"prompt\" must be a string or an array")]
    [InlineData("""{"prompt":"p","chosen":"","rejected":"r"}""", "\"chosen\" is empty")]
    [InlineData("""{"prompt":"p","chosen":"c","rejected":7}""", "\"rejected\" must be a string or one assistant message")]
    [InlineData("""{"prompt":"p","chosen":{"role":"user","content":"c"},"rejected":"r"}""", "\"chosen\" must be a string or one assistant message")]
    [InlineData("""{"prompt":"p","chosen":[{"role":"assistant","content":"a"},{"role":"assistant","content":"b"}],"rejected":"r"}""", "\"chosen\" must be")]
    [InlineData("""{"prompt":[],"chosen":"c","rejected":"r"}""", "an empty \"prompt\" array")]
    [InlineData("""{"prompt":[{"role":"user"}],"chosen":"c","rejected":"r"}""", "\"role\" and \"content\"")]
    public void Malformed_lines_are_skipped_counted_and_located_or_refused_when_strict(string bad, string reason)
    {
        PreferenceDataset data = Load(lines: [Valid, bad, Valid]);
        Assert.Equal(2, data.Count);
        Assert.Equal(1, data.Report.Skipped);
        Assert.Equal([2], data.Report.SkippedLines);
        Assert.Contains(reason, Assert.Single(data.Report.Reasons));
        Assert.Equal([1, 3], new[] { data[0].Line, data[1].Line });

        var e = Assert.Throws<InvalidDataException>(() => Load(strict: true, lines: [Valid, bad, Valid]));
        Assert.StartsWith("pairs.jsonl: ", e.Message);
        Assert.EndsWith("at line 2", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Report_counts_every_skipped_line_and_lists_the_first_ones()
    {
        string[] lines = [.. Enumerable.Range(0, 9).Select(i => i % 3 == 0 ? Valid : "bad")];
        PreferenceDataset data = Load(lines: lines);
        Assert.Equal(3, data.Count);
        Assert.Equal(6, data.Report.Skipped);
        Assert.Equal([2, 3, 5, 6, 8], data.Report.SkippedLines);
        Assert.Contains("6 skipped (lines 2, 3, 5, 6, 8, ...)", data.Report.ToString());
    }

    [Fact]
    public void Long_pairs_are_cut_at_the_end_and_counted()
    {
        // BOS "Q" then the answer: with 4 inputs "abcdef" keeps the targets "abc", while "xy" keeps "xy" and EOS.
        PreferenceDataset data = Load(maxLength: 4, lines: """{"prompt":"Q","chosen":"abcdef","rejected":"xy"}""");
        PreferencePair pair = Assert.Single(Enumerable.Range(0, data.Count).Select(i => data[i]));
        Assert.Equal([T.Bos, .. T.Ids("Qab")], pair.Chosen.Inputs);
        Assert.Equal([Ignore, .. T.Ids("abc")], pair.Chosen.Targets);
        Assert.Equal([Ignore, .. T.Ids("xy"), T.Eos], pair.Rejected.Targets);
        Assert.Equal(1, data.Report.Truncated);
        Assert.Equal(0, data.Report.Skipped);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pairs_whose_answer_would_be_cut_away_are_dropped_and_reported_even_when_strict(bool strict)
    {
        // The prompt alone fills 4 inputs, so no answer token remains a target.
        PreferenceDataset data = Load(maxLength: 4, strict: strict, lines: [Valid, """{"prompt":"long prompt","chosen":"c","rejected":"r"}"""]);
        Assert.Equal(1, data.Count);
        Assert.Equal(1, data.Report.Skipped);
        Assert.Equal([2], data.Report.SkippedLines);
        Assert.Contains("maximum length of 4", Assert.Single(data.Report.Reasons));
    }

    [Theory]
    [InlineData(7, 3, 5, 2)]
    [InlineData(7, 1, 7, 0)]
    [InlineData(2, 3, 2, 0)]
    public void Every_kth_pair_is_held_out_for_validation(int pairs, int k, int train, int validation)
    {
        var lines = Enumerable.Range(0, pairs).Select(i => $$"""{"prompt":"p{{i}}","chosen":"c","rejected":"r"}""").ToArray();
        var (trainSplit, validationSplit) = Load(lines: lines).SplitEveryKth(k);
        Assert.Equal(train, trainSplit.Count);
        Assert.Equal(validation, validationSplit?.Count ?? 0);
        if (validationSplit is not null) Assert.Equal(k, validationSplit[0].Line); // lines are 1-based: pair k−1 is line k
    }
}
