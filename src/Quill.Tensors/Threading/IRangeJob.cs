// A unit of parallel work over an index range; jobs are long-lived objects so running one allocates nothing.
namespace Quill.Tensors.Threading;

/// <summary>Work split over [0, count): each call handles the half-open range [start, end).</summary>
public interface IRangeJob
{
    void Execute(int start, int end);
}
