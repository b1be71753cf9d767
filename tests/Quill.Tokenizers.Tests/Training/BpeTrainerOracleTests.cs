// A trained tokenizer.json run through Hugging Face tokenizers.js: same ids and decoded text as ours; not the training tests themselves.
using System.Text.Json.Nodes;
using Quill.TestSupport.Corpora;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.Training;

namespace Quill.Tokenizers.Tests.Training;

public sealed class BpeTrainerOracleTests
{
    private const int CorpusBytes = 200_000;
    private const int VocabularySize = 2000;
    private const int Documents = 1000;

    private static readonly string[] EdgeTexts =
    [
        "emoji 🤗🎉 and 中文字符 and ünïcödé", "tabs\t\tand\n\nnewlines\r\n  spaces   ", "x <|endoftext|> y<|im_start|>user<|im_end|>",
        "it's don't WE'LL 12345 3.14", "\u0000\u0001 control \uFFFD", "   ", "\n",
    ];

    [Fact]
    public void IdsAndDecodingMatchTokenizersJs()
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions
        {
            VocabularySize = VocabularySize, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        });
        trainer.AddText(MixedCorpus.Generate(CorpusBytes, seed: 21));
        TrainedBpe trained = trainer.Train();
        PipelineTokenizer tokenizer = trained.ToTokenizer();
        JsonNode json = JsonNode.Parse(trained.ToTokenizerJson())!;
        JsonNode config = JsonNode.Parse(trained.ToTokenizerConfigJson())!;
        string[] texts = [.. EdgeTexts, .. MixedCorpus.Documents(Documents, seed: 22)];

        (int[][] ids, _, string[] decoded) = NodeOracle.Tokenize(json, config, texts, addSpecialTokens: true, decode: true);
        for (int i = 0; i < texts.Length; i++)
        {
            int[] ours = tokenizer.Encode(texts[i], addSpecial: true, parseSpecial: true);
            Assert.True(ids[i].SequenceEqual(ours), $"text {i} \"{texts[i]}\": ours [{string.Join(",", ours)}], tokenizers.js [{string.Join(",", ids[i])}]");
            Assert.Equal(decoded[i], tokenizer.Decode(ids[i]));
        }
    }
}
