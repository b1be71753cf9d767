// What a column holds, which decides the tests run on it: numbers, categories or free text.
namespace Quill.Monitoring.Drift;

/// <summary>The kind of a monitored column.</summary>
public enum ColumnKind
{
    /// <summary>Real numbers: KS, Wasserstein, PSI on reference quantiles.</summary>
    Number,

    /// <summary>A few distinct values: chi-square, Jensen–Shannon, PSI per category.</summary>
    Category,

    /// <summary>Free text: embedded, then a domain classifier and MMD.</summary>
    Text,
}

/// <summary>Names of the kinds as the command line and the reports write them.</summary>
public static class ColumnKinds
{
    /// <summary>"number", "category" or "text".</summary>
    public static string Name(ColumnKind kind) => kind switch
    {
        ColumnKind.Number => "number",
        ColumnKind.Category => "category",
        _ => "text",
    };

    /// <summary>Parses a kind name; throws <see cref="ArgumentException"/> naming the choices.</summary>
    public static ColumnKind Parse(string name, string column) => name.Trim().ToLowerInvariant() switch
    {
        "number" or "numeric" or "num" => ColumnKind.Number,
        "category" or "categorical" or "cat" => ColumnKind.Category,
        "text" => ColumnKind.Text,
        _ => throw new ArgumentException($"--columns: column '{column}' has kind '{name}'; expected number, category or text"),
    };
}
