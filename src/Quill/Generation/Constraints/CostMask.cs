// The masking step both trie-walking constraints share: allow the tokens whose completion fits the budget.
namespace Quill.Generation.Constraints;

/// <summary>
/// Turns per-token completion costs (from a vocabulary walk) into a logits mask: text tokens whose cost is within the
/// budget limit stay; end-of-generation tokens stay when the output is complete. When none fits, the cheapest tokens
/// are allowed instead (the fallback limit is kept); when no token continues the output at all, end-of-generation
/// is allowed (stuck), so a constraint never leaves nothing to sample.
/// </summary>
internal static class CostMask
{
    public static void Apply(VocabularyTrie trie, int[] tokenCost, Span<float> logits, int limit, int fitting, int cheapest, int unreachable,
        bool complete, ref int fallbackLimit, ref bool stuck)
    {
        bool endAllowed = complete;
        if (fitting == 0 && !endAllowed)
        {
            if (cheapest < unreachable) fallbackLimit = limit = cheapest;
            else stuck = endAllowed = true;
        }
        int vocab = Math.Min(logits.Length, trie.VocabSize);
        for (int id = 0; id < vocab; id++)
        {
            bool allowed = trie.IsEndOfGeneration[id] ? endAllowed : tokenCost[id] <= limit;
            if (!allowed) logits[id] = float.NegativeInfinity;
        }
        logits[vocab..].Fill(float.NegativeInfinity);
    }
}
