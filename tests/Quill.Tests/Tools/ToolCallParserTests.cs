// ToolCallParser on hand-written replies in every format: content, calls, ids, and pushing in pieces = pushing whole.
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;

namespace Quill.Tests.Tools;

public class ToolCallParserTests
{
    public static TheoryData<string, string, string?, string> Replies => new()
    {
        // format, reply, content, "name args|name args" of the calls
        { "hermes", "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>", null, "f {\"a\": 1}" },
        { "hermes", "Let me look.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"s\": \"}\\\"{\"}}\n</tool_call>\n<tool_call>\n" +
            "{\"name\": \"g\", \"arguments\": {}}\n</tool_call>", "Let me look.", "f {\"s\": \"}\\\"{\"}|g {}" },
        { "hermes", "No tools today.\n", "No tools today.\n", "" },
        { "hermes", "a <tool_cal b", "a <tool_cal b", "" },
        { "hermes", "<tool_call>not json", "<tool_call>not json", "" },
        { "hermes", "<tool_call>\n{\"arguments\": {\"x\": [1, 2]}, \"name\": \"late\"}\n</tool_call>", null, "late {\"x\": [1, 2]}" },
        { "hermes", "<tool_call>\n{\"name\": \"noargs\"}\n</tool_call>", null, "noargs {}" },
        { "llama3", "{\"name\": \"f\", \"parameters\": {\"q\": \"x\"}}", null, "f {\"q\": \"x\"}" },
        { "mistral", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": true}}, {\"name\": \"g\", \"arguments\": {\"b\": null}}]", null,
            "f {\"a\": true}|g {\"b\": null}" },
        { "generic", "Hm <tool_call>\n{\"name\": \"f\", \"arguments\": {\"n\": -1.5e3}}\n</tool_call>", "Hm", "f {\"n\": -1.5e3}" },
    };

    private static ToolCallFormat Format(string name) => name switch
    {
        "hermes" => ToolCallFormat.Hermes,
        "llama3" => ToolCallFormat.Llama3Json,
        "mistral" => ToolCallFormat.Mistral,
        _ => ToolCallFormat.Generic,
    };

    private static string Describe(IReadOnlyList<ChatToolCall> calls) => string.Join("|", calls.Select(c => $"{c.Name} {c.Arguments}"));

    [Theory]
    [MemberData(nameof(Replies))]
    public void ParsesWholeReplies(string format, string reply, string? content, string calls)
    {
        var (parsedContent, parsedCalls) = ToolCallParser.Parse(Format(format), reply);
        Assert.Equal(content, parsedContent);
        Assert.Equal(calls, Describe(parsedCalls));
        Assert.All(parsedCalls, c => Assert.StartsWith("call_", c.Id));
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void PiecesGiveTheSameAsWhole(string format, string reply, string? content, string calls)
    {
        for (int size = 1; size <= 7; size++)
        {
            var parser = new ToolCallParser(Format(format));
            var all = new ToolCallAccumulator();
            var indexes = new List<int>();
            for (int i = 0; i < reply.Length; i += size)
            {
                ToolCallUpdate update = parser.Push(reply.Substring(i, Math.Min(size, reply.Length - i)));
                all.Add(update);
                indexes.AddRange(update.Calls.Select(d => d.Index));
            }
            all.Add(parser.Finish());
            Assert.Equal(content, all.Content);
            Assert.Equal(calls, Describe(all.Calls));
            Assert.Equal(indexes.Order(), indexes); // deltas arrive by index, never back to an earlier call
        }
    }

    [Fact]
    public void FirstDeltaOfACallCarriesIdAndName()
    {
        var parser = new ToolCallParser(ToolCallFormat.Hermes, () => "call_1");
        ToolCallUpdate a = parser.Push("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\"");
        Assert.Equal([new ToolCallDelta(0, "call_1", "f", ""), new ToolCallDelta(0, null, null, "{\"a\"")], a.Calls);
        ToolCallUpdate b = parser.Push(": 2}}\n</tool_call>");
        Assert.Equal([new ToolCallDelta(0, null, null, ": 2}")], b.Calls);
        Assert.True(parser.Finish().IsEmpty);
    }
}
