// One GGUF metadata value (scalar, string or array, arrays possibly nested), immutable; not its binary encoding (see GgufHeaderReader, GgufWriter).
using System.Globalization;
using System.Text;

namespace Quill.Formats.Gguf;

/// <summary>
/// A GGUF metadata value. <see cref="Value"/> holds a boxed scalar (byte, sbyte, ushort, short, uint, int, float,
/// bool, string, ulong, long, double) or, for arrays, a typed array (byte[], int[], float[], string[], ...) or a
/// <see cref="GgufValue"/>[] whose items are themselves arrays (nested arrays). Arrays read from a file are handed
/// out without copying: treat them as read-only.
/// </summary>
public sealed class GgufValue
{
    private const int ShownArrayItems = 3;
    private const int ShownStringChars = 60;

    internal GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>The type of the items of an array; for a scalar, the same as <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    public object Value { get; }

    /// <summary>True for an array value.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The number of items of an array; 1 for a scalar.</summary>
    public int Count => Value is Array array ? array.Length : 1;

    /// <summary>True for the integer types (UInt8 .. Int64, not Bool).</summary>
    public static bool IsInteger(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Bytes one value of a fixed-size type takes in the file; 0 for String and Array.</summary>
    public static int FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>
    /// Wraps a C# value: the scalar types map to the GGUF type of the same width and sign, typed arrays (and string[])
    /// to arrays of it, arrays of arrays (int[][], GgufValue[] of arrays) to nested arrays. Arrays are copied.
    /// </summary>
    public static GgufValue From(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value switch
        {
            GgufValue v => v,
            byte v => new GgufValue(GgufValueType.UInt8, GgufValueType.UInt8, v),
            sbyte v => new GgufValue(GgufValueType.Int8, GgufValueType.Int8, v),
            ushort v => new GgufValue(GgufValueType.UInt16, GgufValueType.UInt16, v),
            short v => new GgufValue(GgufValueType.Int16, GgufValueType.Int16, v),
            uint v => new GgufValue(GgufValueType.UInt32, GgufValueType.UInt32, v),
            int v => new GgufValue(GgufValueType.Int32, GgufValueType.Int32, v),
            float v => new GgufValue(GgufValueType.Float32, GgufValueType.Float32, v),
            bool v => new GgufValue(GgufValueType.Bool, GgufValueType.Bool, v),
            string v => new GgufValue(GgufValueType.String, GgufValueType.String, v),
            ulong v => new GgufValue(GgufValueType.UInt64, GgufValueType.UInt64, v),
            long v => new GgufValue(GgufValueType.Int64, GgufValueType.Int64, v),
            double v => new GgufValue(GgufValueType.Float64, GgufValueType.Float64, v),
            GgufValue[] a => NestedArray(a),
            Array a => FromArray(a),
            _ => throw new ArgumentException($"GGUF has no value type for {value.GetType().Name}", nameof(value)),
        };
    }

    // Matched on the exact element type: the runtime lets sbyte[] pass as byte[], int[] as uint[], and so on.
    private static GgufValue FromArray(Array items)
    {
        Type element = items.GetType().GetElementType()!;
        if (element.IsArray) return NestedArray(items);
        if (element == typeof(string)) return StringArray((string[])items);
        GgufValueType? type = System.Type.GetTypeCode(element) switch
        {
            TypeCode.Byte => GgufValueType.UInt8,
            TypeCode.SByte => GgufValueType.Int8,
            TypeCode.UInt16 => GgufValueType.UInt16,
            TypeCode.Int16 => GgufValueType.Int16,
            TypeCode.UInt32 => GgufValueType.UInt32,
            TypeCode.Int32 => GgufValueType.Int32,
            TypeCode.Single => GgufValueType.Float32,
            TypeCode.Boolean => GgufValueType.Bool,
            TypeCode.UInt64 => GgufValueType.UInt64,
            TypeCode.Int64 => GgufValueType.Int64,
            TypeCode.Double => GgufValueType.Float64,
            _ => null,
        };
        if (type is null || element.IsEnum || items.Rank != 1)
        {
            throw new ArgumentException($"GGUF has no array type for {items.GetType().Name}", nameof(items));
        }
        return Array(type.Value, items);
    }

    private static GgufValue Array(GgufValueType elementType, Array items) =>
        new(GgufValueType.Array, elementType, items.Clone());

    private static GgufValue StringArray(string[] items)
    {
        foreach (string? item in items)
        {
            if (item is null) throw new ArgumentException("a GGUF string array cannot hold null", nameof(items));
        }
        return Array(GgufValueType.String, items);
    }

    private static GgufValue NestedArray(Array items)
    {
        var values = new GgufValue[items.Length];
        for (int i = 0; i < values.Length; i++)
        {
            object item = items.GetValue(i) ?? throw new ArgumentException("a nested GGUF array cannot hold null", nameof(items));
            values[i] = From(item);
            if (!values[i].IsArray)
            {
                throw new ArgumentException($"the items of a nested GGUF array must be arrays, item {i} is {values[i].Type}", nameof(items));
            }
        }
        return new GgufValue(GgufValueType.Array, GgufValueType.Array, values);
    }

    /// <summary>A short human form: numbers as written, strings quoted and cut, arrays as "[1, 2, 3, ... 32000 items]".</summary>
    public override string ToString()
    {
        if (Value is not Array array || Value is string) return Scalar(Value);
        if (array.Length == 0) return "[]";
        var text = new StringBuilder("[");
        int shown = Math.Min(array.Length, ShownArrayItems);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(Scalar(array.GetValue(i)!));
        }
        if (array.Length > shown) text.Append(", ... ").Append(array.Length).Append(" items");
        return text.Append(']').ToString();
    }

    private static string Scalar(object value) => value switch
    {
        string s => Quote(s),
        bool b => b ? "true" : "false",
        float f => f.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Quote(string s)
    {
        bool cut = s.Length > ShownStringChars;
        string shown = cut ? s[..ShownStringChars] : s;
        shown = shown.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
        return cut ? $"\"{shown}...\" ({s.Length} chars)" : $"\"{shown}\"";
    }
}
