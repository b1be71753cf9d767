// The store suite on a real PostgreSQL server, and what only that store has: URLs, connection errors, shared creation.
using Npgsql;
using Quill.Search.Storage;
using Quill.Search.Storage.Postgres;
using Quill.Search.Tests.Cli;
using Quill.Search.Tests.Storage;
using Quill.TestSupport;
using Quill.TestSupport.Postgres;

namespace Quill.Search.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public class PostgresStoreTests(PostgresServer server) : StoreContractTests
{
    protected override string NewStore(TempFolder temp) => server.NewStoreUrl();

    [Fact]
    public void The_store_lives_in_its_schema_with_versioned_tables()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string url = server.NewStoreUrl();
        using (var index = DocumentIndex.OpenOrCreate(url, embedder, Small))
        {
            index.Add([temp.File("docs")]);
            Assert.Null(index.Store.LocalFile);
            Assert.Equal(url, index.Store.Path);
        }
        PostgresLocation location = PostgresLocation.Parse(url);
        using var connection = new NpgsqlConnection(location.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(
            $"SELECT (SELECT value FROM \"{location.Schema}\".meta WHERE key = 'schema_version'), " +
            $"(SELECT count(*) FROM information_schema.tables WHERE table_schema = '{location.Schema}')", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal((PostgresVectorStore.SchemaVersion.ToString(), 3L), (reader.GetString(0), reader.GetInt64(1)));
    }

    [Fact]
    public void Replicas_starting_together_create_the_tables_once()
    {
        string url = server.NewStoreUrl();
        using var embedder = new HashingEmbedder();
        Exception?[] errors = new Exception?[6];
        Parallel.For(0, errors.Length, i =>
        {
            try
            {
                using VectorStore store = VectorStore.OpenOrCreate(url, embedder.ModelName, embedder.Dimensions);
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });
        Assert.All(errors, Assert.Null);
        using VectorStore opened = VectorStore.Open(url);
        Assert.Equal(0, opened.Generation);
    }

    [Fact]
    public void Writers_on_two_replicas_interleave_and_every_reader_ends_with_every_chunk()
    {
        using var temp = new TempFolder();
        for (int f = 0; f < 24; f++) temp.Write($"a/{f}.txt", $"File a{f} is about the subject alpha {f} and some words.\n\nA second paragraph {f}.");
        for (int f = 0; f < 24; f++) temp.Write($"b/{f}.txt", $"File b{f} is about the subject beta {f} and other words.\n\nAnother paragraph {f}.");
        using var embedder = new HashingEmbedder();
        string url = server.NewStoreUrl();
        using (DocumentIndex.OpenOrCreate(url, embedder, Small)) { }
        using var reader = DocumentIndex.Open(url, embedder, Small);
        Assert.Empty(reader.Search("alpha", 5));  // the reader holds an empty mirror from here
        Parallel.ForEach(new[] { "a", "b" }, folder =>
        {
            using var writer = DocumentIndex.Open(url, embedder, Small);
            writer.Add([temp.File(folder)]);
        });
        using VectorStore store = VectorStore.Open(url);
        Assert.Equal(48, store.FileCount);
        Assert.Equal(store.ChunkCount, reader.Search("subject", 1000).Count);
        Assert.Equal(store.ReadVectors().Ids, VectorMirror.CatchUp(store, null).Ids);
    }

    [Fact]
    public void Text_with_nul_characters_is_stored_and_found()
    {
        using var temp = new TempFolder();
        temp.Write("docs/nul.txt", "before\0after the zero byte, zanzibar\n");
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(server.NewStoreUrl(), embedder, Small);
        Assert.Equal(1, index.Add([temp.File("docs")]).FilesIndexed);
        SearchHit hit = index.ReadHits(index.KeywordSearch("zanzibar", 1))[0];
        Assert.Contains("before\uFFFDafter", hit.Text);
    }

    [Theory]
    [InlineData("postgres://", "expected postgres://user@host:port/database")]
    [InlineData("postgres://quill@127.0.0.1:5432", "expected one database name")]
    [InlineData("postgres://quill@127.0.0.1:5432/db/extra", "expected one database name")]
    [InlineData("postgres://quill@127.0.0.1:5432/db?schema=Bad-Name", "schema: expected a lower-case name")]
    [InlineData("postgres://quill@127.0.0.1:5432/db?schema=x%22%3B%20drop", "schema: expected a lower-case name")]
    [InlineData("postgres://quill@127.0.0.1:5432/db?flavour=x", "unknown URL parameter 'flavour'")]
    [InlineData("postgres://quill@127.0.0.1:5432/db?sslmode=maybe", "sslmode: expected")]
    [InlineData("postgres://quill@127.0.0.1:99999/db", "expected postgres://user@host:port/database")]
    public void Malformed_urls_are_refused_with_one_line(string url, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresLocation.Parse(url));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_url_becomes_a_connection_string_and_its_password_never_reaches_a_message()
    {
        PostgresLocation location = PostgresLocation.Parse("postgresql://ann:s%40cret@db.example:6543/docs?schema=team_a&sslmode=verify-full");
        var builder = new NpgsqlConnectionStringBuilder(location.ConnectionString);
        Assert.Equal(("db.example", 6543, "docs", "ann", "s@cret"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
        Assert.Equal("team_a", location.Schema);
        Assert.Equal("postgresql://ann:***@db.example:6543/docs?schema=team_a&sslmode=verify-full", location.Display);
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(PostgresLocation.Parse("postgres://h/d").ConnectionString).Port);
        Assert.Equal(PostgresLocation.DefaultSchema, PostgresLocation.Parse("postgres://h/d").Schema);
    }

    [Fact]
    public void An_unreachable_server_or_missing_database_is_one_line_without_the_password()
    {
        var noServer = Assert.Throws<IOException>(() => VectorStore.Open($"postgres://quill:hunter2@127.0.0.1:{LoopbackPort.Free()}/postgres"));
        Assert.StartsWith($"postgres://quill:***@127.0.0.1:", noServer.Message);
        Assert.Contains("cannot connect to PostgreSQL", noServer.Message);
        Assert.DoesNotContain("hunter2", noServer.Message);
        var noDatabase = Assert.Throws<IOException>(() => VectorStore.Open($"postgres://quill@127.0.0.1:{server.Port}/nowhere"));
        Assert.Contains("database \"nowhere\" does not exist", noDatabase.Message);
    }

    [Fact]
    public void A_schema_holding_something_else_or_a_newer_layout_is_refused()
    {
        string url = server.NewStoreUrl();
        PostgresLocation location = PostgresLocation.Parse(url);
        using var embedder = new HashingEmbedder();
        using (VectorStore.OpenOrCreate(url, embedder.ModelName, embedder.Dimensions)) { }
        using (var connection = new NpgsqlConnection(location.ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"UPDATE \"{location.Schema}\".meta SET value = '9' WHERE key = 'schema_version'", connection);
            command.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidDataException>(() => VectorStore.Open(url));
        Assert.Contains("schema version 9 where 1 is expected", e.Message);
    }

    [Fact]
    public void The_cli_indexes_searches_and_reports_stats_on_a_postgres_url()
    {
        using var temp = Corpus();
        string url = server.NewStoreUrl();
        CliResult add = IndexCli.Run("index", "add", "--store", url, temp.File("docs"));
        Assert.True(add.ExitCode == 0, add.Stderr);
        CliResult search = IndexCli.Run("index", "search", "--store", url, "--mode", "keyword", "sticker");
        Assert.Contains("ts_rank", search.Stdout);
        Assert.Contains("router.md", search.Stdout);
        CliResult stats = IndexCli.Run("index", "stats", "--store", url);
        Assert.Contains("files:      4", stats.Stdout);
        Assert.Contains("held in memory", stats.Stdout);
        CliResult ask = IndexCli.Run("ask", "--store", url, "what is printed on the sticker");
        Assert.True(ask.ExitCode == 0, ask.Stderr);
        Assert.Contains("router.md", ask.Stdout);
        CliResult bad = IndexCli.Run("index", "stats", "--store", $"postgres://quill:pw@127.0.0.1:{LoopbackPort.Free()}/x");
        Assert.Equal(1, bad.ExitCode);
        Assert.Single(bad.Stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(":pw@", bad.Stderr);
    }
}
