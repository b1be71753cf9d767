// The parsed, validated header of a GGUF file (version, metadata, tensor infos, data section start).
namespace Quill.Formats.Gguf;

internal sealed record GgufHeader(
    uint Version,
    uint Alignment,
    long DataOffset,
    OrderedDictionary<string, GgufValue> Metadata,
    List<GgufTensorInfo> Tensors,
    Dictionary<string, int> TensorIndex);
