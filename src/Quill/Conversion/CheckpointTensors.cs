// Copies checkpoint tensors into a GGUF writer in llama.cpp's layout and chosen type; shared by the checkpoint converters, not a converter itself.
using System.Runtime.InteropServices;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Conversion;

/// <summary>A matrix on its way into GGUF: row-major values of <see cref="Rows"/> × <see cref="Columns"/>.</summary>
public readonly record struct MatrixValues(float[] Values, int Rows, int Columns);

internal static class CheckpointTensors
{
    /// <summary>
    /// Adds a [rows, columns] matrix (rows = outputs) as <paramref name="type"/> (F16 when the type's block does not
    /// divide a row); <paramref name="transform"/> may reorder its values first; <paramref name="transposed"/> says the
    /// checkpoint stores it [columns, rows] (GPT-2's Conv1D).
    /// </summary>
    public static void AddMatrix(GgufWriter writer, HuggingFaceCheckpoint checkpoint, string source, string target, GgmlType type,
        Func<MatrixValues, float[]>? transform = null, bool transposed = false)
    {
        long[] shape = checkpoint.Shape(source);
        if (shape.Length != 2) throw new Formats.ModelFormatException($"{checkpoint.Folder}: tensor '{source}' has {shape.Length} dimensions, expected 2");
        int rows = checked((int)shape[0]), columns = checked((int)shape[1]);
        float[] values = checkpoint.ReadFloats(source);
        if (transposed)
        {
            values = Transpose(values, rows, columns);
            (rows, columns) = (columns, rows);
        }
        if (transform is not null) values = transform(new MatrixValues(values, rows, columns));
        QuantFormat format = QuantFormats.Get(type);
        if (format.Quantize is null || columns % format.BlockSize != 0) format = QuantFormats.Get(GgmlType.F16);
        int rowBytes = format.RowBytes(columns);
        var bytes = new byte[(long)rowBytes * rows];
        for (int r = 0; r < rows; r++) format.Quantize!(values.AsSpan(r * columns, columns), bytes.AsSpan(r * rowBytes, rowBytes));
        writer.AddTensor(target, format.Type, [columns, rows], bytes);
    }

    /// <summary>Adds a vector (norm weights, biases) as F32.</summary>
    public static void AddVector(GgufWriter writer, HuggingFaceCheckpoint checkpoint, string source, string target)
    {
        float[] values = checkpoint.ReadFloats(source);
        writer.AddTensor(target, GgmlType.F32, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>general.file_type as llama.cpp numbers it (LLAMA_FTYPE_*); 1 (mostly F16) where it has no number.</summary>
    public static uint FileType(GgmlType type) => GgufFileType.Of(type) ?? 1;

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) result[(long)c * rows + r] = values[(long)r * columns + c];
        return result;
    }
}
