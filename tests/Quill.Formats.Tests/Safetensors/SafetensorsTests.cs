// Safetensors writer -> reader round trips, handcrafted bad headers (one per malformation) and seeded mutations; not GGUF.
using System.Text;
using Quill.Formats.Safetensors;

namespace Quill.Formats.Tests.Safetensors;

public class SafetensorsTests
{
    private const int FuzzSeed = 77;
    private const int FuzzVariants = 400;
    private const string JsonBytes = "{}[],:\"0123456789-.e \0\u00ff";

    /// <summary>A file from a raw JSON header and data bytes: u64 length, JSON, data.</summary>
    private static byte[] Raw(string json, int dataBytes = 0, ulong? claimedLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), claimedLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static string Tensor(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    [Fact]
    public void Writer_output_reads_back()
    {
        using var folder = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.Set("format", "pt");
        writer.Set("note", "ünïcode ✓");
        var tensors = new (string Name, SafetensorsDType DType, long[] Shape)[]
        {
            ("w.f32", SafetensorsDType.F32, [2, 3]), ("w.bf16", SafetensorsDType.BF16, [5]), ("w.f16", SafetensorsDType.F16, [1, 1, 3]),
            ("scalar.i64", SafetensorsDType.I64, []), ("empty.i32", SafetensorsDType.I32, [0, 4]), ("mask", SafetensorsDType.Bool, [3]),
            ("bytes", SafetensorsDType.U8, [7]), ("double", SafetensorsDType.F64, [2]), ("ids", SafetensorsDType.I32, [3]),
        };
        var random = new Random(3);
        var datas = new List<byte[]>();
        foreach ((string name, SafetensorsDType dtype, long[] shape) in tensors)
        {
            var data = new byte[shape.Aggregate((long)SafetensorsDTypeInfo.Size(dtype), (a, b) => a * b)];
            random.NextBytes(data);
            datas.Add(data);
            writer.AddTensor(name, dtype, shape, data);
        }
        string path = folder.File("model.safetensors");
        writer.WriteTo(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(0, (file.DataOffset - 8) % 8);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("ünïcode ✓", file.Metadata["note"]);
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        for (int i = 0; i < tensors.Length; i++)
        {
            SafetensorsTensorInfo info = file.FindTensor(tensors[i].Name)!;
            Assert.Equal(tensors[i].DType, info.DType);
            Assert.Equal(tensors[i].Shape, info.Shape);
            Assert.Equal(datas[i], file.GetTensorData(info).ToArray());
        }
        Assert.Null(file.FindTensor("absent"));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(System.IO.Path.GetFileName));
    }

    [Fact]
    public void A_file_without_tensors_or_metadata_reads()
    {
        using var folder = new TempFolder();
        string path = folder.File("none.safetensors");
        new SafetensorsWriter().WriteTo(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Unsorted_and_overlapping_ranges_are_allowed()
    {
        using var folder = new TempFolder();
        string json = "{" + Tensor("b", "F32", "[1]", "[4,8]") + "," + Tensor("a", "F32", "[1]", "[0,4]") + ","
            + Tensor("both", "F32", "[2]", "[0,8]") + "}";
        byte[] bytes = Raw(json, dataBytes: 8);
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 8), 1.5f);
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 4), 2.5f);
        using var file = SafetensorsFile.Open(folder.Write("ranges.safetensors", bytes));
        Assert.Equal(["b", "a", "both"], file.Tensors.Select(t => t.Name));
        Assert.Equal(2.5f, BitConverter.ToSingle(file.GetTensorData(file.GetTensor("b"))));
        Assert.Equal(1.5f, BitConverter.ToSingle(file.GetTensorData(file.GetTensor("a"))));
        Assert.Equal(8, file.GetTensorData(file.GetTensor("both")).Length);
    }

    private static readonly Dictionary<string, (Func<byte[]> Bytes, string Expected)> Cases = new()
    {
        ["empty file"] = (() => [], "0 bytes"),
        ["short length"] = (() => [1, 2, 3, 4, 5], "5 bytes"),
        ["header length over the limit"] = (() => Raw("{}", claimedLength: 200_000_000), "limit"),
        ["header length past the end"] = (() => Raw("{}", claimedLength: 3), "past the end"),
        ["malformed JSON"] = (() => Raw("{\"a\":"), "malformed"),
        ["trailing NUL padding"] = (() => Raw("{}\0\0"), "malformed"),
        ["root an array"] = (() => Raw("[1,2]"), "should be an object"),
        ["invalid UTF-8"] = (() => { byte[] b = Raw("{\"x\":1}"); b[10] = 0xFF; return b; }, "UTF-8"),
        ["metadata not an object"] = (() => Raw("{\"__metadata__\":[]}"), "'__metadata__' should be an object"),
        ["metadata value not a string"] = (() => Raw("{\"__metadata__\":{\"format\":1}}"), "'format' should be a string"),
        ["duplicate metadata"] = (() => Raw("{\"__metadata__\":{},\"__metadata__\":{}}"), "appears twice"),
        ["tensor not an object"] = (() => Raw("{\"t\":3}"), "tensor 't' should be an object"),
        ["missing dtype"] = (() => Raw("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "no \"dtype\""),
        ["unknown dtype"] = (() => Raw("{" + Tensor("t", "F31", "[1]", "[0,4]") + "}", 4), "unknown dtype \"F31\""),
        ["missing shape"] = (() => Raw("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "no \"shape\""),
        ["negative dimension"] = (() => Raw("{" + Tensor("t", "F32", "[-1]", "[0,4]") + "}", 4), "non-negative integer, found -1"),
        ["fractional dimension"] = (() => Raw("{" + Tensor("t", "F32", "[1.5]", "[0,4]") + "}", 4), "found 1.5"),
        ["three offsets"] = (() => Raw("{" + Tensor("t", "F32", "[1]", "[0,4,8]") + "}", 8), "3 items, expected 2"),
        ["begin after end"] = (() => Raw("{" + Tensor("t", "F32", "[0]", "[4,0]") + "}", 4), "end before they begin"),
        ["end past the data"] = (() => Raw("{" + Tensor("t", "F32", "[2]", "[0,8]") + "}", 4),
            "ends at byte 8 of the data section, but the section has 4 bytes"),
        ["huge offset"] = (() => Raw("{" + Tensor("t", "F32", "[1]", "[0,99999999999999999999]") + "}", 4), "non-negative integer"),
        ["size mismatch"] = (() => Raw("{" + Tensor("t", "F32", "[3]", "[0,8]") + "}", 8), "needs 12 bytes"),
        ["shape overflow"] = (() => Raw("{" + Tensor("t", "F32", "[4294967296,4294967296]", "[0,8]") + "}", 8), "too large"),
        ["duplicate tensor"] = (() => Raw("{" + Tensor("t", "U8", "[1]", "[0,1]") + "," + Tensor("t", "U8", "[1]", "[0,1]") + "}", 1),
            "duplicate tensor name 't'"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_file_fails_with_a_one_line_message(string name)
    {
        (Func<byte[]> bytes, string expected) = Cases[name];
        using var folder = new TempFolder();
        string path = folder.Write("bad.safetensors", bytes());
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Writer_rejects_bad_tensors()
    {
        var writer = new SafetensorsWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", SafetensorsDType.F32, [2], new byte[7]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", SafetensorsDType.F32, [-1], new byte[0]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("__metadata__", SafetensorsDType.U8, [1], new byte[1]));
        writer.AddTensor("t", SafetensorsDType.U8, [1], new byte[1]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", SafetensorsDType.U8, [1], new byte[1]));
    }

    [Fact]
    public void Mutated_files_open_or_fail_with_ModelFormatException()
    {
        using var folder = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.Set("format", "pt");
        writer.AddTensor("a", SafetensorsDType.F32, [2, 2], new byte[16]);
        writer.AddTensor("b", SafetensorsDType.BF16, [3], new byte[6]);
        string original = folder.File("original.safetensors");
        writer.WriteTo(original);
        byte[] bytes = File.ReadAllBytes(original);

        var random = new Random(FuzzSeed);
        int opened = 0, rejected = 0;
        for (int variant = 0; variant < FuzzVariants; variant++)
        {
            byte[] mutated = (byte[])bytes.Clone();
            switch (random.Next(3))
            {
                case 0: mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: mutated[random.Next(mutated.Length)] = (byte)JsonBytes[random.Next(JsonBytes.Length)]; break;
                default: mutated = mutated[..random.Next(mutated.Length)]; break;
            }
            string path = folder.Write("fuzz.safetensors", mutated);
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (SafetensorsTensorInfo tensor in file.Tensors) _ = file.GetTensorData(tensor).Length;
                opened++;
            }
            catch (ModelFormatException error)
            {
                Assert.DoesNotContain('\n', error.Message);
                rejected++;
            }
            catch (Exception error)
            {
                Assert.Fail($"variant {variant} threw {error.GetType().Name}: {error.Message}");
            }
        }
        Assert.True(opened > 0 && rejected > 0, $"opened {opened}, rejected {rejected}: the mutations should do both");
    }
}
