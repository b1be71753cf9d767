// A guard model file at a temporary path for one test, deleted when the test is done.
namespace Quill.Safety.Tests;

/// <summary>A temporary guard.json path; the file is deleted on dispose.</summary>
internal sealed class GuardModelFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"quill-guard-{Guid.NewGuid():N}.json");

    /// <summary>A weights array as long as the shipped embedder's vectors plus the phrase features, every weight 0.01.</summary>
    public static string Weights { get; } = string.Join(',', Enumerable.Repeat("0.01", 384 + GuardModel.PhraseFeatures));

    public void Write(string json) => File.WriteAllText(Path, json);

    public void Dispose() => File.Delete(Path);
}
