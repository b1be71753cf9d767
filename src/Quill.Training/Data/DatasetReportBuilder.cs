// Collects what loading a JSONL dataset skipped and cut, or refuses the first bad line in strict mode.
namespace Quill.Training.Data;

/// <param name="source"></param>

/// <param name="strict"></param>/// <param name="expected">What a good line holds, for the strict error ("a JSON object with ...").</param>
internal sealed class DatasetReportBuilder(string source, bool strict, string expected)
{
    private readonly List<int> _lines = [];
    private readonly List<string> _reasons = [];
    private int _skipped;

    /// <summary>Examples cut to the maximum length.</summary>
    public int Truncated { get; set; }

    /// <summary>Counts line <paramref name="line"/> as skipped for <paramref name="problem"/>; in strict mode throws instead.</summary>
    public void Skip(int line, string problem, bool malformed = true)
    {
        if (strict && malformed)
            throw new InvalidDataException($"{source}: {expected} was expected, found {problem}, at line {line}");
        _skipped++;
        if (_lines.Count < DatasetReport.MaxReportedLines)
        {
            _lines.Add(line);
            _reasons.Add(problem);
        }
    }

    public DatasetReport Build(int kept) => new(source, kept, _skipped, _lines, _reasons, Truncated);
}
