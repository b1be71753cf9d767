// "word/TAG word/TAG ...": the words forced in order, one tag from a set after each; the output language of pos.
using System.Text;

namespace Quill.Tasks.Automata;

/// <summary>A state of <see cref="TaggedWordsAutomaton"/>: word <c>Word</c>, in its literal at byte <c>At</c> or in its tag at trie node <c>At</c>.</summary>
internal readonly record struct TaggedWordState(bool InTag, int Word, int At);

/// <summary>
/// Accepts exactly "w1/T1 w2/T2 … wn/Tn" for the given words, each T one of the tags: the words are forced, so the model
/// decides only the tags. With no words only the empty output is accepted.
/// </summary>
internal sealed class TaggedWordsAutomaton : InternedAutomaton<TaggedWordState>
{
    private readonly byte[][] _literals; // (n) " w/" (no leading space for the first word)
    private readonly LiteralTrie _tags;
    private readonly int[] _after;       // (n+1) fewest bytes from the start of word i's literal to the end

    public TaggedWordsAutomaton(IReadOnlyList<string> words, IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(words);
        _tags = new LiteralTrie(tags);
        _literals = new byte[words.Count][];
        for (int i = 0; i < words.Count; i++) _literals[i] = Encoding.UTF8.GetBytes((i > 0 ? " " : "") + words[i] + "/");
        _after = new int[words.Count + 1];
        for (int i = words.Count - 1; i >= 0; i--) _after[i] = _after[i + 1] + _literals[i].Length + _tags.Shortest;
    }

    protected override TaggedWordState StartKey => new(false, 0, 0);

    protected override bool TryStep(in TaggedWordState key, byte value, out TaggedWordState next)
    {
        next = default;
        if (key.Word >= _literals.Length) return false;
        if (!key.InTag)
        {
            byte[] literal = _literals[key.Word];
            if (literal[key.At] != value) return false;
            next = key.At + 1 < literal.Length ? key with { At = key.At + 1 } : new TaggedWordState(true, key.Word, 0);
            return true;
        }
        int child = _tags.Next(key.At, value);
        if (child >= 0)
        {
            next = key with { At = child };
            return true;
        }
        if (_tags.Value(key.At) < 0 || key.Word + 1 >= _literals.Length || _literals[key.Word + 1][0] != value) return false;
        next = _literals[key.Word + 1].Length > 1 ? new TaggedWordState(false, key.Word + 1, 1) : new TaggedWordState(true, key.Word + 1, 0);
        return true;
    }

    protected override int CostOf(in TaggedWordState key)
    {
        if (_literals.Length == 0) return 0;
        if (!key.InTag) return _literals[key.Word].Length - key.At + _tags.Shortest + _after[key.Word + 1];
        int distance = _tags.Distance(key.At);
        return distance == int.MaxValue ? int.MaxValue : distance + _after[key.Word + 1];
    }
}
