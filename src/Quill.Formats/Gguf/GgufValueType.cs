// The GGUF metadata value type ids, numbered as in the GGUF spec; not the tensor element types (see Quill.Tensors.GgmlType).
namespace Quill.Formats.Gguf;

/// <summary>The on-disk type id of a GGUF metadata value (a u32 in the file).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}
