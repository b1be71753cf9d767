// Encoding into a caller's span allocates nothing once warm, for the pipeline tokenizers (BERT, tokenizer.json families).
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.Tests.Pipeline;

public sealed class PipelineAllocationTests
{
    public static TheoryData<string> Families => new() { "bert", "llama2", "llama3", "qwen3", "gemma3" };

    [Theory]
    [MemberData(nameof(Families))]
    public void WarmEncodeToAndCountAllocateNothing(string family)
    {
        // A fresh instance, not the fixture's shared one: tests running beside this one fill that instance's word cache, which
        // is cleared when full, so a warm word could be evicted between the warm-up and the measured calls.
        ITokenizer tokenizer = family == "bert" ? BertTokenizerFactory.BuiltIn("bert-base-uncased")
            : TokenizerJsonLoader.Load(NodeOracle.LenmlTokenizerJson(family), NodeOracle.LenmlTokenizerConfig(family));
        const string text = "The quick brown fox — naïve café, 我愛 🤗! It's 12.0*12=144 <s> [SEP]\n\n  indented";
        var ids = new int[256];
        int count = tokenizer.EncodeTo(text, ids);
        tokenizer.CountTokens(text, parseSpecial: true);
        tokenizer.EncodeTo(text, ids, parseSpecial: true);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int again = tokenizer.EncodeTo(text, ids);
        int counted = tokenizer.CountTokens(text, parseSpecial: true);
        tokenizer.EncodeTo(text, ids, parseSpecial: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(count, again);
        Assert.True(counted > 0);
        Assert.Equal(0, allocated);
    }
}
