// The ONNX reader on handmade protobuf bytes: a valid graph, then one test per kind of malformed file.
using Quill.Formats.Onnx;
using static Quill.Formats.Tests.Onnx.ProtobufBytes;

namespace Quill.Formats.Tests.Onnx;

public sealed class OnnxFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private OnnxFile Open(byte[] bytes) => OnnxFile.Open(_folder.Write("model.onnx", bytes));

    [Fact]
    public void ReadsNodesInitializersInputsAndOpset()
    {
        using var file = Open(MatMulModel());
        Assert.Equal(7, file.IrVersion);
        Assert.Equal("handmade", file.ProducerName);
        Assert.Equal(13, file.Opset);
        var node = Assert.Single(file.Nodes);
        Assert.Equal("MatMul", node.OpType);
        Assert.Equal(["x", "W"], node.Inputs);
        Assert.Equal(["y"], node.Outputs);
        Assert.Equal(0.5f, node.FindAttribute("alpha")!.Float);
        var w = Assert.Single(file.Initializers);
        Assert.Equal("W", w.Name);
        Assert.Equal(OnnxDataType.Float, w.DataType);
        Assert.Equal([2L, 3L], w.Dims);
        Assert.Equal([1f, 2, 3, 4, 5, 6], file.ReadFloats(w));
        Assert.Equal(24, file.GetRawData(w).Length);
        var x = Assert.Single(file.Inputs);
        Assert.Equal(OnnxDataType.Float, x.ElementType);
        Assert.Equal([null, 2L], x.Dims);
        Assert.Equal("y", Assert.Single(file.Outputs).Name);
    }

    [Fact]
    public void ReadsPackedInt64DataAndFloat16RawData()
    {
        byte[] int64s = [.. Bytes(1, Varint(3)), .. Int(2, 7), .. Text(8, "shape"),
            .. Bytes(7, [.. Varint(0), .. Varint(12), .. Varint(unchecked((ulong)-1L))])];
        using (var file = Open(MatMulModel(int64s)))
            Assert.Equal([0L, 12, -1], file.ReadInt64s(file.GetTensor("shape")));
        byte[] halves = Tensor("h", 10, [2], [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-2f))]);
        using (var file = Open(MatMulModel(halves)))
            Assert.Equal([1.5f, -2f], file.ReadFloats(file.GetTensor("h")));
    }

    [Fact]
    public void ExternalDataOpensButRefusesToRead()
    {
        byte[] external = [.. Bytes(1, [.. Varint(2), .. Varint(3)]), .. Int(2, 1), .. Text(8, "W"),
            .. Message(13, Text(1, "location"), Text(2, "weights.bin")), .. Int(14, 1)];
        using var file = Open(MatMulModel(external));
        var w = file.GetTensor("W");
        Assert.Equal(OnnxTensorStorage.External, w.Storage);
        var e = Assert.Throws<ModelFormatException>(() => file.ReadFloats(w));
        Assert.Contains("EXTERNAL", e.Message);
        Assert.StartsWith("model.onnx: ", e.Message);
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "empty file", [], "graph" },
        { "no graph", Int(1, 7), "graph" },
        { "truncated", MatMulModel()[..40], "expected" },
        { "length past the end", [.. Tag(7, 2), .. Varint(1UL << 40), 0, 0], "bytes left" },
        { "eleven-byte varint", [.. Tag(1, 0), .. Enumerable.Repeat((byte)0xFF, 10), 0x01], "varint" },
        { "group wire type", [.. Tag(5, 3)], "wire type" },
        { "field number zero", [0x02, 0x00], "field number" },
        { "raw_data shorter than dims", MatMulModel(Tensor("W", 1, [2, 3], Floats(1, 2, 3))), "'W'" },
        { "raw_data longer than dims", MatMulModel(Tensor("W", 1, [1], Floats(1, 2))), "'W'" },
        { "dims overflow", MatMulModel(Tensor("W", 1, [1L << 40, 1L << 40], Floats(1))), "64 bits" },
        { "too many dims", MatMulModel(Tensor("W", 1, [.. Enumerable.Repeat(1L, 40)], Floats(1))), "dims" },
        { "int64_data count", MatMulModel([.. Bytes(1, Varint(3)), .. Int(2, 7), .. Text(8, "s"), .. Bytes(7, Varint(5))]), "'s'" },
        { "truncated packed varint", MatMulModel([.. Bytes(1, Varint(1)), .. Int(2, 7), .. Text(8, "s"), .. Bytes(7, [0x85])]), "truncated varint" },
        { "two data fields", MatMulModel([.. Tensor("W", 1, [1], Floats(1)), .. Bytes(4, Floats(1))]), "one data field" },
        { "string type in raw_data", MatMulModel(Tensor("W", 8, [1], [1])), "fixed-size" },
        { "invalid UTF-8 name", MatMulModel([.. Bytes(8, [0xC3, 0x28]), .. Int(2, 1)]), "UTF-8" },
        { "wrong wire type for graph", [.. Tag(7, 0), 1], "wire type" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFilesGiveOneLineErrors(string name, byte[] bytes, string mention)
    {
        var e = Assert.Throws<ModelFormatException>(() => Open(bytes).Dispose());
        Assert.StartsWith("model.onnx: ", e.Message);
        Assert.Contains(mention, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public void EveryTruncationOfAValidFileFailsCleanly()
    {
        byte[] model = MatMulModel();
        for (int length = 0; length < model.Length; length++)
        {
            try
            {
                using var file = Open(model[..length]);
            }
            catch (ModelFormatException e)
            {
                Assert.StartsWith("model.onnx: ", e.Message);
            }
        }
    }
}
