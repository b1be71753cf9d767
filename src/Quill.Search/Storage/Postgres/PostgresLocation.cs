// A postgres:// URL as --store takes it, turned into an Npgsql connection string and a display form without the password.
using System.Text.RegularExpressions;
using Npgsql;

namespace Quill.Search.Storage.Postgres;

/// <summary>
/// <c>postgres://[user[:password]@]host[:port]/database[?schema=NAME&amp;sslmode=MODE]</c> (also <c>postgresql://</c>), as
/// libpq reads it. The store's tables live in the PostgreSQL schema NAME (default <c>quill</c>), so one database can hold
/// several stores. Without a password in the URL, Npgsql looks in PGPASSWORD and ~/.pgpass, as psql does.
/// </summary>
public sealed partial record PostgresLocation(string Display, string ConnectionString, string Schema)
{
    /// <summary>The schema the tables go in when the URL names none.</summary>
    public const string DefaultSchema = "quill";

    public static bool IsUrl(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="url"/>; anything malformed is an <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static PostgresLocation Parse(string url)
    {
        if (!IsUrl(url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
            throw new ArgumentException($"--store: expected postgres://user@host:port/database, found '{Redact(url)}'");
        string[] userInfo = uri.UserInfo.Split(':', 2);
        string user = Uri.UnescapeDataString(userInfo[0]);
        string? password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null;
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new ArgumentException($"--store: expected one database name after the host, as in postgres://user@host:5432/quill, found '{Redact(url)}'");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            ApplicationName = "quill",
            Timeout = 10,
        };
        if (user.Length > 0) builder.Username = user;
        if (password is not null) builder.Password = password;
        string schema = DefaultSchema;
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]), value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key)
            {
                case "schema":
                    if (!SchemaName().IsMatch(value))
                        throw new ArgumentException($"--store: schema: expected a lower-case name of letters, digits and _ (63 at most), found '{value}'");
                    schema = value;
                    break;
                case "sslmode":
                    builder.SslMode = Enum.TryParse(value.Replace("-", ""), ignoreCase: true, out SslMode mode) ? mode
                        : throw new ArgumentException($"--store: sslmode: expected disable, allow, prefer, require, verify-ca or verify-full, found '{value}'");
                    break;
                default:
                    throw new ArgumentException($"--store: unknown URL parameter '{key}' (schema and sslmode are known)");
            }
        }
        return new PostgresLocation(Redact(url), builder.ConnectionString, schema);
    }

    /// <summary>The URL with the password (if any) replaced by ***, for messages.</summary>
    public static string Redact(string url) => Password().Replace(url, "$1:***@");

    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    [GeneratedRegex(@"^(postgres(?:ql)?://[^:/@]*):[^@/]*@", RegexOptions.IgnoreCase)]
    private static partial Regex Password();
}
