// What a fuzz target is: its seeds, its mutation, one run over an input, and the exceptions that mean "bad input, told clearly".
namespace Quill.Fuzz;

/// <summary>
/// <see cref="Run"/> feeds one input to the code under test; an exception <see cref="IsExpected"/> accepts is the
/// documented answer to bad input (ModelFormatException, ChatTemplateException, …); any other exception, a run past the
/// time limit or an allocation past the cap is a crash, saved under tests/fuzz-regressions/NAME/.
/// </summary>
internal abstract class FuzzTarget : IDisposable
{
    public abstract string Name { get; }

    /// <summary>Valid inputs the mutations start from.</summary>
    public abstract IReadOnlyList<byte[]> Seeds();

    /// <summary>One mutated input from <paramref name="input"/> (another seed or corpus entry: <paramref name="other"/>).</summary>
    public abstract byte[] Mutate(byte[] input, byte[] other, Random random);

    /// <summary>Runs the code under test on <paramref name="input"/>.</summary>
    public abstract void Run(byte[] input);

    /// <summary>True for the exceptions the code under test documents for bad input.</summary>
    public abstract bool IsExpected(Exception e);

    /// <summary>A scratch folder of this target's, for readers that take a path.</summary>
    protected string Scratch { get; } = Directory.CreateTempSubdirectory("quill-fuzz-").FullName;

    /// <summary>Writes <paramref name="input"/> to the scratch folder as <paramref name="name"/> and returns the path.</summary>
    protected string WriteScratch(string name, byte[] input)
    {
        string path = Path.Combine(Scratch, name);
        File.WriteAllBytes(path, input);
        return path;
    }

    /// <summary>Deletes the scratch folder (and whatever a target holds: <see cref="Dispose(bool)"/>).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        try { Directory.Delete(Scratch, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
