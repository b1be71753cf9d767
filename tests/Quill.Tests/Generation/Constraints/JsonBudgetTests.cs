// Random walks over allowed tokens of real vocabularies under small token budgets: the output always ends complete and valid.
using System.Text;
using System.Text.Json;
using Quill.Generation.Constraints;
using Quill.Tokenizers;

namespace Quill.Tests.Generation.Constraints;

public class JsonBudgetTests
{
    private const int Seeds = 6;

    private static readonly Dictionary<string, string> Schemas = new()
    {
        ["object"] = "",
        ["person"] = """
            {"type":"object","properties":{
              "name":{"type":"string","maxLength":12},
              "age":{"type":"integer"},
              "email":{"type":["string","null"]},
              "tags":{"type":"array","items":{"enum":["a","bb",3,null]},"maxItems":3},
              "role":{"anyOf":[{"const":"admin"},
                               {"type":"object","properties":{"level":{"type":"number"}},"required":["level"],"additionalProperties":false}]}},
             "required":["name","age","tags"],"additionalProperties":false}
            """,
        ["tree"] = """
            {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{
              "v":{"type":"boolean"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},
              "required":["v","kids"],"additionalProperties":false}}}
            """,
        ["strings"] = """{"type":"object","properties":{"s":{"type":"string","minLength":3}},"required":["s"],"additionalProperties":false}""",
    };

    public static TheoryData<string, string, int> Walks()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string vocabulary in (string[])["bytes", "gpt2", "spm32k"])
        {
            foreach (string schema in Schemas.Keys)
            {
                foreach (int budget in (int[])[8, 20, 50]) data.Add(vocabulary, schema, budget);
            }
        }
        return data;
    }

    private static JsonTokenConstraint Create(ITokenizer tokenizer, string schema) =>
        (JsonTokenConstraint)(Schemas[schema].Length == 0
            ? JsonConstraint.ForObject(tokenizer)
            : JsonConstraint.ForSchema(tokenizer, JsonDocument.Parse(Schemas[schema]).RootElement));

    /// <summary>
    /// Walks as the generation loop does: a uniformly random token, and when the constraint rejects it, a uniform pick
    /// among the tokens Mask leaves. Returns the text and whether an end-of-generation token was picked in budget.
    /// </summary>
    internal static (string Text, bool Ended) Walk(ITokenizer tokenizer, ITokenConstraint constraint, int budget, Random random)
    {
        var bytes = new List<byte>();
        var logits = new float[tokenizer.VocabSize];
        var allowed = new List<int>();
        for (int remaining = budget; remaining > 0; remaining--)
        {
            constraint.RemainingTokens = remaining;
            int token = random.Next(tokenizer.VocabSize);
            if (!constraint.Allows(token))
            {
                Array.Clear(logits);
                constraint.Mask(logits);
                allowed.Clear();
                for (int id = 0; id < logits.Length; id++) if (!float.IsNegativeInfinity(logits[id])) allowed.Add(id);
                Assert.NotEmpty(allowed);
                token = allowed[random.Next(allowed.Count)];
                Assert.True(constraint.Allows(token));
            }
            if (tokenizer.IsEndOfGeneration(token))
            {
                Assert.True(constraint.IsComplete);
                return (Encoding.UTF8.GetString(bytes.ToArray()), true);
            }
            constraint.Accept(token);
            bytes.AddRange(tokenizer.TokenBytes(token));
        }
        return (Encoding.UTF8.GetString(bytes.ToArray()), false);
    }

    [Theory]
    [MemberData(nameof(Walks))]
    public void RandomWalksEndCompleteAndValidWithinTheBudget(string vocabulary, string schema, int extra)
    {
        ITokenizer tokenizer = JsonTestVocabularies.ByName(vocabulary);
        for (int seed = 0; seed < Seeds; seed++)
        {
            JsonTokenConstraint constraint = Create(tokenizer, schema);
            // The budget on top of what the shortest document and its end-of-generation token need.
            int budget = constraint.ShortestCompletion + 1 + extra;
            (string text, bool ended) = Walk(tokenizer, constraint, budget, new Random(seed));
            Assert.True(ended, $"seed {seed}: no end within {budget} tokens: {text}");
            using JsonDocument document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            if (Schemas[schema].Length > 0)
            {
                using JsonDocument parsed = JsonDocument.Parse(Schemas[schema]);
                Assert.True(JsonSchemaValidator.IsValid(parsed.RootElement, document.RootElement), $"seed {seed}: {text}");
            }
        }
    }

    [Theory]
    [InlineData("object")]
    [InlineData("person")]
    [InlineData("tree")]
    [InlineData("strings")]
    public void ShortestCompletionIsExactAtEveryStep(string schema)
    {
        // With one token per byte, a budget of shortest + 1 (the end token) must leave some byte allowed, and a budget one
        // smaller must leave none: the cost neither over- nor under-estimates the bytes still needed.
        var random = new Random(7);
        for (int run = 0; run < 20; run++)
        {
            JsonTokenConstraint constraint = Create(JsonTestVocabularies.Bytes, schema);
            for (int step = 0; step < 60 && !constraint.IsComplete; step++)
            {
                int shortest = constraint.ShortestCompletion;
                constraint.RemainingTokens = shortest + 1;
                var fitting = Enumerable.Range(0, 256).Where(constraint.Allows).ToList();
                Assert.NotEmpty(fitting);
                constraint.RemainingTokens = shortest;
                Assert.DoesNotContain(Enumerable.Range(0, 256), constraint.Allows);
                constraint.RemainingTokens = int.MaxValue;
                var any = Enumerable.Range(0, 256).Where(constraint.Allows).ToList();
                // Mostly free steps so the walk reaches varied states; sometimes the tight one.
                constraint.Accept(random.Next(3) == 0 ? fitting[random.Next(fitting.Count)] : any[random.Next(any.Count)]);
            }
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("spm32k")]
    [InlineData("bytelevel50k")]
    public void MaskLeavesExactlyTheTokensAllowsAccepts(string vocabulary)
    {
        ITokenizer tokenizer = JsonTestVocabularies.ByName(vocabulary);
        string[] prefixes = ["", "{", "{\"a\":\"he", "{\"a\":1", "{\"a\":[1,{\"b\":", "{\"a\":[1,{\"b\":tr", "{\"a\":\"\\u00"];
        foreach (string prefix in prefixes)
        {
            foreach (int budget in (int[])[int.MaxValue, 6])
            {
                ITokenConstraint constraint = JsonConstraint.ForObject(tokenizer);
                foreach (byte b in Encoding.UTF8.GetBytes(prefix)) constraint.Accept(SingleByteToken(tokenizer, b));
                constraint.RemainingTokens = budget;
                var logits = new float[tokenizer.VocabSize];
                constraint.Mask(logits);
                for (int id = 0; id < logits.Length; id++)
                {
                    Assert.True(!float.IsNegativeInfinity(logits[id]) == constraint.Allows(id), $"'{prefix}' budget {budget}: token {id}");
                }
            }
        }
    }

    [Fact]
    public void ABudgetTooSmallFromTheStartFallsBackToTheShortestContinuation()
    {
        ITokenConstraint constraint = JsonConstraint.ForObject(JsonTestVocabularies.Bytes);
        constraint.RemainingTokens = 1; // "{}" and the end token need 3
        var logits = new float[ByteTokenizer.Eos + 1];
        constraint.Mask(logits);
        int[] left = [.. Enumerable.Range(0, logits.Length).Where(id => !float.IsNegativeInfinity(logits[id]))];
        Assert.Equal(['{'], left);
        Assert.True(constraint.Allows('{'));
    }

    [Fact]
    public void ATokenizerWithoutAnEndTokenIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => JsonConstraint.ForObject(new PieceTokenizer(["{", "}"], withEnd: false)));
        Assert.Equal("json constraint: the tokenizer must have an end-of-generation token to end the JSON, found none", error.Message);
    }

    [Fact]
    public void AVocabularyThatCannotContinueAllowsOnlyTheEndToken()
    {
        // {"a" then nothing: no token is a ':', so rather than allow nothing the constraint lets generation end.
        ITokenConstraint constraint = JsonConstraint.ForObject(new PieceTokenizer(["{", "\"a\""], withEnd: true));
        constraint.Accept(0);
        constraint.Accept(1);
        var logits = new float[3];
        constraint.Mask(logits);
        Assert.Equal([false, false, true], logits.Select(l => !float.IsNegativeInfinity(l)));
        Assert.True(constraint.Allows(2));
        Assert.False(constraint.IsComplete);
    }

    [Fact]
    public void AllowsMaskAndAcceptDoNotAllocateAfterWarmUp()
    {
        ITokenizer tokenizer = JsonTestVocabularies.Gpt2;
        ITokenConstraint constraint = JsonConstraint.ForObject(tokenizer);
        int[] tokens = tokenizer.Encode("{\"a\": [1, {\"b\": \"hello world\"}], \"c\": true, \"d\": \"x", addSpecial: false);
        var logits = new float[tokenizer.VocabSize];
        constraint.RemainingTokens = 500;
        foreach (int token in tokens)
        {
            constraint.Allows(token);
            constraint.Mask(logits);
            constraint.Accept(token);
        }
        ITokenConstraint measured = JsonConstraint.ForObject(tokenizer);
        measured.RemainingTokens = 500;
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (int token in tokens)
        {
            Assert.True(measured.Allows(token));
            measured.Mask(logits);
            measured.Accept(token);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static int SingleByteToken(ITokenizer tokenizer, byte b)
    {
        for (int id = 0; id < tokenizer.VocabSize; id++)
        {
            if (!tokenizer.IsSpecial(id) && tokenizer.TokenBytes(id) is [var only] && only == b) return id;
        }
        throw new InvalidOperationException($"no single-byte token for 0x{b:X2}");
    }

    /// <summary>A vocabulary of the given pieces (ids 0..n−1) and, when <paramref name="withEnd"/>, an end token (id n).</summary>
    private sealed class PieceTokenizer(string[] pieces, bool withEnd) : Tokenizer
    {
        public override int VocabSize => pieces.Length + (withEnd ? 1 : 0);
        public override int BosId => -1;
        public override int EosId => withEnd ? pieces.Length : -1;
        public override bool IsEndOfGeneration(int id) => withEnd && id == pieces.Length;
        public override bool IsSpecial(int id) => id >= pieces.Length;
        public override byte[] TokenBytes(int id) => id < pieces.Length ? Encoding.UTF8.GetBytes(pieces[id]) : [];
        public override string TokenText(int id) => id < pieces.Length ? pieces[id] : "</s>";
        public override int TokenToId(ReadOnlySpan<char> token) => -1;
        public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens) => "";
        protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output) { }
    }
}
