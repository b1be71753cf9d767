// Fuzz targets over files and text: GGUF, safetensors and ONNX readers, tokenizer.json / vocab.txt / .tiktoken loaders, Jinja, JSON schema.
using System.Text;
using System.Text.Json;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Formats.Onnx;
using Quill.Formats.Safetensors;
using Quill.Formats.Tests.Onnx;
using Quill.Generation.Constraints;
using Quill.Models.Synthetic;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Fuzz;

/// <summary>GgufFile.Open, every tensor's data span, the tokenizer and the chat template stored in it.</summary>
internal sealed class GgufTarget : FuzzTarget
{
    public override string Name => "gguf";

    public override IReadOnlyList<byte[]> Seeds()
    {
        string path = Path.Combine(Scratch, "seed.gguf");
        SyntheticModelWriter.Write(path, new SyntheticModelOptions
        {
            Dim = 16, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 32, ContextLength = 64, ChatTemplate = ChatTemplate.BuiltIn("chatml").Source,
        });
        return [File.ReadAllBytes(path)];
    }

    public override byte[] Mutate(byte[] input, byte[] other, Random random) => Mutators.Bytes(input, other, random);

    public override void Run(byte[] input)
    {
        using GgufFile file = GgufFile.Open(WriteScratch("input.gguf", input));
        long sum = 0;
        foreach (GgufTensorInfo tensor in file.Tensors) sum += file.GetTensorData(tensor).Length;
        ITokenizer tokenizer = GgufTokenizerLoader.Load(file);
        tokenizer.Decode(tokenizer.Encode("Hello, world! ünïcödé 12345", addSpecial: true, parseSpecial: true));
        ChatTemplate.FromGguf(file)?.Render([new ChatMessage("user", "hi")]);
    }

    public override bool IsExpected(Exception e) => e is ModelFormatException or ChatTemplateException or InvalidDataException; // the loader's own
}

/// <summary>SafetensorsFile.Open and every tensor's data span.</summary>
internal sealed class SafetensorsTarget : FuzzTarget
{
    public override string Name => "safetensors";

    public override IReadOnlyList<byte[]> Seeds()
    {
        var writer = new SafetensorsWriter();
        writer.Set("format", "pt");
        writer.AddTensor("a.weight", SafetensorsDType.F32, [2, 3], new byte[24]);
        writer.AddTensor("b.bias", SafetensorsDType.F16, [4], new byte[8]);
        writer.AddTensor("c", SafetensorsDType.I64, [1, 1, 2], new byte[16]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return [stream.ToArray()];
    }

    public override byte[] Mutate(byte[] input, byte[] other, Random random)
    {
        if (input.Length < 8 || random.Next(2) == 0) return Mutators.Bytes(input, other, random);
        long headerLength = BitConverter.ToInt64(input, 0);
        if (headerLength <= 0 || headerLength > input.Length - 8) return Mutators.Bytes(input, other, random);
        byte[] header = Mutators.Json(input[8..(8 + (int)headerLength)], other, random); // the JSON header, structure-aware
        return [.. BitConverter.GetBytes((long)header.Length), .. header, .. input[(8 + (int)headerLength)..]];
    }

    public override void Run(byte[] input)
    {
        using SafetensorsFile file = SafetensorsFile.Open(WriteScratch("input.safetensors", input));
        foreach (SafetensorsTensorInfo tensor in file.Tensors) _ = file.GetTensorData(tensor).Length;
    }

    public override bool IsExpected(Exception e) => e is ModelFormatException;
}

/// <summary>OnnxFile.Open over a handmade MatMul model.</summary>
internal sealed class OnnxTarget : FuzzTarget
{
    public override string Name => "onnx";

    public override IReadOnlyList<byte[]> Seeds() => [ProtobufBytes.MatMulModel()];

    public override byte[] Mutate(byte[] input, byte[] other, Random random) => Mutators.Bytes(input, other, random);

    public override void Run(byte[] input)
    {
        using OnnxFile file = OnnxFile.Open(WriteScratch("input.onnx", input));
    }

    public override bool IsExpected(Exception e) => e is ModelFormatException;
}

/// <summary>A tokenizer file (tokenizer.json, vocab.txt or .tiktoken) loaded, then used to encode and decode a sentence.</summary>
internal sealed class TokenizerFileTarget(string name, string fileName, Func<string, IReadOnlyList<byte[]>> seeds, bool json) : FuzzTarget
{
    public override string Name => name;

    public override IReadOnlyList<byte[]> Seeds() => seeds(Scratch);

    public override byte[] Mutate(byte[] input, byte[] other, Random random) =>
        json ? Mutators.Json(input, other, random) : Mutators.Bytes(input, other, random);

    public override void Run(byte[] input)
    {
        ITokenizer tokenizer = TokenizerCatalog.Load(WriteScratch(fileName, input));
        int[] ids = tokenizer.Encode("Hello, world! Ünïcödé 12345 <|endoftext|> [CLS]", addSpecial: true, parseSpecial: true);
        tokenizer.Decode(ids);
    }

    public override bool IsExpected(Exception e) => e is ModelFormatException or InvalidDataException or FormatException;
}

/// <summary>ChatTemplate.Parse and Render over the built-in templates.</summary>
internal sealed class JinjaTarget : FuzzTarget
{
    public override string Name => "jinja";

    public override IReadOnlyList<byte[]> Seeds() => [.. ChatTemplate.BuiltInNames.Select(n => Encoding.UTF8.GetBytes(ChatTemplate.BuiltIn(n).Source))];

    public override byte[] Mutate(byte[] input, byte[] other, Random random) => Mutators.Template(input, other, random);

    public override void Run(byte[] input)
    {
        ChatTemplate template = ChatTemplate.Parse(Encoding.UTF8.GetString(input));
        template.Render([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi {{ 1 }}"), new ChatMessage("assistant", "Hello")]);
    }

    public override bool IsExpected(Exception e) => e is ChatTemplateException;
}

/// <summary>JsonConstraint.ForSchema (the response_format compiler) with the GPT-2 tokenizer.</summary>
internal sealed class JsonSchemaTarget : FuzzTarget
{
    private readonly ITokenizer _tokenizer = TokenizerCatalog.Load("gpt2");

    public override string Name => "json-schema";

    public override IReadOnlyList<byte[]> Seeds() =>
    [
        .. new[]
        {
            """{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer"}},"required":["name"]}""",
            """{"type":"array","items":{"enum":["a","b",1,null]},"minItems":1,"maxItems":3}""",
            """{"$defs":{"node":{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}}}},"$ref":"#/$defs/node"}""",
            """{"anyOf":[{"type":"number"},{"type":"boolean"},{"const":"x"}]}""",
            """{"type":"object","additionalProperties":{"type":"string"}}""",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    public override byte[] Mutate(byte[] input, byte[] other, Random random) => Mutators.Json(input, other, random);

    public override void Run(byte[] input)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input);
        }
        catch (JsonException)
        {
            return; // not JSON: the server answers that before the compiler sees it
        }
        using (document) JsonConstraint.ForSchema(_tokenizer, document.RootElement);
    }

    public override bool IsExpected(Exception e) => e is ArgumentException;
}
