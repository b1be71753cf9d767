// Instruction data: loss only on answers (ChatML and prompt/completion), malformed lines counted or refused, truncation.
using Quill.Tokenizers.ChatTemplates;
using Quill.Training.Data;
using T = Quill.Training.Tests.Data.ChatByteTokenizer;

namespace Quill.Training.Tests.Data;

public class InstructionDatasetTests
{
    private static readonly T Tokenizer = new();
    private static readonly ChatTemplate ChatMl = ChatTemplate.BuiltIn("chatml");
    private const string Valid = """{"prompt":"p","completion":"c"}""";

    private static InstructionDataset Load(int maxLength = 512, bool strict = false, params string[] lines) =>
        InstructionDataset.FromLines(lines, "data.jsonl", Tokenizer, ChatMl, maxLength, strict);

    private static int[] TrainedTargets(TrainingExample e) => [.. e.Targets.Where(t => t != TrainingExample.IgnoreIndex)];

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"Hi there"}]}""", new[] { "Hi there" })]
    [InlineData("""{"messages":[{"role":"system","content":"be kind"},{"role":"user","content":"q"},{"role":"assistant","content":"A"}]}""", new[] { "A" })]
    [InlineData("""{"messages":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"},""" +
        """{"role":"assistant","content":"a2!"}]}""", new[] { "a1", "a2!" })]
    public void Chat_trains_only_assistant_tokens_and_their_end_of_turn(string line, string[] answers)
    {
        InstructionDataset data = Load(lines: line);
        TrainingExample e = Assert.Single(Enumerable.Range(0, data.Count).Select(i => data[i]));
        int[] expected = [.. answers.SelectMany(a => T.Ids(a).Append(T.ImEnd))];
        Assert.Equal(expected, TrainedTargets(e));
        // Inputs are the whole rendered conversation (ChatML starts without BOS, so the tokenizer adds it), targets shifted.
        Assert.Equal(T.Bos, e.Inputs[0]);
        Assert.Equal(e.Inputs.Length, e.Targets.Length);
        for (int t = 0; t + 1 < e.Length; t++)
            if (e.Targets[t] != TrainingExample.IgnoreIndex) Assert.Equal(e.Inputs[t + 1], e.Targets[t]);
        // The first trained target follows the generation prompt "<|im_start|>assistant\n".
        int first = Array.FindIndex(e.Targets, t => t != TrainingExample.IgnoreIndex);
        Assert.Equal([T.ImStart, .. T.Ids("assistant\n")], e.Inputs[(first - 10)..(first + 1)]);
    }

    [Fact]
    public void Prompt_completion_trains_completion_and_eos()
    {
        TrainingExample e = Load(lines: """{"prompt":"Say hi: ","completion":"hi"}""")[0];
        Assert.Equal([T.Bos, .. T.Ids("Say hi: "), .. T.Ids("hi")], e.Inputs);
        Assert.Equal([.. Enumerable.Repeat(TrainingExample.IgnoreIndex, 8), .. T.Ids("hi"), T.Eos], e.Targets);
    }

    [Theory]
    [InlineData("not json", "invalid JSON")]
    [InlineData("{\"prompt\":\"p\",", "invalid JSON")]
    [InlineData("", "an empty line")]
    [InlineData("   ", "an empty line")]
    [InlineData("[1,2]", "a JSON object was expected")]
    [InlineData("""{"other":1}""", "neither")]
    [InlineData("""{"messages":"x"}""", "must be an array")]
    [InlineData("""{"messages":[]}""", "no non-empty assistant")]
    [InlineData("""{"messages":[{"role":"user"}]}""", "\"role\" and \"content\"")]
    [InlineData("""{"messages":[{"role":"user","content":3}]}""", "\"role\" and \"content\"")]
    [InlineData("""{"messages":["hi"]}""", "\"role\" and \"content\"")]
    [InlineData("""{"messages":[{"role":"user","content":"q"}]}""", "no non-empty assistant")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":""}]}""", "no non-empty assistant")]
    [InlineData("""{"prompt":"p"}""", "\"completion\" is missing")]
    [InlineData("""{"prompt":1,"completion":"c"}""", "\"prompt\" must be a string")]
    [InlineData("""{"prompt":"p","completion":null}""", "\"completion\" must be a string")]
    [InlineData("""{"prompt":"p","completion":""}""", "\"completion\" is empty")]
    public void Malformed_lines_are_skipped_counted_and_located(string bad, string reason)
    {
        InstructionDataset data = Load(lines: [Valid, bad, Valid]);
        Assert.Equal(2, data.Count);
        Assert.Equal(1, data.Report.Skipped);
        Assert.Equal([2], data.Report.SkippedLines);
        Assert.Contains(reason, Assert.Single(data.Report.Reasons));

        var e = Assert.Throws<InvalidDataException>(() => Load(strict: true, lines: [Valid, bad, Valid]));
        Assert.StartsWith("data.jsonl: ", e.Message);
        Assert.EndsWith("at line 2", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Only_the_first_few_skipped_lines_are_listed_but_all_are_counted()
    {
        string[] lines = [Valid, .. Enumerable.Repeat("oops", 8)];
        DatasetReport report = Load(lines: lines).Report;
        Assert.Equal(8, report.Skipped);
        Assert.Equal([2, 3, 4, 5, 6], report.SkippedLines);
        Assert.Equal(1, report.Examples);
        Assert.Contains("8 skipped (lines 2, 3, 4, 5, 6, ...)", report.ToString());
    }

    [Theory]
    [InlineData(4, 4, 1)]
    [InlineData(11, 11, 1)]
    [InlineData(12, 12, 0)]
    [InlineData(100, 12, 0)]
    public void Long_examples_are_truncated_and_reported(int maxLength, int length, int truncated)
    {
        // BOS + "prompt" + "hello" + EOS = 13 tokens, 12 inputs.
        InstructionDataset data = Load(maxLength, lines: """{"prompt":"prompt","completion":"hello"}""");
        Assert.Equal(length, data[0].Length);
        Assert.Equal(truncated, data.Report.Truncated);
    }
}

public class InstructionDatasetTemplateTests
{
    private static readonly ChatByteTokenizer Tokenizer = new();

    [Fact]
    public void A_template_that_writes_bos_itself_gets_no_second_bos_and_its_eos_is_trained()
    {
        ChatTemplate llama2 = ChatTemplate.BuiltIn("llama2");
        InstructionDataset data = InstructionDataset.FromLines(
            ["""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"A"}]}"""], "l2.jsonl", Tokenizer, llama2, 512);
        TrainingExample e = data[0];
        Assert.Equal(ChatByteTokenizer.Bos, e.Inputs[0]);
        Assert.Equal(1, e.Inputs.Count(t => t == ChatByteTokenizer.Bos));
        Assert.Equal([.. ChatByteTokenizer.Ids(" A "), ChatByteTokenizer.Eos], e.Targets.Where(t => t != TrainingExample.IgnoreIndex));
    }

    [Fact]
    public void A_conversation_the_template_refuses_is_skipped()
    {
        ChatTemplate llama2 = ChatTemplate.BuiltIn("llama2");
        InstructionDataset data = InstructionDataset.FromLines(
            ["""{"messages":[{"role":"user","content":"q"},{"role":"user","content":"q"},{"role":"assistant","content":"A"}]}"""],
            "l2.jsonl", Tokenizer, llama2, 512);
        Assert.Equal(0, data.Count);
        Assert.Contains("refused", Assert.Single(data.Report.Reasons));
    }
}
