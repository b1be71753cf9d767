// The count and lengths of a set of examples, all a sampler needs.
namespace Quill.Training.Data;

/// <summary>What a sampler reads: how many examples there are and how long each is, without building them.</summary>
public interface IExampleLengths
{
    /// <summary>The file (or files) the examples came from, for error messages.</summary>
    string Source { get; }

    int Count { get; }

    /// <summary>The input length of example <paramref name="index"/> without building it.</summary>
    int LengthOf(int index);
}
