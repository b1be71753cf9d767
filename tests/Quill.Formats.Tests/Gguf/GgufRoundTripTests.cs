// GgufWriter -> GgufFile round trips (every value type, nested and empty arrays, tensor bytes) and a handcrafted v2 file; not bad input.
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Formats.Tests.Gguf;

public class GgufRoundTripTests
{
    private static readonly (string Key, object Value)[] EveryValueType =
    [
        ("u8", (byte)200), ("i8", (sbyte)-100), ("u16", (ushort)60000), ("i16", (short)-30000),
        ("u32", 4000000000u), ("i32", -2000000000), ("f32", 3.25f), ("f32.nan", float.NaN),
        ("bool.true", true), ("bool.false", false), ("str", "héllo ✓ 𝄞"), ("str.empty", ""),
        ("u64", ulong.MaxValue), ("i64", long.MinValue), ("f64", Math.PI),
        ("a.u8", new byte[] { 1, 2, 255 }), ("a.i8", new sbyte[] { -1, 2 }), ("a.u16", new ushort[] { 7 }),
        ("a.i16", new short[] { -7, 7 }), ("a.u32", new uint[] { 1, uint.MaxValue }), ("a.i32", new[] { 1, -2, 3 }),
        ("a.f32", new[] { 0.5f, -1e30f }), ("a.bool", new[] { true, false, true }), ("a.str", new[] { "a", "", "ü" }),
        ("a.u64", new ulong[] { 0, ulong.MaxValue }), ("a.i64", new long[] { long.MinValue }), ("a.f64", new[] { 1e-300 }),
        ("a.empty.i32", Array.Empty<int>()), ("a.empty.str", Array.Empty<string>()),
        ("a.nested", new[] { new[] { 1, 2 }, Array.Empty<int>(), new[] { 3 } }),
        ("a.nested.str", new[] { new[] { "x" }, new[] { "y", "z" } }),
        ("a.nested.deep", new[] { new[] { new[] { 1.5f } } }),
        ("a.nested.empty", Array.Empty<GgufValue>()),
    ];

    [Fact]
    public void Metadata_of_every_type_survives_in_order()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        foreach ((string key, object value) in EveryValueType) writer.Set(key, value);
        string path = folder.File("values.gguf");
        writer.WriteTo(path);

        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(EveryValueType.Select(e => e.Key), file.Metadata.Keys);
        foreach ((string key, object value) in EveryValueType) AssertSameValue(GgufValue.From(value), file.Metadata[key], key);
    }

    [Fact]
    public void Deferred_tensors_are_made_at_write_time_in_order_and_their_size_is_checked()
    {
        using var folder = new TempFolder();
        var order = new List<string>();
        var writer = new GgufWriter();
        writer.AddTensor("first", GgmlType.F32, [3], new byte[12]);
        writer.AddTensor("made", GgmlType.F32, [5], stream =>
        {
            order.Add("made");
            stream.Write(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        });
        writer.AddTensor("later", GgmlType.F16, [2], stream =>
        {
            order.Add("later");
            stream.Write(new byte[] { 9, 9, 9, 9 });
        });
        Assert.Empty(order);
        string path = folder.File("deferred.gguf");
        writer.WriteTo(path);
        Assert.Equal(["made", "later"], order);
        using (var file = GgufFile.Open(path))
        {
            Assert.Equal(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray(), file.GetTensorData(file.GetTensor("made")).ToArray());
            Assert.Equal(new byte[] { 9, 9, 9, 9 }, file.GetTensorData(file.GetTensor("later")).ToArray());
        }

        var wrong = new GgufWriter();
        wrong.AddTensor("short", GgmlType.F32, [4], stream => stream.Write(new byte[15]));
        string bad = folder.File("bad.gguf");
        var e = Assert.Throws<InvalidOperationException>(() => wrong.WriteTo(bad));
        Assert.Contains("'short' needs 16 bytes", e.Message);
        Assert.False(File.Exists(bad));
        Assert.Empty(Directory.GetFiles(folder.Path, ".bad.gguf*"));
    }

    [Fact]
    public void Released_tensor_pages_read_back_the_same_bytes()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        byte[] big = [.. Enumerable.Range(0, 3 * 4096 + 100).Select(i => (byte)(i * 7))];
        writer.AddTensor("big", GgmlType.I8, [big.Length], big);
        writer.AddTensor("small", GgmlType.I8, [5], new byte[] { 1, 2, 3, 4, 5 });
        string path = folder.File("release.gguf");
        writer.WriteTo(path);
        using var file = GgufFile.Open(path);
        foreach (GgufTensorInfo t in file.Tensors) file.ReleaseTensorData(t);
        Assert.Equal(big, file.GetTensorData(file.GetTensor("big")).ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, file.GetTensorData(file.GetTensor("small")).ToArray());
        Assert.Throws<ArgumentException>(() => file.ReleaseTensorData(file.GetTensor("small") with { Offset = 1UL << 40 }));
    }

    [Fact]
    public void Tensor_bytes_survive_and_offsets_are_aligned()
    {
        var tensors = new (string Name, GgmlType Type, long[] Shape)[]
        {
            ("f32", GgmlType.F32, [3, 2]), ("f16", GgmlType.F16, [5]), ("q4_0", GgmlType.Q4_0, [64, 3]),
            ("q4_k", GgmlType.Q4_K, [256, 1, 2]), ("i8", GgmlType.I8, [7, 1, 1, 2]), ("bf16", GgmlType.BF16, [1]),
        };
        foreach (uint alignment in new uint[] { 32, 64, 1 })
        {
            using var folder = new TempFolder();
            var writer = new GgufWriter(alignment);
            writer.Set("general.name", "tensors");
            var datas = new List<byte[]>();
            var random = new Random(7);
            foreach ((string name, GgmlType type, long[] shape) in tensors)
            {
                long rows = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var data = new byte[GgmlTypeInfo.RowBytes(type, shape[0]) * rows];
                random.NextBytes(data);
                datas.Add(data);
                writer.AddTensor(name, type, shape, data);
            }
            string path = folder.File("tensors.gguf");
            writer.WriteTo(path);

            using var file = GgufFile.Open(path);
            Assert.Equal(alignment, file.Alignment);
            Assert.Equal(0, file.DataOffset % alignment);
            Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
            for (int i = 0; i < tensors.Length; i++)
            {
                GgufTensorInfo info = file.GetTensor(tensors[i].Name);
                Assert.Equal(tensors[i].Type, info.Type);
                Assert.Equal(tensors[i].Shape, info.Shape);
                Assert.Equal(0ul, info.Offset % alignment);
                Assert.Equal(datas[i], file.GetTensorData(info).ToArray());
            }
        }
    }

    [Fact]
    public void A_file_without_tensors_opens()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        writer.Set("k", 1u);
        string path = folder.File("empty.gguf");
        writer.WriteTo(path);
        using var file = GgufFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Equal(1u, file.GetUInt32("k"));
        Assert.True(file.DataOffset <= file.FileLength);
    }

    [Fact]
    public void Set_replaces_a_key_in_place()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        writer.Set("a", 1u);
        writer.Set("b", 2u);
        writer.Set("a", "three");
        string path = folder.File("replace.gguf");
        writer.WriteTo(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(["a", "b"], file.Metadata.Keys);
        Assert.Equal("three", file.GetString("a"));
    }

    [Fact]
    public void WriteTo_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        using var folder = new TempFolder();
        string path = folder.Write("model.gguf", [1, 2, 3]);
        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.WriteTo(path);
        using (var file = GgufFile.Open(path)) Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(["model.gguf"], Directory.GetFiles(folder.Path).Select(System.IO.Path.GetFileName));
    }

    [Fact]
    public void A_handcrafted_version_2_file_reads()
    {
        using var folder = new TempFolder();
        byte[] bytes = GgufBytes.Header(version: 2, tensorCount: 2, keyValueCount: 2)
            .KeyString("general.architecture", "llama")
            .KeyU32("llama.context_length", 2048)
            .Tensor("a", GgmlType.F32, [2], 0)
            .Tensor("b", GgmlType.Q8_0, [32], 32)
            .Pad()
            .Raw(BitConverter.GetBytes(1.5f)).Raw(BitConverter.GetBytes(-2f)).Pad()
            .Zeros(34)
            .ToArray();
        string path = folder.Write("v2.gguf", bytes);
        using var file = GgufFile.Open(path);
        Assert.Equal(2u, file.Version);
        Assert.Equal("llama", file.RequireString("general.architecture"));
        Assert.Equal(2048, file.RequireInteger("llama.context_length"));
        Assert.Equal([1.5f, -2f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.GetTensorData(file.GetTensor("a"))).ToArray());
        Assert.Equal(34, file.GetTensorData(file.GetTensor("b")).Length);
        Assert.Equal(bytes.Length, file.FileLength);
    }

    [Fact]
    public void Typed_accessors_convert_integers_and_reject_other_types()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        writer.Set("i32", 5);
        writer.Set("u32", 7u);
        writer.Set("neg", -1);
        writer.Set("s", "text");
        writer.Set("f", 0.5f);
        writer.Set("vocab", new[] { "a", "b" });
        writer.Set("types", new uint[] { 1, 2 });
        string path = folder.File("typed.gguf");
        writer.WriteTo(path);
        using var file = GgufFile.Open(path);

        Assert.Equal(5u, file.GetUInt32("i32"));
        Assert.Equal(7, file.GetInt32("u32"));
        Assert.Equal(7L, file.GetInteger("u32"));
        Assert.Equal(7ul, file.GetUInt64("u32"));
        Assert.Equal(0.5f, file.GetFloat32("f"));
        Assert.Equal(["a", "b"], file.GetStringArray("vocab")!);
        Assert.Equal([1, 2], file.GetInt32Array("types")!);
        Assert.Null(file.GetString("absent"));
        Assert.Null(file.GetInteger("absent"));
        Assert.Null(file.GetFloat32Array("absent"));

        AssertThrowsMentioning(() => file.GetString("u32"), "'u32'", "String");
        AssertThrowsMentioning(() => file.GetUInt32("neg"), "'neg'", "-1");
        AssertThrowsMentioning(() => file.GetInteger("s"), "'s'", "integer");
        AssertThrowsMentioning(() => file.GetBool("f"), "'f'");
        AssertThrowsMentioning(() => file.GetFloat32Array("vocab"), "'vocab'", "array of String");
        AssertThrowsMentioning(() => file.GetStringArray("s"), "'s'", "array");
        AssertThrowsMentioning(() => file.RequireString("general.name"), "missing required key 'general.name'");
        AssertThrowsMentioning(() => file.RequireFloat32("x"), "missing required key 'x'");
        AssertThrowsMentioning(() => file.GetTensor("output.weight"), "tensor 'output.weight' is missing");
    }

    [Fact]
    public void Dispose_releases_the_map()
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter();
        writer.AddTensor("t", GgmlType.F32, [4], new byte[16]);
        string path = folder.File("dispose.gguf");
        writer.WriteTo(path);
        var file = GgufFile.Open(path);
        GgufTensorInfo t = file.GetTensor("t");
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetTensorData(t).Length);
        File.Delete(path);
    }

    [Theory]
    [InlineData(42u, "42")]
    [InlineData("hi", "\"hi\"")]
    [InlineData(true, "true")]
    [InlineData(1.5f, "1.5")]
    public void Scalars_print_briefly(object value, string expected) => Assert.Equal(expected, GgufValue.From(value).ToString());

    [Fact]
    public void Arrays_print_abbreviated()
    {
        Assert.Equal("[1, 2, 3, ... 32000 items]", GgufValue.From(Enumerable.Range(1, 32000).ToArray()).ToString());
        Assert.Equal("[\"a\", \"b\"]", GgufValue.From(new[] { "a", "b" }).ToString());
        Assert.Equal("[]", GgufValue.From(Array.Empty<float>()).ToString());
        Assert.Equal("[[1], []]", GgufValue.From(new[] { new[] { 1 }, Array.Empty<int>() }).ToString());
    }

    [Fact]
    public void Writer_rejects_bad_tensors()
    {
        var writer = new GgufWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("short", GgmlType.F32, [4], new byte[15]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("rows", GgmlType.Q4_0, [33], new byte[36]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("dims", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("zero", GgmlType.F32, [0], ReadOnlyMemory<byte>.Empty));
        writer.AddTensor("t", GgmlType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(48));
        Assert.Throws<ArgumentException>(() => writer.Set("x", new object()));
    }

    private static void AssertThrowsMentioning(Action action, params string[] fragments)
    {
        var error = Assert.Throws<ModelFormatException>(action);
        foreach (string fragment in fragments) Assert.Contains(fragment, error.Message);
    }

    internal static void AssertSameValue(GgufValue expected, GgufValue actual, string key)
    {
        Assert.True(expected.Type == actual.Type, $"{key}: type {actual.Type}, expected {expected.Type}");
        Assert.True(expected.ElementType == actual.ElementType, $"{key}: item type {actual.ElementType}, expected {expected.ElementType}");
        if (expected.Value is GgufValue[] nested)
        {
            var actualNested = Assert.IsType<GgufValue[]>(actual.Value);
            Assert.Equal(nested.Length, actualNested.Length);
            for (int i = 0; i < nested.Length; i++) AssertSameValue(nested[i], actualNested[i], $"{key}[{i}]");
            return;
        }
        Assert.Equal(expected.Value.GetType(), actual.Value.GetType());
        Assert.Equal(expected.Value, actual.Value);
    }
}
