// The --log flags of `quill serve`: the request log and its in-process drift watch; parsing only, the work is Quill.Server's.
using System.CommandLine;
using Quill.Server.Logging;

namespace Quill.Cli.Commands;

internal sealed class RequestLogFlags
{
    private readonly Option<string?> _log = new("--log") { Description = "Record one row per API request in this SQLite file (WAL; see quill monitor)" };
    private readonly Option<bool> _noText = new("--no-log-text") { Description = "Leave the prompt text out of the request log" };
    private readonly Option<bool> _embeddings = new("--log-embeddings") { Description = "Store each prompt's vector from the embedding model too" };
    private readonly Option<double> _maxMb = new("--log-max-mb")
    {
        Description = "Delete the oldest rows when the log passes this many MB (0: no bound)", DefaultValueFactory = _ => 256,
    };
    private readonly Option<string?> _driftReference = new("--drift-reference")
    {
        Description = "With --log: compare the newest rows with this reference (JSONL, CSV or a log) and show drift in /metrics",
    };
    private readonly Option<int> _driftWindow = new("--drift-window") { Description = "Newest log rows compared", DefaultValueFactory = _ => 500 };
    private readonly Option<double> _driftInterval = new("--drift-interval") { Description = "Seconds between drift checks", DefaultValueFactory = _ => 60 };

    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[_log, _noText, _embeddings, _maxMb, _driftReference, _driftWindow, _driftInterval]) command.Options.Add(option);
    }

    /// <summary>The log settings, or null without --log (then --drift-reference is refused).</summary>
    public RequestLogOptions? Read(ParseResult r)
    {
        if (r.GetValue(_log) is not { } path)
        {
            if (r.GetValue(_driftReference) is not null) throw new ArgumentException("--drift-reference watches the request log: give --log FILE too");
            return null;
        }
        return new RequestLogOptions
        {
            Path = path,
            LogText = !r.GetValue(_noText),
            LogEmbeddings = r.GetValue(_embeddings),
            MaxBytes = (long)(r.GetValue(_maxMb) * 1024 * 1024),
            DriftReference = r.GetValue(_driftReference),
            DriftWindow = r.GetValue(_driftWindow),
            DriftIntervalSeconds = r.GetValue(_driftInterval),
        };
    }
}
