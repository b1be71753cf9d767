// A byte-at-a-time pushdown recognizer for the JSON a JsonGrammar allows, with shortest-completion costs; not token-aware.
using System.Runtime.CompilerServices;

namespace Quill.Generation.Constraints;

/// <summary>
/// Recognizes prefixes of the documents a <see cref="JsonGrammar"/> allows, one byte at a time. A state is a small
/// set of <see cref="JsonThread"/>s (more than one only while anyOf alternatives are ambiguous; at most
/// <see cref="MaxThreads"/>, extra parses are dropped, which narrows but never breaks the output). Frames below the
/// top live in an append-only arena, so a caller exploring many continuations rewinds <see cref="ArenaLength"/>
/// instead of copying stacks. Whitespace between tokens is limited to <see cref="MaxWhitespaceRun"/> bytes in a row,
/// none after the document; nesting to <see cref="MaxDepth"/> (System.Text.Json reads at most 64).
/// </summary>
internal sealed class JsonRecognizer
{
    public const int MaxThreads = 16;
    public const int MaxDepth = 48;
    public const int MaxWhitespaceRun = 12;

    private struct ArenaEntry
    {
        public JsonFrame Frame;
        public int Parent;
        public int Cost;  // shortest completion of this frame and all below it
        public int Depth; // frames from the bottom, this one included
    }

    private enum Outcome : byte { Reject, Consumed, Done, Refeed, Start }

    // Phases, per node kind.
    private const byte RootBefore = 0, RootAfter = 1;
    private const byte ObjStart = 0, ObjOpen = 1, ObjKey = 2, ObjColon = 3, ObjValue = 4, ObjAfterValue = 5, ObjComma = 6;
    private const byte ArrStart = 0, ArrOpen = 1, ArrAfterItem = 2, ArrComma = 3;
    private const byte StrStart = 0, StrChars = 1, StrEscape = 2, StrHex = 3, StrAfterHigh = 4, StrAfterHighSlash = 5, StrLowHex = 6, StrUtf8 = 7;
    private const byte NumStart = 0, NumMinus = 1, NumZero = 2, NumInt = 3, NumDot = 4, NumFrac = 5, NumE = 6, NumESign = 7, NumExp = 8;

    // UTF-8 continuation ranges (RFC 3629 table): the first continuation after E0, ED, F0, F4 is narrowed.
    private const int RangeAny = 0, RangeA0 = 1, Range9F = 2, Range90 = 3, Range8F = 4;

    private readonly JsonNode[] _nodes;
    private ArenaEntry[] _arena = new ArenaEntry[256];
    private ArenaEntry[] _spare = new ArenaEntry[256];
    private int[] _remap = new int[256];

    public JsonRecognizer(JsonGrammar grammar)
    {
        _nodes = grammar.Nodes;
        Root = grammar.Root;
    }

    public int Root { get; }

    /// <summary>Entries in use; a caller may save it and set it back to forget the frames pushed since.</summary>
    public int ArenaLength { get; set; }

    /// <summary>The state before any byte: one thread at the document root. Clears the arena.</summary>
    public int Start(Span<JsonThread> output)
    {
        ArenaLength = 0;
        output[0] = new JsonThread { Top = new JsonFrame { Node = Root, Phase = RootBefore }, Below = -1 };
        return 1;
    }

    /// <summary>The state before any byte, as <see cref="Start"/>'s, keeping the arena (frames other states use stay valid).</summary>
    public int Restart(Span<JsonThread> output)
    {
        output[0] = new JsonThread { Top = new JsonFrame { Node = Root, Phase = RootBefore }, Below = -1 };
        return 1;
    }

    /// <summary>Feeds <paramref name="b"/> to every thread of <paramref name="input"/>; writes the survivors (deduplicated, at most output.Length) and returns
    /// their count.</summary>
    public int Step(ReadOnlySpan<JsonThread> input, byte b, Span<JsonThread> output)
    {
        // The hot case of a vocabulary walk: one parse inside a string, a plain ASCII character.
        if (input.Length == 1 && input[0].Top.Phase == StrChars && b >= 0x20 && b < 0x80 && b != '"' && b != '\\')
        {
            JsonNode node = _nodes[input[0].Top.Node];
            if (node.Kind == JsonNodeKind.String && input[0].Top.A < node.MaxLength)
            {
                output[0] = input[0];
                output[0].Top.A++;
                return 1;
            }
        }
        int count = 0;
        for (int i = 0; i < input.Length; i++) Feed(input[i], b, output, ref count);
        return count;
    }

    /// <summary>Bytes of the shortest text that completes the document from this state (<see cref="JsonGrammar.Unreachable"/> for none).</summary>
    public int Cost(ReadOnlySpan<JsonThread> threads)
    {
        int best = JsonGrammar.Unreachable;
        for (int i = 0; i < threads.Length; i++)
        {
            int below = threads[i].Below < 0 ? 0 : _arena[threads[i].Below].Cost;
            best = Math.Min(best, JsonGrammar.Add(FrameCost(in threads[i].Top), below));
        }
        return best;
    }

    /// <summary>
    /// Moves the frames <paramref name="threads"/> use to the start of a fresh arena (shared frames stay shared), so
    /// the arena does not grow over a long generation; merges threads that became identical. Returns the new count.
    /// </summary>
    public int Compact(Span<JsonThread> threads)
    {
        if (_remap.Length < ArenaLength) _remap = new int[_arena.Length];
        _remap.AsSpan(0, ArenaLength).Fill(-1);
        if (_spare.Length < _arena.Length) _spare = new ArenaEntry[_arena.Length];
        int length = 0;
        for (int i = 0; i < threads.Length; i++) threads[i].Below = Move(threads[i].Below, ref length);
        (_arena, _spare) = (_spare, _arena);
        ArenaLength = length;
        int count = 0;
        for (int i = 0; i < threads.Length; i++)
        {
            bool seen = false;
            for (int k = 0; k < count && !seen; k++) seen = threads[k].Below == threads[i].Below && threads[k].Top.Equals(threads[i].Top);
            if (!seen) threads[count++] = threads[i];
        }
        return count;
    }

    private int Move(int index, ref int length)
    {
        if (index < 0) return -1;
        if (_remap[index] >= 0) return _remap[index];
        ArenaEntry entry = _arena[index];
        entry.Parent = Move(entry.Parent, ref length);
        _spare[length] = entry;
        _remap[index] = length;
        return length++;
    }

    private void Feed(JsonThread t, byte b, Span<JsonThread> output, ref int count)
    {
        while (true)
        {
            JsonNode node = _nodes[t.Top.Node];
            int child = -1;
            Outcome outcome = node.Kind switch
            {
                JsonNodeKind.Root => FeedRoot(node, ref t.Top, b, out child),
                JsonNodeKind.Object => FeedObject(node, ref t.Top, b, out child),
                JsonNodeKind.Array => FeedArray(node, ref t.Top, b, out child),
                JsonNodeKind.String => FeedString(node, ref t.Top, b),
                JsonNodeKind.Number => FeedNumber(node, ref t.Top, b),
                JsonNodeKind.Literal => FeedLiteral(node, ref t.Top, b),
                _ => Outcome.Reject,
            };
            switch (outcome)
            {
                case Outcome.Consumed:
                    Emit(t, output, ref count);
                    return;
                case Outcome.Done:
                    Pop(ref t);
                    Emit(t, output, ref count);
                    return;
                case Outcome.Refeed:
                    Pop(ref t);
                    continue;
                case Outcome.Start:
                    StartValue(child, t, b, output, ref count);
                    return;
                default:
                    return;
            }
        }
    }

    /// <summary>Pushes <paramref name="parent"/> (already in its after-value phase) and starts each alternative of <paramref name="child"/> with <paramref
    /// name="b"/>.</summary>
    private void StartValue(int child, JsonThread parent, byte b, Span<JsonThread> output, ref int count)
    {
        int depth = parent.Below < 0 ? 1 : _arena[parent.Below].Depth + 1;
        if (depth >= MaxDepth) return;
        int entry = Push(parent);
        foreach (int alternative in _nodes[child].Alternatives)
        {
            // A start phase consumes b or rejects it, so this recursion is one level deep.
            Feed(new JsonThread { Top = new JsonFrame { Node = alternative }, Below = entry }, b, output, ref count);
        }
    }

    private int Push(JsonThread parent)
    {
        if (ArenaLength == _arena.Length) Array.Resize(ref _arena, _arena.Length * 2);
        ref ArenaEntry entry = ref _arena[ArenaLength];
        entry.Frame = parent.Top;
        entry.Parent = parent.Below;
        int below = parent.Below < 0 ? 0 : _arena[parent.Below].Cost;
        entry.Cost = JsonGrammar.Add(FrameCost(in parent.Top), below);
        entry.Depth = parent.Below < 0 ? 1 : _arena[parent.Below].Depth + 1;
        return ArenaLength++;
    }

    private void Pop(ref JsonThread t)
    {
        ref ArenaEntry entry = ref _arena[t.Below];
        t.Top = entry.Frame;
        t.Below = entry.Parent;
    }

    private static void Emit(in JsonThread t, Span<JsonThread> output, ref int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (output[i].Below == t.Below && output[i].Top.Equals(t.Top)) return;
        }
        if (count < output.Length) output[count++] = t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r';

    private static Outcome Space(ref JsonFrame f)
    {
        if (f.Whitespace >= MaxWhitespaceRun) return Outcome.Reject;
        f.Whitespace++;
        return Outcome.Consumed;
    }

    private static Outcome Enter(ref JsonFrame f, byte phase, Outcome outcome = Outcome.Consumed)
    {
        f.Phase = phase;
        f.Whitespace = 0;
        return outcome;
    }

    private static Outcome FeedRoot(JsonNode node, ref JsonFrame f, byte b, out int child)
    {
        child = node.Child;
        if (f.Phase != RootBefore) return Outcome.Reject;
        if (IsWhitespace(b)) return Space(ref f);
        return Enter(ref f, RootAfter, Outcome.Start);
    }

    private static Outcome FeedObject(JsonNode node, ref JsonFrame f, byte b, out int child)
    {
        child = -1;
        switch (f.Phase)
        {
            case ObjStart:
                if (b != '{') return Outcome.Reject;
                f.A = -1;
                return Enter(ref f, ObjOpen);
            case ObjOpen:
            case ObjComma:
                if (IsWhitespace(b)) return Space(ref f);
                if (b == '}' && f.Phase == ObjOpen) return CanClose(node, f.A) ? Outcome.Done : Outcome.Reject;
                if (b != '"') return Outcome.Reject;
                if (node.FreeKeys)
                {
                    child = node.KeyString;
                    return Enter(ref f, ObjColon, Outcome.Start);
                }
                if (f.A + 1 >= node.PropertyCount) return Outcome.Reject;
                f.A++;
                f.B = 1;
                return Enter(ref f, ObjKey);
            case ObjKey:
                return MatchKey(node, ref f, b);
            case ObjColon:
                if (IsWhitespace(b)) return Space(ref f);
                return b == ':' ? Enter(ref f, ObjValue) : Outcome.Reject;
            case ObjValue:
                if (IsWhitespace(b)) return Space(ref f);
                child = node.FreeKeys ? node.FreeValue : node.Values[f.A];
                return Enter(ref f, ObjAfterValue, Outcome.Start);
            case ObjAfterValue:
                if (IsWhitespace(b)) return Space(ref f);
                if (b == '}') return CanClose(node, f.A) ? Outcome.Done : Outcome.Reject;
                if (b == ',' && (node.FreeKeys || f.A + 1 < node.PropertyCount)) return Enter(ref f, ObjComma);
                return Outcome.Reject;
            default:
                return Outcome.Reject;
        }
    }

    private static bool CanClose(JsonNode node, int last) => node.FreeKeys || node.FirstRequiredFrom[last + 1] == node.PropertyCount;

    /// <summary>Key bytes of the candidates (properties A.. up to the next required one) that agree with the key so far.</summary>
    private static Outcome MatchKey(JsonNode node, ref JsonFrame f, byte b)
    {
        ReadOnlySpan<byte> matched = node.Keys[f.A].AsSpan(0, f.B);
        int last = Math.Min(node.FirstRequiredFrom[f.A], node.PropertyCount - 1);
        for (int j = f.A; j <= last; j++)
        {
            byte[] key = node.Keys[j];
            if (key.Length <= f.B || key[f.B] != b || !key.AsSpan(0, f.B).SequenceEqual(matched)) continue;
            f.A = j;
            f.B++;
            return f.B == key.Length ? Enter(ref f, ObjColon) : Outcome.Consumed;
        }
        return Outcome.Reject;
    }

    private static Outcome FeedArray(JsonNode node, ref JsonFrame f, byte b, out int child)
    {
        child = node.Item;
        switch (f.Phase)
        {
            case ArrStart:
                if (b != '[') return Outcome.Reject;
                f.A = 0;
                return Enter(ref f, ArrOpen);
            case ArrOpen:
                if (IsWhitespace(b)) return Space(ref f);
                if (b == ']') return node.MinItems == 0 ? Outcome.Done : Outcome.Reject;
                if (node.MaxItems == 0) return Outcome.Reject;
                f.A = 1;
                return Enter(ref f, ArrAfterItem, Outcome.Start);
            case ArrAfterItem:
                if (IsWhitespace(b)) return Space(ref f);
                if (b == ']') return f.A >= node.MinItems ? Outcome.Done : Outcome.Reject;
                if (b == ',' && f.A < node.MaxItems) return Enter(ref f, ArrComma);
                return Outcome.Reject;
            case ArrComma:
                if (IsWhitespace(b)) return Space(ref f);
                f.A++;
                return Enter(ref f, ArrAfterItem, Outcome.Start);
            default:
                return Outcome.Reject;
        }
    }

    private static Outcome FeedString(JsonNode node, ref JsonFrame f, byte b)
    {
        switch (f.Phase)
        {
            case StrStart:
                if (b != '"') return Outcome.Reject;
                f.A = 0;
                return Enter(ref f, StrChars);
            case StrChars:
                if (b == '"') return f.A >= node.MinLength ? Outcome.Done : Outcome.Reject;
                if (b < 0x20 || f.A >= node.MaxLength) return Outcome.Reject;
                f.A++;
                if (b == '\\') return Enter(ref f, StrEscape);
                if (b < 0x80) return Outcome.Consumed;
                (int continuations, int range) = b switch
                {
                    >= 0xC2 and <= 0xDF => (1, RangeAny),
                    0xE0 => (2, RangeA0),
                    0xED => (2, Range9F),
                    >= 0xE1 and <= 0xEF => (2, RangeAny),
                    0xF0 => (3, Range90),
                    >= 0xF1 and <= 0xF3 => (3, RangeAny),
                    0xF4 => (3, Range8F),
                    _ => (0, 0),
                };
                if (continuations == 0) return Outcome.Reject;
                f.B = continuations * 8 + range;
                return Enter(ref f, StrUtf8);
            case StrUtf8:
                bool inRange = (f.B & 7) switch
                {
                    RangeA0 => b is >= 0xA0 and <= 0xBF,
                    Range9F => b is >= 0x80 and <= 0x9F,
                    Range90 => b is >= 0x90 and <= 0xBF,
                    Range8F => b is >= 0x80 and <= 0x8F,
                    _ => b is >= 0x80 and <= 0xBF,
                };
                if (!inRange) return Outcome.Reject;
                int left = (f.B >> 3) - 1;
                f.B = left * 8 + RangeAny;
                return left == 0 ? Enter(ref f, StrChars) : Outcome.Consumed;
            case StrEscape:
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t') return Enter(ref f, StrChars);
                if (b != 'u') return Outcome.Reject;
                f.B = 0;
                return Enter(ref f, StrHex);
            case StrHex:
            case StrLowHex:
                return FeedHex(ref f, b);
            case StrAfterHigh:
                return b == '\\' ? Enter(ref f, StrAfterHighSlash) : Outcome.Reject;
            case StrAfterHighSlash:
                if (b != 'u') return Outcome.Reject;
                f.B = 0;
                return Enter(ref f, StrLowHex);
            default:
                return Outcome.Reject;
        }
    }

    /// <summary>A \uXXXX digit (B = value so far × 8 + digits so far); lone or misplaced surrogates are rejected at the first digit that shows them.</summary>
    private static Outcome FeedHex(ref JsonFrame f, byte b)
    {
        int digit = HexValue(b);
        if (digit < 0) return Outcome.Reject;
        int digits = f.B & 7, value = f.B >> 3;
        bool low = f.Phase == StrLowHex;
        if (digits == 0 && low && digit != 0xD) return Outcome.Reject;
        if (digits == 1 && value == 0xD && (low ? digit < 0xC : digit >= 0xC)) return Outcome.Reject;
        value = value * 16 + digit;
        if (++digits < 4)
        {
            f.B = value * 8 + digits;
            return Outcome.Consumed;
        }
        return Enter(ref f, !low && value is >= 0xD800 and <= 0xDBFF ? StrAfterHigh : StrChars);
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static Outcome FeedNumber(JsonNode node, ref JsonFrame f, byte b)
    {
        bool digit = b is >= (byte)'0' and <= (byte)'9';
        bool fraction = !node.IntegerOnly;
        switch (f.Phase)
        {
            case NumStart:
            case NumMinus:
                if (b == '-' && f.Phase == NumStart) return Enter(ref f, NumMinus);
                if (b == '0') return Enter(ref f, NumZero);
                return digit ? Enter(ref f, NumInt) : Outcome.Reject;
            case NumZero:
            case NumInt:
                if (digit && f.Phase == NumInt) return Outcome.Consumed;
                if (fraction && b == '.') return Enter(ref f, NumDot);
                if (fraction && (b | 0x20) == 'e') return Enter(ref f, NumE);
                return Outcome.Refeed;
            case NumDot:
                return digit ? Enter(ref f, NumFrac) : Outcome.Reject;
            case NumFrac:
                if (digit) return Outcome.Consumed;
                if ((b | 0x20) == 'e') return Enter(ref f, NumE);
                return Outcome.Refeed;
            case NumE:
                if (b is (byte)'+' or (byte)'-') return Enter(ref f, NumESign);
                return digit ? Enter(ref f, NumExp) : Outcome.Reject;
            case NumESign:
                return digit ? Enter(ref f, NumExp) : Outcome.Reject;
            case NumExp:
                return digit ? Outcome.Consumed : Outcome.Refeed;
            default:
                return Outcome.Reject;
        }
    }

    /// <summary>Literals are sorted, so the candidates sharing the matched prefix (A = first of them, B = its length) are contiguous.</summary>
    private static Outcome FeedLiteral(JsonNode node, ref JsonFrame f, byte b)
    {
        byte[][] texts = node.Literals;
        ReadOnlySpan<byte> matched = texts[f.A].AsSpan(0, f.B);
        for (int j = f.A; j < texts.Length; j++)
        {
            byte[] text = texts[j];
            if (j > f.A && !text.AsSpan().StartsWith(matched)) break;
            if (text.Length > f.B && text[f.B] == b)
            {
                f.A = j;
                f.B++;
                return Outcome.Consumed;
            }
        }
        return texts[f.A].Length == f.B ? Outcome.Refeed : Outcome.Reject;
    }

    /// <summary>Bytes of the shortest text that finishes the value of this frame (not the frames around it).</summary>
    private int FrameCost(in JsonFrame f)
    {
        JsonNode node = _nodes[f.Node];
        switch (node.Kind)
        {
            case JsonNodeKind.Root:
                return f.Phase == RootBefore ? _nodes[node.Child].MinBytes : 0;
            case JsonNodeKind.Object:
                return ObjectCost(node, in f);
            case JsonNodeKind.Array:
                return ArrayCost(node, in f);
            case JsonNodeKind.String:
                return StringCost(node, in f);
            case JsonNodeKind.Number:
                return f.Phase switch { NumStart or NumMinus or NumDot or NumE or NumESign => 1, _ => 0 };
            case JsonNodeKind.Literal:
                byte[][] texts = node.Literals;
                int best = JsonGrammar.Unreachable;
                for (int j = f.A; j < texts.Length; j++)
                {
                    if (j > f.A && !texts[j].AsSpan().StartsWith(texts[f.A].AsSpan(0, f.B))) break;
                    best = Math.Min(best, texts[j].Length - f.B);
                }
                return best;
            default:
                return JsonGrammar.Unreachable;
        }
    }

    private int ObjectCost(JsonNode node, in JsonFrame f)
    {
        if (f.Phase == ObjStart) return node.MinBytes;
        if (node.FreeKeys)
        {
            int value = _nodes[node.FreeValue].MinBytes;
            return f.Phase switch
            {
                ObjOpen or ObjAfterValue => 1,
                ObjComma => JsonGrammar.Add(2 + 1 + 1, value),  // "":v}
                ObjColon => JsonGrammar.Add(1 + 1, value),      // :v}
                ObjValue => JsonGrammar.Add(1, value),
                _ => JsonGrammar.Unreachable,
            };
        }
        switch (f.Phase)
        {
            case ObjOpen: return node.TailFrom[0];
            case ObjComma: return node.CommaCost[f.A + 1];
            case ObjAfterValue: return node.TailFrom[f.A + 1];
            case ObjColon: return node.KeyCost[f.A] - node.Keys[f.A].Length;
            case ObjValue: return node.KeyCost[f.A] - node.Keys[f.A].Length - 1;
            case ObjKey:
                ReadOnlySpan<byte> matched = node.Keys[f.A].AsSpan(0, f.B);
                int last = Math.Min(node.FirstRequiredFrom[f.A], node.PropertyCount - 1);
                int best = JsonGrammar.Unreachable;
                for (int j = f.A; j <= last; j++)
                {
                    if (node.Keys[j].AsSpan().StartsWith(matched)) best = Math.Min(best, node.KeyCost[j] - f.B);
                }
                return best;
            default:
                return JsonGrammar.Unreachable;
        }
    }

    private int ArrayCost(JsonNode node, in JsonFrame f)
    {
        if (f.Phase == ArrStart) return node.MinBytes;
        int item = _nodes[node.Item].MinBytes;
        // Items still owed after the A written (or being written), each with its comma, then ']'.
        int owed(int written) => JsonGrammar.Add(JsonGrammar.Multiply(Math.Max(0, node.MinItems - written), JsonGrammar.Add(item, 1)), 1);
        return f.Phase switch
        {
            ArrOpen => node.MinItems == 0 ? 1 : node.MinBytes - 1,
            ArrAfterItem => owed(f.A),
            ArrComma => JsonGrammar.Add(item, owed(f.A + 1)),
            _ => JsonGrammar.Unreachable,
        };
    }

    private static int StringCost(JsonNode node, in JsonFrame f)
    {
        if (f.Phase == StrStart) return node.MinBytes;
        int rest = Math.Max(0, node.MinLength - f.A) + 1; // characters still owed and the closing quote
        switch (f.Phase)
        {
            case StrChars: return rest;
            case StrEscape: return rest + 1;
            case StrUtf8: return rest + (f.B >> 3);
            case StrAfterHigh: return rest + 6;
            case StrAfterHighSlash: return rest + 5;
            case StrLowHex: return rest + 4 - (f.B & 7);
            case StrHex:
                int digits = f.B & 7, value = f.B >> 3;
                bool high = digits >= 2 && (value >> ((digits - 2) * 4)) is >= 0xD8 and <= 0xDB;
                return rest + 4 - digits + (high ? 6 : 0);
            default: return JsonGrammar.Unreachable;
        }
    }
}
