// Builds protobuf wire bytes by hand for the ONNX reader tests, including deliberately broken ones; not a serializer.
namespace Quill.Formats.Tests.Onnx;

internal static class ProtobufBytes
{
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
        return [.. bytes];
    }

    public static byte[] Tag(int field, int wire) => Varint((ulong)field << 3 | (uint)wire);

    public static byte[] Int(int field, long value) => [.. Tag(field, 0), .. Varint((ulong)value)];

    public static byte[] Bytes(int field, byte[] payload) => [.. Tag(field, 2), .. Varint((ulong)payload.Length), .. payload];

    public static byte[] Text(int field, string text) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(text));

    public static byte[] Message(int field, params byte[][] parts) => Bytes(field, [.. parts.SelectMany(p => p)]);

    public static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    /// <summary>TensorProto: dims (packed), data_type, name, raw_data.</summary>
    public static byte[] Tensor(string name, int dataType, long[] dims, byte[] raw) =>
        [.. Bytes(1, [.. dims.SelectMany(d => Varint((ulong)d))]), .. Int(2, dataType), .. Text(8, name), .. Bytes(9, raw)];

    /// <summary>A ModelProto: ir_version 7, opset 13, a graph of one MatMul y = x · W with W (2, 3) in raw_data.</summary>
    public static byte[] MatMulModel(byte[]? initializer = null) =>
    [
        .. Int(1, 7),
        .. Text(2, "handmade"),
        .. Message(8, Int(2, 13)),
        .. Message(7,
            Message(1, Text(1, "x"), Text(1, "W"), Text(2, "y"), Text(3, "mm"), Text(4, "MatMul"),
                Message(5, Text(1, "alpha"), Int(20, 1), [.. Tag(2, 5), .. BitConverter.GetBytes(0.5f)])),
            Text(2, "g"),
            Bytes(5, initializer ?? Tensor("W", 1, [2, 3], Floats(1, 2, 3, 4, 5, 6))),
            Message(11, Text(1, "x"), Message(2, Message(1, Int(1, 1), Message(2, Message(1, Text(2, "batch")), Message(1, Int(1, 2)))))),
            Message(12, Text(1, "y"))),
    ];
}
