// A real PostgreSQL server for the tests: Debian's binaries, initdb in a temporary folder, a free loopback port; nothing mocked.
using System.Diagnostics;
using System.Globalization;

namespace Quill.TestSupport.Postgres;

/// <summary>
/// Starts one server for the tests that share it (an xUnit collection fixture in each test project) and stops it (immediate shutdown, folder
/// deleted) afterwards. initdb refuses to run as root, so under root the server runs as Debian's postgres user. Each
/// test gets its own store through <see cref="NewStoreUrl"/> (a fresh schema in the one database). ./test installs
/// the postgresql package when it is missing; without it these tests fail and say so.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static int _stores;
    private readonly string _folder;
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    public PostgresServer()
    {
        _bin = FindBinaries();
        _asPostgresUser = Environment.UserName == "root";
        _folder = Path.Combine(Path.GetTempPath(), "quill-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        if (_asPostgresUser) Run("chown", ["postgres", _folder], asPostgres: false);
        Port = LoopbackPort.Free();
        string data = Path.Combine(_folder, "data");
        Run(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "quill", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        string options = $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200";
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
    }

    public int Port { get; }

    /// <summary>A URL naming a schema no test has used, so every store starts empty.</summary>
    public string NewStoreUrl() =>
        $"postgres://quill@127.0.0.1:{Port}/postgres?schema=t{Interlocked.Increment(ref _stores)}_{Guid.NewGuid().ToString("N")[..8]}";

    public void Dispose()
    {
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string FindBinaries()
    {
        string root = "/usr/lib/postgresql";
        string? bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), CultureInfo.InvariantCulture, out int v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): ./test installs Debian's postgresql package");
    }

    private void Run(string program, string[] args, bool asPostgres = true)
    {
        var info = new ProcessStartInfo(asPostgres && _asPostgresUser ? "runuser" : program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _folder,
        };
        if (asPostgres && _asPostgresUser)
        {
            foreach (string a in (string[])["-u", "postgres", "--", program]) info.ArgumentList.Add(a);
        }
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(90_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish in 90 s");
        }
        if (process.ExitCode != 0)
        {
            string log = Path.Combine(_folder, "server.log");
            string tail = File.Exists(log) ? File.ReadAllText(log) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result} {stdout.Result} {tail}");
        }
    }
}
