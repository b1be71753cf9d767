// The hook that lets calibration (importance matrices, Wanda pruning) see what each weight matrix multiplies.
namespace Quill.Models;

/// <summary>
/// Sees the input of every weight matrix multiplication of a forward pass, before the product: the activations
/// (rows × columns, row-major, one row per token of the step) that the weight named <c>weightName</c> (its GGUF tensor
/// name, e.g. blk.3.ffn_down.weight) multiplies. Projections that share an input (q, k and v; gate and up) each get
/// their own call with the same rows. Called on the thread that runs the step; the span is valid only during the call.
/// </summary>
public interface IMatMulInputObserver
{
    void Observe(string weightName, ReadOnlySpan<float> input, int rows, int columns);
}

/// <summary>A model whose forward pass reports its matrix inputs to an observer (null: none, the default; nothing is paid then).</summary>
public interface IObservableModel
{
    IMatMulInputObserver? InputObserver { get; set; }
}
