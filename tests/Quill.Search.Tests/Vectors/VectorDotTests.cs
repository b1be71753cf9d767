// VectorDot's SIMD paths against the scalar reference on odd and round sizes; not a timing test.
using System.Runtime.Intrinsics;
using Quill.Search.Vectors;

namespace Quill.Search.Tests.Vectors;

public class VectorDotTests
{
    // Relative to the sum of |a[i]·b[i]|: float32 sums reordered across lanes.
    private const float RelativeTolerance = 1e-5f;

    public static TheoryData<int> Sizes => new() { 0, 1, 3, 7, 8, 15, 16, 31, 33, 64, 255, 256, 384, 4097 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_path_matches_the_reference(int n)
    {
        float[] a = RandomVectors.Floats(n, 1), b = RandomVectors.Floats(n, 2);
        float expected = VectorDot.DotReference(a, b);
        float scale = 1;
        for (int i = 0; i < n; i++) scale += Math.Abs(a[i] * b[i]);
        float tolerance = RelativeTolerance * scale;
        Assert.Equal(expected, VectorDot.Dot(a, b), tolerance);
        if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count) Assert.Equal(expected, VectorDot.Dot128(a, b), tolerance);
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count) Assert.Equal(expected, VectorDot.Dot256(a, b), tolerance);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count) Assert.Equal(expected, VectorDot.Dot512(a, b), tolerance);
    }

    [Fact]
    public void Lengths_must_match() =>
        Assert.Throws<ArgumentException>(() => VectorDot.Dot(new float[3], new float[4]));

    [Theory]
    [InlineData(0, 5)]
    [InlineData(7, 33)]
    [InlineData(50, 384)]
    public void DotRows_scores_each_row(int rows, int dims)
    {
        float[] matrix = RandomVectors.Floats(rows * dims, 3), query = RandomVectors.Floats(dims, 4);
        var scores = new float[rows];
        VectorDot.DotRows(query, matrix, scores);
        for (int r = 0; r < rows; r++)
            Assert.Equal(VectorDot.DotReference(query, matrix.AsSpan(r * dims, dims)), scores[r], RelativeTolerance * dims);
    }
}
