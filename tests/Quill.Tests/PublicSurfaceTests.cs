// The shipped assemblies' public surface as a whole: no two public types share a simple name, so a name says which type it is.
using System.Reflection;
using Quill.Formats.Gguf;
using Quill.Generation;
using Quill.Monitoring.Drift;
using Quill.Search;
using Quill.Server;
using Quill.Tensors;
using Quill.Tokenizers;
using Quill.Training.Runs;

namespace Quill.Tests;

public sealed class PublicSurfaceTests
{
    /// <summary>One type from each shipped assembly (the CLI has no public types).</summary>
    private static readonly Assembly[] Shipped =
    [
        typeof(GgmlType).Assembly, typeof(GgufFile).Assembly, typeof(ITokenizer).Assembly, typeof(Generator).Assembly,
        typeof(DocumentIndex).Assembly, typeof(TrainingRun).Assembly, typeof(QuillServer).Assembly, typeof(DriftReport).Assembly,
    ];

    [Fact]
    public void EveryShippedAssemblyIsListedOnce()
    {
        string[] names = [.. Shipped.Select(a => a.GetName().Name!)];
        Assert.Equal(
            ["Quill.Tensors", "Quill.Formats", "Quill.Tokenizers", "Quill", "Quill.Search", "Quill.Training", "Quill.Server", "Quill.Monitoring"], names);
    }

    [Fact]
    public void NoTwoPublicTypesShareASimpleName()
    {
        var clashes = Shipped
            .SelectMany(a => a.GetExportedTypes())
            .GroupBy(SimpleName)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => t.FullName))}")
            .ToList();
        Assert.True(clashes.Count == 0, "Public types that share a simple name:\n" + string.Join("\n", clashes));
    }

    private static string SimpleName(Type type)
    {
        int tick = type.Name.IndexOf('`');
        return tick < 0 ? type.Name : type.Name[..tick];
    }
}
