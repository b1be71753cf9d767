// JsonConstraint.ForSchema byte by byte: each supported keyword accepts and rejects what it should; unsupported ones throw.
using System.Text;
using System.Text.Json;
using Quill.Generation.Constraints;
using static Quill.Tests.Generation.Constraints.JsonSyntaxTests;

namespace Quill.Tests.Generation.Constraints;

public class JsonSchemaConstraintTests
{
    private const string TwoRequired = """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a","b"]""" +
        ""","additionalProperties":false}""";
    private const string OneRequired = """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}""" +
        ""","required":["b"]}""";
    private const string Tree = """{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"}""" +
        ""","children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value","children"],"additionalProperties":false}}}""";
    private const string Either = """{"anyOf":[{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false},""" +
        """{"type":"object","properties":{"number":{"type":"number"}},"required":["number"],"additionalProperties":false}]}""";
    private const string Overlapping = """{"anyOf":[{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x","y"]""" +
        ""","additionalProperties":false},{"type":"object","properties":{"x":{"type":"number"},"z":{"type":"string"}},"required":["x","z"]""" +
            ""","additionalProperties":false}]}""";

    internal static ITokenConstraint ForSchema(string schema) =>
        JsonConstraint.ForSchema(JsonTestVocabularies.Bytes, JsonDocument.Parse(schema).RootElement);

    private static Verdict Run(string schema, string text) => Feed(ForSchema(schema), Encoding.UTF8.GetBytes(text));

    public static TheoryData<string, string, Verdict> Cases => new()
    {
        // properties in schema order, required, additionalProperties false
        { TwoRequired, """{"a":"x","b":1}""", Verdict.Complete },
        { TwoRequired, """{ "a" : "" , "b" : -7 }""", Verdict.Complete },
        { TwoRequired, """{"b":1,"a":"x"}""", Verdict.Rejected },
        { TwoRequired, """{"a":"x"}""", Verdict.Rejected },
        { TwoRequired, """{"a":"x","b":1.5}""", Verdict.Rejected },
        { TwoRequired, """{"a":"x","b":1,"c":2}""", Verdict.Rejected },
        { TwoRequired, """{"a":1,"b":1}""", Verdict.Rejected },
        { TwoRequired, """{"a":"x","b":1""", Verdict.Prefix },
        { OneRequired, """{"b":1}""", Verdict.Complete },
        { OneRequired, """{"a":1,"b":2,"c":3}""", Verdict.Complete },
        { OneRequired, """{"b":2,"c":3}""", Verdict.Complete },
        { OneRequired, """{"a":1}""", Verdict.Rejected },
        { OneRequired, """{"c":1,"b":1}""", Verdict.Rejected },
        { OneRequired, """{}""", Verdict.Rejected },
        // enum and const
        { """{"enum":["red","green","gr"]}""", "\"red\"", Verdict.Complete },
        { """{"enum":["red","green","gr"]}""", "\"gr\"", Verdict.Complete },
        { """{"enum":["red","green","gr"]}""", "\"blue\"", Verdict.Rejected },
        { """{"enum":["red","green","gr"]}""", "\"re\"", Verdict.Rejected },
        { """{"enum":[1,12,2.5,null]}""", "1", Verdict.Complete },
        { """{"enum":[1,12,2.5,null]}""", "12", Verdict.Complete },
        { """{"enum":[1,12,2.5,null]}""", "2.5", Verdict.Complete },
        { """{"enum":[1,12,2.5,null]}""", "null", Verdict.Complete },
        { """{"enum":[1,12,2.5,null]}""", "123", Verdict.Rejected },
        { """{"enum":[1,12,2.5,null]}""", "3", Verdict.Rejected },
        { """{"type":"object","properties":{"n":{"enum":[1,12]}},"required":["n"],"additionalProperties":false}""", """{"n":1}""", Verdict.Complete },
        { """{"type":"object","properties":{"n":{"enum":[1,12]}},"required":["n"],"additionalProperties":false}""", """{"n":12}""", Verdict.Complete },
        { """{"const":{"k":[1, "é"]}}""", """{"k":[1,"é"]}""", Verdict.Complete },
        { """{"const":{"k":[1, "é"]}}""", """{"k":[1, "é"]}""", Verdict.Rejected },
        // types, nullable, integer
        { """{"type":["string","null"]}""", "null", Verdict.Complete },
        { """{"type":["string","null"]}""", "\"x\"", Verdict.Complete },
        { """{"type":["string","null"]}""", "1", Verdict.Rejected },
        { """{"type":"integer"}""", "-30", Verdict.Complete },
        { """{"type":"integer"}""", "1.0", Verdict.Rejected },
        { """{"type":"integer"}""", "1e3", Verdict.Rejected },
        { """{"type":"number"}""", "1e3", Verdict.Complete },
        { """{"type":"boolean"}""", "false", Verdict.Complete },
        { """{"type":"boolean"}""", "null", Verdict.Rejected },
        { """{"type":"null"}""", "null", Verdict.Complete },
        // anyOf / oneOf, also when the branches share a prefix
        { Either, """{"name":"x"}""", Verdict.Complete },
        { Either, """{"number":2}""", Verdict.Complete },
        { Either, """{"n":2}""", Verdict.Rejected },
        { Overlapping, """{"x":1,"y":2}""", Verdict.Complete },
        { Overlapping, """{"x":1,"z":"s"}""", Verdict.Complete },
        { Overlapping, """{"x":1.5,"z":"s"}""", Verdict.Complete },
        { Overlapping, """{"x":1.5,"y":2}""", Verdict.Rejected },
        { """{"oneOf":[{"type":"integer"},{"type":"string"}]}""", "\"s\"", Verdict.Complete },
        { """{"anyOf":[{"type":"integer"},{"type":"number"}]}""", "3", Verdict.Complete },
        // $ref, recursion, definitions
        { Tree, """{"value":1,"children":[{"value":2,"children":[]},{"value":3,"children":[{"value":4,"children":[]}]}]}""", Verdict.Complete },
        { Tree, """{"value":1,"children":[{"value":2}]}""", Verdict.Rejected },
        { """{"definitions":{"s":{"type":"string"}},"type":"array","items":{"$ref":"#/definitions/s"}}""", """["a","b"]""", Verdict.Complete },
        { """{"definitions":{"s":{"type":"string"}},"type":"array","items":{"$ref":"#/definitions/s"}}""", """["a",1]""", Verdict.Rejected },
        {
            """{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"],"additionalProperties":false}""",
            """{"next":{"next":null}}""", Verdict.Complete
        },
        // arrays
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", "[1]", Verdict.Rejected },
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", "[1,2]", Verdict.Complete },
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", "[1,2,3]", Verdict.Complete },
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", "[1,2,3,4]", Verdict.Rejected },
        { """{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}""", "[1,\"2\"]", Verdict.Rejected },
        { """{"type":"array","maxItems":0}""", "[]", Verdict.Complete },
        { """{"type":"array","maxItems":0}""", "[1]", Verdict.Rejected },
        { """{"type":"array"}""", """[1,"a",{"b":[]},null]""", Verdict.Complete },
        // strings
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"a\"", Verdict.Rejected },
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"ab\"", Verdict.Complete },
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"abcd\"", Verdict.Rejected },
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"日本\"", Verdict.Complete },
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"\\u00e9\\n\"", Verdict.Complete },
        { """{"type":"string","minLength":2,"maxLength":3}""", "\"\\uD83D\\uDE00!\"", Verdict.Complete },
        { """{"type":"string","format":"date-time","description":"ignored"}""", "\"x\"", Verdict.Complete },
        // objects without properties
        { """{"type":"object"}""", """{"x":[1],"y":{}}""", Verdict.Complete },
        { """{"type":"object","additionalProperties":true}""", """{"x":1}""", Verdict.Complete },
        { """{"type":"object","additionalProperties":false}""", "{}", Verdict.Complete },
        { """{"type":"object","additionalProperties":false}""", """{"x":1}""", Verdict.Rejected },
        { """{"type":"object","additionalProperties":{"type":"integer"}}""", """{"x":1,"y":2}""", Verdict.Complete },
        { """{"type":"object","additionalProperties":{"type":"integer"}}""", """{"x":"s"}""", Verdict.Rejected },
        {
            """{"type":"object","properties":{"k\"ey/é":{"type":"null"}},"required":["k\"ey/é"],"additionalProperties":false}""", """{"k\"ey/é":null}""",
            Verdict.Complete
        },
        { "{}", "[true]", Verdict.Complete },
        { "true", "{}", Verdict.Complete },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SchemaAcceptsWhatItAllows(string schema, string text, Verdict expected)
    {
        Assert.Equal(expected, Run(schema, text));
        if (expected == Verdict.Complete)
        {
            using var document = JsonDocument.Parse(schema);
            Assert.True(JsonSchemaValidator.IsValid(document.RootElement, JsonDocument.Parse(text).RootElement));
        }
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a"}""", "'pattern' at # is not supported")]
    [InlineData("""{"type":"object","properties":{"zip":{"type":"string","pattern":"[0-9]{5}"}}}""", "'pattern' at #/properties/zip is not supported")]
    [InlineData("""{"not":{"type":"string"}}""", "'not' at # is not supported")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "'allOf' at # is not supported")]
    [InlineData("""{"if":{},"then":{}}""", "'if' at # is not supported")]
    [InlineData("""{"type":"object","patternProperties":{"a":{}}}""", "'patternProperties' at # is not supported")]
    [InlineData("""{"type":"number","minimum":0}""", "'minimum' at # is not supported")]
    [InlineData("""{"type":"array","items":{"type":"number","multipleOf":2}}""", "'multipleOf' at #/items is not supported")]
    [InlineData("""{"type":"array","prefixItems":[]}""", "'prefixItems' at # is not supported")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "'uniqueItems' at # is not supported")]
    [InlineData("""{"anyOf":[{"type":"string"},{"type":"string","pattern":"a"}]}""", "'pattern' at #/anyOf/1 is not supported")]
    [InlineData("""{"$defs":{"a":{"type":"string","pattern":"x"}},"$ref":"#/$defs/a"}""", "'pattern' at #/$defs/a is not supported")]
    [InlineData("""{"$ref":"https://example.com/schema"}""",
        "'$ref' to 'https://example.com/schema' (only #/$defs/... and #/definitions/...) at # is not supported")]
    [InlineData("""{"type":"object","properties":{"a":{}}""" +
        ""","additionalProperties":true}""", "'additionalProperties' other than false beside 'properties' at # is not supported")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "'items' as an array (tuple) at # is not supported")]
    [InlineData("""{"type":"string","anyOf":[{"type":"string"}]}""", "'type' beside 'anyOf' at # is not supported")]
    public void UnsupportedKeywordsNameThemselvesAndTheirPath(string schema, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ForSchema(schema));
        Assert.Equal($"response_format.json_schema: {message}", error.Message);
    }

    [Theory]
    [InlineData("""{"type":"date"}""", "expected one of object, array, string, number, integer, boolean, null, found 'date' at #/type")]
    [InlineData("""{"type":"object","properties":{"a":{}},"required":["b"]}""", "expected 'required' to name listed properties, found 'b' at #/required")]
    [InlineData("""{"type":"string","minLength":-1}""", "expected a non-negative integer, found -1 at #/minLength")]
    [InlineData("""{"type":"array","minItems":3,"maxItems":2}""", "expected minItems ≤ maxItems, found 3 > 2 at #")]
    [InlineData("""{"enum":[]}""", "expected a non-empty array, found array at #/enum")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "expected '$ref' to name a schema in the document, found '#/$defs/missing' leads nowhere at #")]
    [InlineData("""{"$ref":"#"}""", "a $ref or anyOf leads back to itself without an object or array in between")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]}""", "the schema admits no finite JSON value")]
    public void BadSchemasSayWhatWasExpected(string schema, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ForSchema(schema));
        Assert.Equal($"response_format.json_schema: {message}", error.Message);
    }
}
