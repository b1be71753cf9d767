// One side of a drift comparison: named columns of cells (a number, a string or missing) read from one source; no statistics here.
namespace Quill.Monitoring.Data;

/// <summary>
/// A table read by <see cref="SampleReader"/>. A cell is a <see cref="double"/> (a JSON number), a <see cref="string"/>
/// (a JSON string, a CSV field, a bool or nested JSON as its text) or null (missing). Columns keep first-seen order.
/// </summary>
public sealed class Sample
{
    private readonly Dictionary<string, List<object?>> _columns = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>Creates an empty table read from <paramref name="source"/>.</summary>
    public Sample(string source) => Source = source;

    /// <summary>Where the rows came from, as the user named it (a path, with a time window for a log).</summary>
    public string Source { get; }

    /// <summary>Rows read.</summary>
    public int RowCount { get; private set; }

    /// <summary>The column names, in first-seen order.</summary>
    public IReadOnlyList<string> ColumnNames => _names;

    /// <summary>Known kinds for some columns (a request log's schema); others are inferred.</summary>
    public Dictionary<string, Drift.ColumnKind> KnownKinds { get; } = new(StringComparer.Ordinal);

    /// <summary>Vectors stored with the rows of a text column (a request log's embeddings), by column; null where a row has none.</summary>
    public Dictionary<string, List<float[]?>> Embeddings { get; } = new(StringComparer.Ordinal);

    /// <summary>True when the table has this column.</summary>
    public bool HasColumn(string name) => _columns.ContainsKey(name);

    /// <summary>The cells of column <paramref name="name"/>, one per row.</summary>
    public IReadOnlyList<object?> Column(string name) => _columns[name];

    /// <summary>Adds <paramref name="name"/> as a column of missing cells when the table has no such column (a header with no rows).</summary>
    public void AddColumnIfMissing(string name)
    {
        if (_columns.ContainsKey(name)) return;
        _columns[name] = [.. Enumerable.Repeat<object?>(null, RowCount)];
        _names.Add(name);
    }

    /// <summary>Appends a row; a column first seen here reads as missing in the earlier rows, and a column absent here as missing.</summary>
    public void AddRow(IEnumerable<KeyValuePair<string, object?>> cells)
    {
        foreach (var (name, value) in cells)
        {
            if (!_columns.TryGetValue(name, out List<object?>? column))
            {
                column = [.. Enumerable.Repeat<object?>(null, RowCount)];
                _columns[name] = column;
                _names.Add(name);
            }
            if (column.Count == RowCount) column.Add(value);
            else column[RowCount] = value; // a repeated key: the last value wins, as JSON parsers do
        }
        RowCount++;
        foreach (List<object?> column in _columns.Values) if (column.Count < RowCount) column.Add(null);
    }
}
