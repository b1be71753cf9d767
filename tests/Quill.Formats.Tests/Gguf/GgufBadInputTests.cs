// One handcrafted broken GGUF file per malformation (as llama.cpp's test-gguf), each must fail with a one-line ModelFormatException; not fuzzing.
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Formats.Tests.Gguf;

public class GgufBadInputTests
{
    private const ulong Huge = 1ul << 62;

    private static GgufBytes V3(ulong tensors, ulong keyValues) => GgufBytes.Header(3, tensors, keyValues);

    /// <summary>A valid one-tensor header, to be followed by data (or not).</summary>
    private static GgufBytes OneTensor(GgmlType type, long[] shape, ulong offset = 0) =>
        V3(1, 0).Tensor("blk.0.w", type, shape, offset).Pad();

    private static readonly Dictionary<string, (Func<byte[]> Bytes, string Expected)> Cases = new()
    {
        ["empty file"] = (() => [], "empty"),
        ["short magic"] = (() => "GG"u8.ToArray(), "magic"),
        ["bad magic"] = (() => new GgufBytes().Raw("GGML"u8).U32(3).U64(0).U64(0).ToArray(), "magic"),
        ["version 1"] = (() => GgufBytes.Header(1, 0, 0).ToArray(), "version 1"),
        ["version 4"] = (() => GgufBytes.Header(4, 0, 0).ToArray(), "version 4"),
        ["big-endian"] = (() => GgufBytes.Header(0x03000000, 0, 0).ToArray(), "big-endian"),
        ["truncated version"] = (() => new GgufBytes().Raw("GGUF"u8).U8(3).ToArray(), "version"),
        ["truncated counts"] = (() => new GgufBytes().Raw("GGUF"u8).U32(3).U32(0).ToArray(), "tensor count"),
        ["truncated key"] = (() => V3(0, 1).U64(40).Raw("general.architecture"u8).ToArray(), "claims 40 bytes"),
        ["truncated value"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.UInt32).U8(1).ToArray(), "inside the value of 'k'"),
        ["truncated array"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.Int32).U64(3).U32(1).U32(2).ToArray(),
            "array items"),
        ["truncated tensor info"] = (() => V3(1, 0).Str("blk.0.attn_q").U32(2).U64(4).ToArray(), "dimension 1 of tensor 'blk.0.attn_q'"),
        ["truncated data"] = (() => OneTensor(GgmlType.F32, [8]).Zeros(31).ToArray(), "data ends at byte 96 but the file has 95 bytes"),
        ["tensor count 2^62"] = (() => V3(Huge, 0).Zeros(64).ToArray(), "tensor count"),
        ["key-value count 2^62"] = (() => V3(0, Huge).Zeros(64).ToArray(), "key-value count"),
        ["string length past the end"] = (() => V3(0, 1).U64(1ul << 63).Zeros(16).ToArray(), "claims"),
        ["value string length past the end"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.String).U64(ulong.MaxValue).ToArray(), "value of 'k'"),
        ["array count past the end"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.UInt8).U64(Huge).Zeros(8).ToArray(),
            "array items"),
        ["string array count past the end"] = (() => V3(0,
            1).Str("k").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(3).U64(0).U64(0).ToArray(), "array items"),
        ["unknown value type"] = (() => V3(0, 1).Str("k").U32(13).U32(0).ToArray(), "unknown value type 13"),
        ["unknown array item type"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.Array).U32(99).U64(0).ToArray(), "unknown value type 99"),
        ["bool not 0 or 1"] = (() => V3(0, 1).Str("k").U32((uint)GgufValueType.Bool).U8(2).ToArray(), "expected 0 or 1"),
        ["arrays nested too deep"] = (() => DeeplyNested(40), "deeper"),
        ["unknown tensor type"] = (() => OneTensor((GgmlType)4, [32]).Zeros(64).ToArray(), "unknown ggml type 4"),
        ["5 dimensions"] = (() => OneTensor(GgmlType.F32, [1, 1, 1, 1, 1]).Zeros(32).ToArray(), "5 dimensions"),
        ["0 dimensions"] = (() => OneTensor(GgmlType.F32, []).Zeros(32).ToArray(), "0 dimensions"),
        ["dimension 0"] = (() => OneTensor(GgmlType.F32, [4, 0]).Zeros(32).ToArray(), "dimension 1 is 0"),
        ["negative dimension"] = (() => OneTensor(GgmlType.F32, [-1]).Zeros(32).ToArray(), "dimension 0 is -1"),
        ["element count overflow"] = (() => OneTensor(GgmlType.F32, [1L << 40, 1L << 40]).Zeros(32).ToArray(), "2^63"),
        ["tensor larger than the file"] = (() => OneTensor(GgmlType.F32, [1L << 40]).Zeros(32).ToArray(), "needs 4398046511104 bytes"),
        ["row not a multiple of the block size"] = (() => OneTensor(GgmlType.Q4_0, [33]).Zeros(64).ToArray(), "block size 32"),
        ["duplicate tensor names"] = (() => V3(2, 0).Tensor("t", GgmlType.F32, [1], 0).Tensor("t", GgmlType.F32, [1], 32).Pad().Zeros(64).ToArray(),
            "duplicate tensor name 't'"),
        ["tensor name of 65 bytes"] = (() => V3(1, 0).Tensor(new string('n', 65), GgmlType.F32, [1], 0).Pad().Zeros(32).ToArray(),
            "name of tensor 0 at byte 24 is 65 bytes long"),
        ["duplicate keys"] = (() => V3(0, 2).KeyU32("k", 1).KeyU32("k", 2).ToArray(), "duplicate metadata key 'k'"),
        ["misaligned offset"] = (() => OneTensor(GgmlType.F32, [1], offset: 8).Zeros(64).ToArray(), "not a multiple of the alignment 32"),
        ["offset past the end"] = (() => OneTensor(GgmlType.F32, [1], offset: 1ul << 40).Zeros(32).ToArray(), "past the end"),
        ["offset at u64 max"] = (() => OneTensor(GgmlType.F32, [1], offset: ulong.MaxValue & ~31ul).Zeros(32).ToArray(), "past the end"),
        ["alignment 0"] = (() => V3(0, 1).KeyU32("general.alignment", 0).ToArray(), "power of two"),
        ["alignment 48"] = (() => V3(0, 1).KeyU32("general.alignment", 48).ToArray(), "power of two"),
        ["alignment a string"] = (() => V3(0, 1).KeyString("general.alignment", "32").ToArray(), "must be an integer"),
        ["alignment u64 too large"] = (() => V3(0, 1).Str("general.alignment").U32((uint)GgufValueType.UInt64).U64(1ul << 63).ToArray(), "power of two"),
        ["invalid UTF-8 key"] = (() => V3(0, 1).StrBytes([0x67, 0xC3, 0x28]).U32((uint)GgufValueType.UInt8).U8(0).ToArray(), "not valid UTF-8"),
        ["invalid UTF-8 tensor name"] = (() => V3(1, 0).StrBytes([0xFF]).U32(1).U64(1).U32(0).U64(0).Pad().Zeros(32).ToArray(), "not valid UTF-8"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_file_fails_with_a_one_line_message(string name)
    {
        (Func<byte[]> bytes, string expected) = Cases[name];
        using var folder = new TempFolder();
        string path = folder.Write("bad.gguf", bytes());
        var error = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_tensor_cases_are_valid_when_repaired()
    {
        // Guards the table: the same builder with a sane tensor must open, so each case fails for its stated reason.
        using var folder = new TempFolder();
        string path = folder.Write("good.gguf", OneTensor(GgmlType.F32, [8]).Zeros(32).ToArray());
        using var file = GgufFile.Open(path);
        Assert.Equal(32, file.GetTensorData(file.GetTensor("blk.0.w")).Length);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_fails_cleanly()
    {
        using var folder = new TempFolder();
        byte[] whole = SmallFile(folder);
        long dataEnd;
        using (var file = GgufFile.Open(folder.Write("whole.gguf", whole)))
        {
            dataEnd = file.Tensors.Max(t => file.DataOffset + (long)t.Offset + t.ByteLength);
        }
        for (int length = 0; length < whole.Length; length++)
        {
            string path = folder.Write("cut.gguf", whole[..length]);
            if (length >= dataEnd)
            {
                GgufFile.Open(path).Dispose();
                continue;
            }
            var error = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path).Dispose());
            Assert.Contains("cut.gguf", error.Message);
        }
    }

    /// <summary>A small valid file with several value types and three tensors, written by GgufWriter.</summary>
    internal static byte[] SmallFile(TempFolder folder)
    {
        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.Set("llama.block_count", 2u);
        writer.Set("llama.rope.freq_base", 10000f);
        writer.Set("tokenizer.ggml.tokens", new[] { "<s>", "</s>", "a", "b" });
        writer.Set("tokenizer.ggml.scores", new[] { 0f, 0f, -1f, -2f });
        writer.Set("nested", new[] { new long[] { 1, 2 }, [] });
        writer.Set("flag", true);
        writer.AddTensor("token_embd.weight", GgmlType.F16, [4, 4], new byte[32]);
        writer.AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [32, 2], Enumerable.Range(0, 68).Select(i => (byte)i).ToArray());
        writer.AddTensor("output_norm.weight", GgmlType.F32, [3], new byte[12]);
        string path = folder.File("small.gguf");
        writer.WriteTo(path);
        return File.ReadAllBytes(path);
    }

    private static byte[] DeeplyNested(int depth)
    {
        var bytes = V3(0, 1).Str("k").U32((uint)GgufValueType.Array);
        for (int i = 0; i < depth; i++) bytes.U32((uint)GgufValueType.Array).U64(1);
        return bytes.U32((uint)GgufValueType.UInt8).U64(0).ToArray();
    }
}
