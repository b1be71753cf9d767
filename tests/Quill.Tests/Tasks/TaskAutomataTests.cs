// The task automata on their own: word boundaries and code point offsets, span lines and tagged words, each walked at random.
using System.Text;
using Quill.Generation.Constraints;
using Quill.Tasks.Automata;
using Quill.Tasks.Text;

namespace Quill.Tests.Tasks;

public sealed class TaskAutomataTests
{
    private const string Mixed = "Zoë met Ada in São Paulo 😀 on 12.5 days; well-known don't-stop\nNew line: Nebo.";

    [Fact]
    public void OffsetsCountCodePointsAsPythonDoes()
    {
        var offsets = new TextOffsets(Mixed);
        int[] codePoints = [.. Mixed.EnumerateRunes().Select(r => r.Value)];
        foreach ((int start, int end) in offsets.Tokens())
        {
            string word = offsets.Slice(start, end);
            int s = offsets.CodePointOffset(start), e = offsets.CodePointOffset(end);
            string byCodePoints = string.Concat(codePoints[s..e].Select(char.ConvertFromUtf32));
            Assert.Equal(word, byCodePoints);
        }
        string[] words = [.. offsets.WordStarts.Select((s, i) => offsets.Slice(s, offsets.WordEnds[i]))];
        Assert.Equal(["Zoë", "met", "Ada", "in", "São", "Paulo", "on", "12", "5", "days", "well-known", "don't-stop", "New", "line", "Nebo"], words);
        string[] tokens = [.. offsets.Tokens().Select(t => offsets.Slice(t.Start, t.End))];
        Assert.Contains("😀", tokens);
        Assert.Contains(";", tokens);
        Assert.Equal(".", tokens[^1]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomWalksThroughSpanLinesEndInValidLines(int seed)
    {
        var offsets = new TextOffsets(Mixed);
        string[] labels = ["person", "place", "per"];
        var automaton = new SpanLinesAutomaton(offsets, labels, maxLines: 4, allowEmpty: true);
        var random = new Random(seed);
        for (int walk = 0; walk < 200; walk++)
        {
            byte[] output = Walk(automaton, random, out bool accepted);
            Assert.True(accepted);
            string text = Encoding.UTF8.GetString(output);
            if (text.Length == 0) continue;
            string[] lines = text.Split('\n');
            Assert.InRange(lines.Length, 1, 4);
            foreach (string line in lines)
            {
                string? label = labels.FirstOrDefault(l => line.StartsWith(l + ": ", StringComparison.Ordinal));
                Assert.True(label is not null, $"'{line}' starts with no label");
                string span = line[(label.Length + 2)..];
                Assert.True(automaton.Spans.Locate(Encoding.UTF8.GetBytes(span), 0) >= 0, $"'{span}' is not a span of the text");
            }
        }
    }

    [Fact]
    public void SpanCostsAreTheShortestDistanceToAcceptance()
    {
        var offsets = new TextOffsets("ab cd, abc\nab x");
        var automaton = new SpanLinesAutomaton(offsets, labels: null, maxLines: 2, allowEmpty: false);
        // Breadth-first from every state reached in a bounded exploration; the automaton's cost must equal the BFS depth.
        var states = new List<int> { automaton.Start };
        var seen = new HashSet<int> { automaton.Start };
        for (int i = 0; i < states.Count && states.Count < 400; i++)
        {
            for (int b = 0; b < 256; b++)
            {
                int next = automaton.Step(states[i], (byte)b);
                if (next >= 0 && seen.Add(next)) states.Add(next);
            }
        }
        foreach (int state in states) Assert.Equal(Bfs(automaton, state), automaton.Cost(state));
    }

    [Fact]
    public void TaggedWordsForceTheWordsAndAllowOnlyTags()
    {
        string[] words = ["The", "ship", "sailed", "."];
        string[] tags = ["DET", "NOUN", "VERB", "PUNCT", "NUM"];
        var automaton = new TaggedWordsAutomaton(words, tags);
        var random = new Random(5);
        for (int walk = 0; walk < 100; walk++)
        {
            string text = Encoding.UTF8.GetString(Walk(automaton, random, out bool accepted));
            Assert.True(accepted);
            string[] pairs = text.Split(' ');
            Assert.Equal(words.Length, pairs.Length);
            for (int i = 0; i < words.Length; i++)
            {
                int slash = pairs[i].LastIndexOf('/');
                Assert.Equal(words[i], pairs[i][..slash]);
                Assert.Contains(pairs[i][(slash + 1)..], tags);
            }
        }
        var empty = new TaggedWordsAutomaton([], tags);
        Assert.Equal(0, empty.Cost(empty.Start));
    }

    [Fact]
    public void ATextWithoutWordsAllowsOnlyTheEmptyOutput()
    {
        var automaton = new SpanLinesAutomaton(new TextOffsets("... !!"), ["x"], maxLines: 3, allowEmpty: true);
        Assert.Equal(0, automaton.Cost(automaton.Start));
        Assert.All(Enumerable.Range(0, 256), b => Assert.Equal(-1, automaton.Step(automaton.Start, (byte)b)));
        var answer = new SpanLinesAutomaton(new TextOffsets("... !!"), null, maxLines: 1, allowEmpty: false);
        Assert.Equal(int.MaxValue, answer.Cost(answer.Start));
    }

    /// <summary>Steps through random allowed bytes, stopping at an accepting state with probability 1/3, until acceptance is forced.</summary>
    internal static byte[] Walk(IByteAutomaton automaton, Random random, out bool accepted)
    {
        var output = new List<byte>();
        int state = automaton.Start;
        for (int step = 0; step < 400; step++)
        {
            if (automaton.Cost(state) == 0 && (random.Next(3) == 0 || step > 200)) break;
            var next = new List<(byte, int)>();
            for (int b = 0; b < 256; b++)
            {
                int s = automaton.Step(state, (byte)b);
                if (s >= 0) next.Add(((byte)b, s));
            }
            if (next.Count == 0) break;
            // Prefer moves that get closer to acceptance late in the walk so it ends.
            if (step > 100) next = [.. next.Where(n => automaton.Cost(n.Item2) < automaton.Cost(state)).DefaultIfEmpty(next[0])];
            (byte value, int to) = next[random.Next(next.Count)];
            output.Add(value);
            state = to;
        }
        accepted = automaton.Cost(state) == 0;
        return [.. output];
    }

    private static int Bfs(IByteAutomaton automaton, int from)
    {
        var frontier = new List<int> { from };
        var seen = new HashSet<int> { from };
        for (int depth = 0; depth < 64; depth++)
        {
            if (frontier.Any(s => automaton.Cost(s) == 0)) return depth;
            var next = new List<int>();
            foreach (int s in frontier)
            {
                for (int b = 0; b < 256; b++)
                {
                    int t = automaton.Step(s, (byte)b);
                    if (t >= 0 && seen.Add(t)) next.Add(t);
                }
            }
            if (next.Count == 0) return int.MaxValue;
            frontier = next;
        }
        return int.MaxValue;
    }
}
