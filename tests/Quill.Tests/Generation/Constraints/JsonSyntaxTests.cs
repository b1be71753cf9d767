// The JSON recognizer byte by byte (one token per byte): valid and invalid documents, prefixes, escapes, UTF-8, numbers.
using System.Text;
using System.Text.Json;
using Quill.Generation.Constraints;

namespace Quill.Tests.Generation.Constraints;

public class JsonSyntaxTests
{
    public enum Verdict { Complete, Prefix, Rejected }

    private static readonly JsonElement AnyValue = JsonDocument.Parse("{}").RootElement;

    /// <summary>Feeds the bytes one token each; Rejected when some byte is not allowed.</summary>
    internal static Verdict Feed(ITokenConstraint constraint, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (!constraint.Allows(b)) return Verdict.Rejected;
            constraint.Accept(b);
        }
        return constraint.IsComplete ? Verdict.Complete : Verdict.Prefix;
    }

    private static Verdict Object(string text) => Feed(JsonConstraint.ForObject(JsonTestVocabularies.Bytes), Encoding.UTF8.GetBytes(text));

    private static Verdict Value(string text) => Feed(JsonConstraint.ForSchema(JsonTestVocabularies.Bytes, AnyValue), Encoding.UTF8.GetBytes(text));

    public static TheoryData<string> ValidObjects => new()
    {
        "{}",
        "{\"a\":1}",
        "{ \"a\" : [1, 2.5, -0.5e+10, 0, -0, 1E5, 3e-2, 0.0, 10] }",
        "{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\u0000\"}",
        "{\"u\":\"héllo 日本 😀 \u07FF \uFFFD\"}",
        "{\"a\":{\"b\":{\"c\":[[],[{}],[[1]]]}}}",
        "{\"t\":true,\"f\":false,\"n\":null}",
        "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}",
        "{\"\":\"\",\"a\":\"\"}",
        "{\"a\":1,\"a\":2}",
        "{\"k\\u0041\\n\":[\"x\",{\"y\":-1.5E-3}]}",
    };

    [Theory]
    [MemberData(nameof(ValidObjects))]
    public void ValidObjectsAreCompleteAndParse(string text)
    {
        Assert.Equal(Verdict.Complete, Object(text));
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(text).RootElement.ValueKind);
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{\"a\":\"x")]
    [InlineData("{\"a\":1")]
    [InlineData("{\"a\":[1,")]
    [InlineData("{\"a\":\"\\u00")]
    [InlineData("{\"a\":\"\\uD83D")]
    [InlineData("{\"a\":\"\\uD83D\\u")]
    [InlineData("{\"a\":-")]
    [InlineData("{\"a\":1e")]
    [InlineData("{\"a\":tr")]
    [InlineData("{\"a")]
    [InlineData("")]
    [InlineData("  ")]
    public void PrefixesAreAllowedButNotComplete(string text) => Assert.Equal(Verdict.Prefix, Object(text));

    [Theory]
    [InlineData("[]")]
    [InlineData("1")]
    [InlineData("\"a\"")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":1.}")]
    [InlineData("{\"a\":.5}")]
    [InlineData("{\"a\":-}")]
    [InlineData("{\"a\":+1}")]
    [InlineData("{\"a\":1e}")]
    [InlineData("{\"a\":1e+}")]
    [InlineData("{\"a\":--1}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{,}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":1 \"b\":2}")]
    [InlineData("{\"a\":[1 2]}")]
    [InlineData("{\"a\":[1,]}")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":True}")]
    [InlineData("{\"a\":nul}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"a\":\"\\u12G4\"}")]
    [InlineData("{\"a\":\"\\uDE00\"}")]
    [InlineData("{\"a\":\"\\uD83D\"}")]
    [InlineData("{\"a\":\"\\uD83Dx\"}")]
    [InlineData("{\"a\":\"\\uD83D\\u0041\"}")]
    [InlineData("{\"a\":1}{}")]
    [InlineData("{\"a\":1} ")]
    [InlineData("{\"a\":1}\n")]
    [InlineData("{a:1}")]
    [InlineData("{\"a\":1]")]
    [InlineData("{\"a\":[1}")]
    [InlineData("{}}")]
    [InlineData("{             }")] // 13 spaces: more than the whitespace run allows
    public void InvalidObjectsAreRejected(string text) => Assert.Equal(Verdict.Rejected, Object(text));

    [Theory]
    [InlineData(new byte[] { 0x01 })]             // raw control character
    [InlineData(new byte[] { 0x0A })]             // raw newline
    [InlineData(new byte[] { 0xC0, 0xAF })]       // overlong '/'
    [InlineData(new byte[] { 0xC1, 0xBF })]       // overlong
    [InlineData(new byte[] { 0xE0, 0x80, 0x80 })] // overlong 3-byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate encoded in UTF-8
    [InlineData(new byte[] { 0xF0, 0x80, 0x80, 0x80 })] // overlong 4-byte
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x80 })]             // continuation without a lead
    [InlineData(new byte[] { 0xC3, 0x28 })]       // lead without its continuation
    public void InvalidStringBytesAreRejected(byte[] inside)
    {
        byte[] text = [.. "{\"a\":\""u8, .. inside, .. "\"}"u8];
        Assert.Equal(Verdict.Rejected, Feed(JsonConstraint.ForObject(JsonTestVocabularies.Bytes), text));
    }

    [Theory]
    [InlineData("-0.5e+10", Verdict.Complete)]
    [InlineData("0", Verdict.Complete)]
    [InlineData("-0", Verdict.Complete)]
    [InlineData("12", Verdict.Complete)]
    [InlineData("1.25E-7", Verdict.Complete)]
    [InlineData("-", Verdict.Prefix)]
    [InlineData("1.", Verdict.Prefix)]
    [InlineData("1e-", Verdict.Prefix)]
    [InlineData("00", Verdict.Rejected)]
    [InlineData("1 ", Verdict.Rejected)]
    [InlineData("\"x\"", Verdict.Complete)]
    [InlineData("[1,[2,{}],\"3\",null]", Verdict.Complete)]
    [InlineData("true", Verdict.Complete)]
    [InlineData("nul", Verdict.Prefix)]
    [InlineData(" null", Verdict.Complete)]
    public void AnyValueAtTheTop(string text, Verdict expected) => Assert.Equal(expected, Value(text));

    [Fact]
    public void NestingDeeperThanTheLimitIsRejected()
    {
        string deep = new string('[', JsonRecognizer.MaxDepth - 1);
        Assert.Equal(Verdict.Prefix, Value(deep));
        Assert.Equal(Verdict.Rejected, Value(deep + "["));
    }

    [Fact]
    public void OnceCompleteOnlyEndOfGenerationIsAllowed()
    {
        ITokenConstraint constraint = JsonConstraint.ForObject(JsonTestVocabularies.Bytes);
        Assert.False(constraint.Allows(ByteTokenizer.Eos));
        Assert.Equal(Verdict.Complete, Feed(constraint, "{}"u8));
        Assert.True(constraint.Allows(ByteTokenizer.Eos));
        Assert.False(constraint.Allows(ByteTokenizer.Bos));
        var logits = new float[ByteTokenizer.Eos + 1];
        constraint.Mask(logits);
        for (int id = 0; id < logits.Length; id++) Assert.Equal(id == ByteTokenizer.Eos, !float.IsNegativeInfinity(logits[id]));
    }

    [Fact]
    public void SpecialTokensAreNeverAllowedMidDocument()
    {
        ITokenConstraint constraint = JsonConstraint.ForObject(JsonTestVocabularies.Bytes);
        Feed(constraint, "{\"a\":\""u8);
        Assert.False(constraint.Allows(ByteTokenizer.Bos));
        Assert.False(constraint.Allows(ByteTokenizer.Eos));
        Assert.False(constraint.Allows(-1));
        Assert.False(constraint.Allows(100_000));
    }

    [Fact]
    public void AcceptingARejectedTokenThrows()
    {
        ITokenConstraint constraint = JsonConstraint.ForObject(JsonTestVocabularies.Bytes);
        var error = Assert.Throws<InvalidOperationException>(() => constraint.Accept('x'));
        Assert.StartsWith("json constraint: expected a token that continues the JSON, found token 120", error.Message);
    }
}
