// Placeholder so the project runs; replaced by real tests.
namespace Quill.Tokenizers.Tests;

public class ProjectLoads
{
    [Fact]
    public void Runs() => Assert.True(true);
}
