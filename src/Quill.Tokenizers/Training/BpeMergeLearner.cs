// The merge loop of byte-level BPE training over counted words, with incremental pair counts.
using Quill.Tokenizers.Models.Bpe;

namespace Quill.Tokenizers.Training;

/// <summary>
/// Holds every distinct word as a sequence of symbol ids, the count of every adjacent pair (weighted by word count) and
/// the words each pair occurs in. A merge rewrites only those words and applies the change in their pair counts; a
/// heap ordered by (count descending, left id, right id) gets an entry whenever a pair's count changes, and stale
/// entries are skipped when popped.
/// </summary>
internal static class BpeMergeLearner
{
    public static TrainedBpe Learn(BpeTrainerOptions options, IReadOnlyList<(byte[] Bytes, long Count)> words, IProgress<int>? mergesDone)
    {
        var tokens = new List<string>(options.VocabularySize);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string special in options.SpecialTokens) Add(special);
        var byteIds = new int[256];
        foreach (int b in Enumerable.Range(0, 256).OrderBy(b => ByteLevelAlphabet.Encode((byte)b)))
        {
            byteIds[b] = Add(ByteLevelAlphabet.Encode((byte)b).ToString());
        }

        var symbols = new int[words.Count][];
        var lengths = new int[words.Count];
        var counts = new long[words.Count];
        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Count; w++)
        {
            byte[] bytes = words[w].Bytes;
            symbols[w] = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) symbols[w][i] = byteIds[bytes[i]];
            lengths[w] = bytes.Length;
            counts[w] = words[w].Count;
            for (int i = 0; i + 1 < bytes.Length; i++)
            {
                long pair = Pair(symbols[w][i], symbols[w][i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + counts[w];
                WordsOf(pair).Add(w);
            }
        }

        var heap = new PriorityQueue<long, (long NegativeCount, long Pair)>();
        foreach ((long pair, long count) in pairCounts) heap.Enqueue(pair, (-count, pair));

        long minimum = Math.Max(1, options.MinFrequency);
        var merges = new List<(string Left, string Right)>();
        var delta = new Dictionary<long, long>();
        while (tokens.Count < options.VocabularySize && heap.TryDequeue(out long top, out var priority))
        {
            long current = pairCounts.GetValueOrDefault(top);
            if (current != -priority.NegativeCount) continue;
            if (current < minimum) break;

            int left = (int)(top >> 32), right = (int)(top & 0xFFFFFFFF);
            string merged = tokens[left] + tokens[right];
            int newId = ids.TryGetValue(merged, out int existing) ? existing : Add(merged);
            merges.Add((tokens[left], tokens[right]));

            delta.Clear();
            foreach (int w in pairWords[top]) MergeWord(w, left, right, newId, delta);
            pairWords.Remove(top);
            foreach ((long pair, long change) in delta)
            {
                if (change == 0) continue;
                long count = pairCounts.GetValueOrDefault(pair) + change;
                if (count <= 0)
                {
                    pairCounts.Remove(pair);
                    continue;
                }
                pairCounts[pair] = count;
                heap.Enqueue(pair, (-count, pair));
            }
            mergesDone?.Report(merges.Count);
        }
        return new TrainedBpe(tokens, merges, options.SpecialTokens);

        int Add(string token)
        {
            ids.Add(token, tokens.Count);
            tokens.Add(token);
            return tokens.Count - 1;
        }

        HashSet<int> WordsOf(long pair)
        {
            if (!pairWords.TryGetValue(pair, out HashSet<int>? set)) pairWords[pair] = set = [];
            return set;
        }

        void MergeWord(int w, int left, int right, int newId, Dictionary<long, long> changes)
        {
            int[] s = symbols[w];
            int n = lengths[w];
            long count = counts[w];
            for (int i = 0; i + 1 < n; i++)
            {
                long pair = Pair(s[i], s[i + 1]);
                changes[pair] = changes.GetValueOrDefault(pair) - count;
            }
            int j = 0;
            for (int i = 0; i < n;)
            {
                if (i + 1 < n && s[i] == left && s[i + 1] == right)
                {
                    s[j++] = newId;
                    i += 2;
                }
                else
                {
                    s[j++] = s[i++];
                }
            }
            lengths[w] = j;
            for (int i = 0; i + 1 < j; i++)
            {
                long pair = Pair(s[i], s[i + 1]);
                changes[pair] = changes.GetValueOrDefault(pair) + count;
                if (s[i] == newId || s[i + 1] == newId) WordsOf(pair).Add(w);
            }
        }
    }

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;
}
