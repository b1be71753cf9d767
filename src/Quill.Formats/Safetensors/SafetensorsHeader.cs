// The parsed, validated header of a safetensors file (data section start, metadata, tensors).
namespace Quill.Formats.Safetensors;

internal sealed record SafetensorsHeader(long DataOffset, Dictionary<string, string> Metadata, List<SafetensorsTensorInfo> Tensors, Dictionary<string,
    int> TensorIndex);
