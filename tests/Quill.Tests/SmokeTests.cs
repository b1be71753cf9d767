// Placeholder until the runtime has tests of its own.
namespace Quill.Tests;

public class SmokeTests
{
    [Fact]
    public void TypeTableKnowsQ8_0() => Assert.Equal(34, Quill.Tensors.GgmlTypeInfo.BlockBytes(Quill.Tensors.GgmlType.Q8_0));
}
