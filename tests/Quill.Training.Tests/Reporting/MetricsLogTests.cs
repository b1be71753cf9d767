// MetricsLog: lines round-trip (extras, null for NaN), a torn last line is skipped, resume keeps steps up to k, a bad middle line throws.
using System.Text;
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public sealed class MetricsLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-metrics-").FullName;
    private string PathOf(string name) => Path.Combine(_folder, name);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static MetricsRecord Record(long step, double? validation = null) =>
        new(step, 3.0 - step * 0.01, 3e-4, 1000 + step, validation);

    [Fact]
    public void RecordsRoundTripWithExtrasAndValidation()
    {
        string path = PathOf("metrics.jsonl");
        var written = new[]
        {
            Record(1),
            Record(2, validation: 2.75),
            new MetricsRecord(3, 0.69, 1e-5, 800.5, Extra: new Dictionary<string, double> { ["reward_accuracy"] = 0.625, ["margin"] = -0.5 }),
            new MetricsRecord(4, double.NaN, 1e-5, 0),
        };
        using (var log = MetricsLog.Open(path))
            foreach (var record in written) log.Append(record);
        var read = MetricsLog.Read(path);
        Assert.Equal(written, read);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(4, lines.Length);
        Assert.Equal("""{"step":2,"loss":2.98,"lr":0.0003,"tokens_per_s":1002,"val_loss":2.75}""", lines[1]);
        Assert.Equal("""{"step":3,"loss":0.69,"lr":1E-05,"tokens_per_s":800.5,"reward_accuracy":0.625,"margin":-0.5}""", lines[2]);
        Assert.Contains("\"loss\":null", lines[3]);
    }

    [Fact]
    public void EachAppendIsVisibleBeforeDispose()
    {
        string path = PathOf("live.jsonl");
        using var log = MetricsLog.Open(path);
        log.Append(Record(1));
        log.Append(Record(2));
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        Assert.Equal(2, text.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("{\"step\":3,\"loss\":2.9")]
    [InlineData("{\"st")]
    [InlineData("\0\0\0\0\n")]
    public void TornLastLineIsSkipped(string torn)
    {
        string path = PathOf("torn.jsonl");
        using (var log = MetricsLog.Open(path)) { log.Append(Record(1)); log.Append(Record(2)); }
        File.AppendAllText(path, torn, Encoding.UTF8);
        Assert.Equal([1L, 2L], MetricsLog.Read(path).Select(r => r.Step));
    }

    [Fact]
    public void BadLineInTheMiddleThrowsNamingFileAndLine()
    {
        string path = PathOf("bad.jsonl");
        File.WriteAllText(path, "{\"step\":1,\"loss\":2}\nnot json\n{\"step\":2,\"loss\":1}\n");
        var error = Assert.Throws<InvalidDataException>(() => MetricsLog.Read(path));
        Assert.Contains("bad.jsonl", error.Message);
        Assert.Contains("line 2", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ResumeKeepsStepsUpToAndDropsTornTail()
    {
        string path = PathOf("resume.jsonl");
        using (var log = MetricsLog.Open(path))
            for (int step = 1; step <= 10; step++) log.Append(Record(step, step % 5 == 0 ? 2.5 : null));
        File.AppendAllText(path, "{\"step\":11,\"lo");
        using (var log = MetricsLog.Open(path, resumeAfterStep: 6))
        {
            Assert.Equal([1L, 2, 3, 4, 5, 6], MetricsLog.Read(path).Select(r => r.Step));
            log.Append(Record(7));
        }
        var read = MetricsLog.Read(path);
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], read.Select(r => r.Step));
        Assert.Equal(2.5, read[4].ValidationLoss);
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void ResumeWithoutAFileStartsEmptyAndOpenWithoutResumeTruncates()
    {
        string path = PathOf("sub/new.jsonl");
        using (var log = MetricsLog.Open(path, resumeAfterStep: 100)) log.Append(Record(101));
        Assert.Single(MetricsLog.Read(path));
        using (MetricsLog.Open(path)) { }
        Assert.Empty(MetricsLog.Read(path));
    }
}
