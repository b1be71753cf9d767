// Appends MetricsRecords to a JSON Lines file (metrics.jsonl), one flushed line per record, and reads them back.
using System.Text;
using System.Text.Json;
using Quill.Formats;

namespace Quill.Training.Reporting;

/// <summary>
/// Each line is one JSON object: <c>{"step":12,"loss":2.31,"lr":0.0003,"tokens_per_s":5120.5,"val_loss":2.4,"reward_accuracy":0.75}</c>.
/// Non-finite numbers are written as null and read back as NaN. A line that a killed process left without its newline
/// is dropped when reading or resuming (or kept, if it still parses).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly FileStream _stream;

    private MetricsLog(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for appending. Without <paramref name="resumeAfterStep"/> the file starts empty;
    /// with it, the file is first rewritten (atomically) to keep only the records with step ≤ that value, so a resumed
    /// run continues the log without the steps it is about to redo.
    /// </summary>
    public static MetricsLog Open(string path, long? resumeAfterStep = null)
    {
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        if (resumeAfterStep is long last)
        {
            var kept = File.Exists(path) ? Read(path).Where(r => r.Step <= last).ToList() : [];
            AtomicFileWriter.Write(path, output =>
            {
                foreach (var record in kept) output.Write(Serialize(record));
            });
            return new MetricsLog(path, new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        }
        return new MetricsLog(path, new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
    }

    /// <summary>Writes <paramref name="record"/> as one line and flushes it to the operating system.</summary>
    public void Append(MetricsRecord record)
    {
        _stream.Write(Serialize(record));
        _stream.Flush();
    }

    public void Dispose()
    {
        _stream.Dispose();
    }

    /// <summary>All complete records of <paramref name="path"/>, in file order; an unparsable last line (torn by a kill) is skipped, one elsewhere
    /// throws.</summary>
    public static IReadOnlyList<MetricsRecord> Read(string path)
    {
        string text = File.ReadAllText(path, Encoding.UTF8);
        string[] lines = text.Split('\n');
        var records = new List<MetricsRecord>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string current = lines[i].TrimEnd('\r');
            if (current.Length == 0) continue;
            if (TryParse(current) is MetricsRecord record) records.Add(record);
            // Only the last line can be torn by a killed writer: the text after the final newline, or garbage before it.
            else if (!IsLastNonEmpty(lines, i)) ThrowBadLine(path, i + 1, current);
        }
        return records;
    }

    private static bool IsLastNonEmpty(string[] lines, int index)
    {
        for (int j = index + 1; j < lines.Length; j++)
            if (lines[j].TrimEnd('\r').Length != 0) return false;
        return true;
    }

    private static byte[] Serialize(MetricsRecord record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber(MetricsRecord.StepName, record.Step);
            WriteNumber(writer, MetricsRecord.LossName, record.Loss);
            WriteNumber(writer, MetricsRecord.LearningRateName, record.LearningRate);
            WriteNumber(writer, MetricsRecord.TokensPerSecondName, record.TokensPerSecond);
            if (record.ValidationLoss is double validation) WriteNumber(writer, MetricsRecord.ValidationLossName, validation);
            foreach (var (name, value) in record.ExtraOrEmpty) WriteNumber(writer, name, value);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }

    private static MetricsRecord? TryParse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(MetricsRecord.StepName, out var step)
                || !step.TryGetInt64(out long stepValue)) return null;
            double loss = double.NaN, lr = double.NaN, tokens = double.NaN;
            double? validation = null;
            Dictionary<string, double>? extra = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetricsRecord.StepName) continue;
                double value = property.Value.ValueKind switch
                {
                    JsonValueKind.Number => property.Value.GetDouble(),
                    JsonValueKind.Null => double.NaN,
                    _ => throw new JsonException($"'{property.Name}' is not a number"),
                };
                switch (property.Name)
                {
                    case MetricsRecord.LossName: loss = value; break;
                    case MetricsRecord.LearningRateName: lr = value; break;
                    case MetricsRecord.TokensPerSecondName: tokens = value; break;
                    case MetricsRecord.ValidationLossName: validation = value; break;
                    default: (extra ??= new Dictionary<string, double>())[property.Name] = value; break;
                }
            }
            return new MetricsRecord(stepValue, loss, lr, tokens, validation, extra);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void ThrowBadLine(string path, int lineNumber, string line) =>
        throw new InvalidDataException(
            $"{System.IO.Path.GetFileName(path)}: expected a JSON object with a numeric \"step\", found '{Shorten(line)}', line {lineNumber}");

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..57] + "...";
}
