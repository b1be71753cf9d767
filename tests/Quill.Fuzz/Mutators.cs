// The fuzzer's mutations: byte-level (bit flips, interesting integers at aligned offsets, splices), JSON-tree and template-token edits.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Quill.Fuzz;

/// <summary>
/// Byte mutations know binary formats only as far as "lengths and counts are little-endian u32/u64 at aligned offsets",
/// which is what GGUF, safetensors' header length and protobuf varints trip over. JSON mutations edit the parsed tree
/// (a value replaced by a hostile one, a key dropped, an array item duplicated); text mutations splice template tokens.
/// </summary>
internal static class Mutators
{
    private static readonly long[] Interesting =
    [
        0, 1, -1, 2, 7, 8, 63, 64, 65, 255, 256, 0x7FFF, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, 1L << 40, 1L << 62, long.MaxValue,
        long.MinValue,
    ];

    private static readonly string[] HostileJson =
    [
        "null", "true", "0", "-1", "1e308", "-1e308", "2147483648", "18446744073709551616", "1.5", "\"\"", "\"\\ud800\"", "[]", "{}", "[[[[[[[[]]]]]]]]",
        "\"" + new string('a', 5000) + "\"", "[" + string.Join(',', Enumerable.Repeat("1", 2000)) + "]", "{\"$ref\":\"#\"}",
    ];

    private static readonly string[] TemplateTokens =
    [
        "{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", " for m in messages ", " endfor ", " if ", " elif ", " else ", " endif ", " set x = ", " loop.index ",
        " messages[0]['content'] ", "|tojson", "|trim", "|length", "|join(',')", "|replace('a','b')", " range(100000000) ", " namespace(a=1) ",
        " macro m() ", " endmacro ", " call ", " raise_exception('x') ", " not ", " and ", " or ", " in ", " is defined ", " ~ ", "[::-1]", "[1:2:0]",
        "'", "\"", "(", ")", "[", "]",
        " x.y.z ", " 1/0 ", " 10**100 ", " 'a'*100000000 ", " bos_token ", " add_generation_prompt ", "\n", " recursive ", " loop(m) ",
    ];

    /// <summary>One to four byte-level mutations of <paramref name="input"/>, splicing from <paramref name="other"/>.</summary>
    public static byte[] Bytes(byte[] input, byte[] other, Random random)
    {
        var data = new List<byte>(input);
        int rounds = 1 + random.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            int n = data.Count;
            switch (random.Next(8))
            {
                case 0 when n > 0:
                    int bit = random.Next(n * 8);
                    data[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1 when n > 0:
                    data[random.Next(n)] = (byte)random.Next(256);
                    break;
                case 2 when n >= 8:
                {
                    int at = random.Next(n / 8) * 8 + (random.Next(4) == 0 ? random.Next(8) : 0);
                    if (at + 8 > n) break;
                    var span = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(span, Interesting[random.Next(Interesting.Length)]);
                    int width = random.Next(2) == 0 ? 8 : 4;
                    for (int i = 0; i < width; i++) data[at + i] = span[i];
                    break;
                }
                case 3 when n > 0:
                {
                    int at = random.Next(n);
                    data.RemoveRange(at, Math.Min(n - at, 1 + random.Next(Math.Max(1, n / 8))));
                    break;
                }
                case 4 when n > 0:
                {
                    int at = random.Next(n), length = Math.Min(n - at, 1 + random.Next(64));
                    data.InsertRange(random.Next(n), data.GetRange(at, length));
                    break;
                }
                case 5 when n > 0:
                {
                    int keep = random.Next(n); // a truncated upload or file
                    data.RemoveRange(keep, n - keep);
                    break;
                }
                case 6 when other.Length > 0:
                {
                    int from = random.Next(other.Length), length = Math.Min(other.Length - from, 1 + random.Next(256));
                    int at = n == 0 ? 0 : random.Next(n);
                    data.RemoveRange(at, Math.Min(length, n - at));
                    data.InsertRange(at, other.AsSpan(from, length).ToArray());
                    break;
                }
                default:
                    if (n > 0) data[random.Next(n)] = (byte)(random.Next(2) == 0 ? 0 : 0xFF);
                    break;
            }
        }
        return [.. data];
    }

    /// <summary>A JSON document with one to three nodes edited; falls back to bytes when the input no longer parses.</summary>
    public static byte[] Json(byte[] input, byte[] other, Random random)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(input);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return Bytes(input, other, random);
        }
        if (root is null || random.Next(10) == 0) return Bytes(input, other, random);
        try
        {
            EditTree(root, random);
            return Encoding.UTF8.GetBytes(root.ToJsonString());
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return Bytes(input, other, random); // duplicate keys or a lone surrogate JsonNode refuses
        }
    }

    private static void EditTree(JsonNode root, Random random)
    {
        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            List<JsonNode> nodes = [.. Walk(root)];
            JsonNode target = nodes[random.Next(nodes.Count)];
            JsonNode? parent = target.Parent;
            if (parent is null) continue;
            JsonNode? replacement = random.Next(3) == 0
                ? nodes[random.Next(nodes.Count)].DeepClone()
                : JsonNode.Parse(HostileJson[random.Next(HostileJson.Length)]);
            switch (parent)
            {
                case JsonObject obj:
                    string key = target.GetPropertyName();
                    if (random.Next(4) == 0) obj.Remove(key);
                    else obj[key] = replacement;
                    break;
                case JsonArray array:
                    int index = target.GetElementIndex();
                    if (random.Next(4) == 0) array.Insert(index, target.DeepClone());
                    else if (random.Next(4) == 0) array.RemoveAt(index);
                    else array[index] = replacement;
                    break;
            }
        }
    }

    /// <summary>Template text with tokens spliced in, spans deleted or duplicated.</summary>
    public static byte[] Template(byte[] input, byte[] other, Random random)
    {
        var text = new StringBuilder(Encoding.UTF8.GetString(input));
        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            int at = text.Length == 0 ? 0 : random.Next(text.Length);
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    text.Insert(at, TemplateTokens[random.Next(TemplateTokens.Length)]);
                    break;
                case 2 when text.Length > 0:
                    text.Remove(at, Math.Min(text.Length - at, 1 + random.Next(16)));
                    break;
                default:
                    if (text.Length > 0) text.Insert(random.Next(text.Length), text.ToString(at, Math.Min(text.Length - at, 1 + random.Next(40))));
                    break;
            }
        }
        return random.Next(8) == 0 ? Bytes(Encoding.UTF8.GetBytes(text.ToString()), other, random) : Encoding.UTF8.GetBytes(text.ToString());
    }

    private static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array,
            _ => [],
        };
        foreach (JsonNode? child in children.ToList())
            if (child is not null)
                foreach (JsonNode n in Walk(child)) yield return n;
    }
}
