// Placeholder so the project runs; replaced by real tests.
namespace Quill.Tensors.Tests;

public class ProjectLoads
{
    [Fact]
    public void Runs() => Assert.True(true);
}
