// How the training matmuls see their operands; master weights and optimizer state are always F32.
namespace Quill.Training.Model;

public enum TrainingPrecision
{
    /// <summary>F32 weights and activations everywhere.</summary>
    Fp32,

    /// <summary>Weights and saved activations rounded to bfloat16 for the matmuls (F32 accumulation); F32 master weights.</summary>
    Bf16,
}
