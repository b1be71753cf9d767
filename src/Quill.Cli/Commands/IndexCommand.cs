// `quill index add|search|remove|stats`: hybrid search over a user's documents; wiring and printing only, the work is Quill.Search.
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Quill.Embeddings;
using Quill.Search;
using Quill.Search.Retrieval;
using Quill.Search.Storage;

namespace Quill.Cli.Commands;

internal static class IndexCommand
{
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>`quill index` with the real embedders: the -m model, or the built-in all-MiniLM-L6-v2 (<see cref="EmbedderCatalog"/>).</summary>
    public static Command Create() => Create(LoadEmbedder);

    /// <summary>
    /// `quill index` making its embedder with <paramref name="embedders"/> from the -m value (null: the default model).
    /// Tests pass a deterministic <see cref="HashingEmbedder"/> here (tests/IndexCliChild) instead of loading a model.
    /// </summary>
    internal static Command Create(Func<string?, ITextEmbedder> embedders)
    {
        var command = new Command("index", "Search over your documents: chunk, embed and store them, then search by meaning and keywords\n" +
            "  example: quill index add --store notes.db ~/notes\n" +
            "  example: quill index search --store notes.db \"how do I reset the router\"\n" +
            "  example: quill index remove --store notes.db ~/notes/old\n" +
            "  example: quill index add --store postgres://quill@db.internal:5432/docs ~/notes   (one index shared by many machines)")
        {
            CreateAdd(embedders), CreateSearch(embedders), CreateRemove(), CreateStats(),
        };
        return command;
    }

    private static Option<string> StoreOption() => new("--store")
    {
        Description = "Where chunks and vectors are kept: a SQLite file, or postgres://user@host:port/database[?schema=NAME] shared by many machines",
        Required = true,
    };

    private static Option<string?> ModelOption() => new("--model", "-m") { Description = "Embedding model (default: the built-in all-MiniLM-L6-v2)" };

    /// <summary>--mode hybrid|vector|keyword, shared with `quill ask`; read it with <see cref="HybridRetriever.ParseMode"/>.</summary>
    internal static Option<string> ModeOption() => new("--mode")
    {
        Description = "How chunks are ranked: hybrid (vector and BM25 keyword search fused by reciprocal rank), vector or keyword",
        DefaultValueFactory = _ => "hybrid",
        HelpName = "hybrid|vector|keyword",
    };

    private static Option<long> ThresholdOption() => new("--hnsw-threshold")
    {
        Description = "Search through an HNSW graph (saved as STORE.hnsw) once the store holds this many chunks",
        DefaultValueFactory = _ => new DocumentIndexOptions().HnswThreshold,
    };

    private static Command CreateAdd(Func<string?, ITextEmbedder> embedders)
    {
        var store = StoreOption();
        var model = ModelOption();
        var threshold = ThresholdOption();
        var chunkTokens = new Option<int>("--chunk-tokens") { Description = "Tokens per chunk", DefaultValueFactory = _ => 256 };
        var overlap = new Option<int>("--overlap") { Description = "Tokens shared by consecutive chunks", DefaultValueFactory = _ => 32 };
        var prune = new Option<bool>("--prune") { Description = "Also remove stored files under the paths given that no longer exist" };
        var paths = new Argument<string[]>("FILE|DIR") { Description = "Files, or folders searched for .txt and .md files", Arity = ArgumentArity.OneOrMore };
        var command = new Command("add", "Chunk, embed and store documents (re-adding a changed file replaces its chunks; unchanged files are skipped)\n" +
            "  example: quill index add --store docs.db --chunk-tokens 128 --overlap 16 README.md docs/\n" +
            "  example: quill index add --store docs.db --prune docs/   (keeps the store in step with the folder)")
        {
            store, model, chunkTokens, overlap, threshold, prune, paths,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var options = new DocumentIndexOptions
            {
                ChunkTokens = r.GetValue(chunkTokens), OverlapTokens = r.GetValue(overlap), HnswThreshold = r.GetValue(threshold),
            };
            using ITextEmbedder embedder = embedders(r.GetValue(model));
            using DocumentIndex index = DocumentIndex.OpenOrCreate(r.GetValue(store)!, embedder, options);
            if (r.GetValue(prune))
            {
                IndexRemoveReport pruned = index.Prune(r.GetValue(paths)!, Warn);
                Console.Out.WriteLine($"{pruned.Files} files pruned ({pruned.Chunks} chunks): gone from disk");
            }
            IndexAddReport report;
            using (var progress = new ConsoleProgress("embedding"))
                report = index.Add(r.GetValue(paths)!, progress, Warn);
            Console.Out.WriteLine($"{report.FilesIndexed} files indexed ({report.Chunks} chunks), {report.FilesUnchanged} unchanged; " +
                $"store: {index.Store.FileCount} files, {index.Store.ChunkCount} chunks");
            return 0;
        }));
        return command;
    }

    private static Command CreateSearch(Func<string?, ITextEmbedder> embedders)
    {
        var store = StoreOption();
        var model = ModelOption();
        var threshold = ThresholdOption();
        var k = new Option<int>("-k") { Description = "How many chunks to return", DefaultValueFactory = _ => 5 };
        var json = CommonOptions.Json();
        var mode = ModeOption();
        var query = new Argument<string>("QUERY") { Description = "What to look for, in your own words or exact terms" };
        var command = new Command("search", "Find the stored chunks that best match a query, by meaning and by keywords (the first line says which)\n" +
            "  example: quill index search --store docs.db -k 3 --json \"installation on Windows\"\n" +
            "  example: quill index search --store docs.db --mode keyword \"E-4012\"")
        {
            store, model, k, mode, json, threshold, query,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            RetrievalMode how = HybridRetriever.ParseMode(r.GetValue(mode)!);
            using ITextEmbedder embedder = embedders(r.GetValue(model));
            using DocumentIndex index = DocumentIndex.Open(r.GetValue(store)!, embedder, new DocumentIndexOptions { HnswThreshold = r.GetValue(threshold) });
            IReadOnlyList<SearchHit> hits = new HybridRetriever(index).Retrieve(r.GetValue(query)!, r.GetValue(k), how, Warn);
            if (r.GetValue(json)) PrintJson(hits);
            else PrintText(hits, how, index.Store);
            return 0;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var store = StoreOption();
        var threshold = ThresholdOption();
        var paths = new Argument<string[]>("FILE|DIR") { Description = "Stored files, or folders whose stored files all go", Arity = ArgumentArity.OneOrMore };
        var command = new Command("remove", "Remove files (or every file under a folder) from a store, with their chunks; they need not exist on disk\n" +
            "  example: quill index remove --store docs.db docs/old.md docs/archive/")
        {
            store, threshold, paths,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var options = new DocumentIndexOptions { HnswThreshold = r.GetValue(threshold) };
            IndexRemoveReport report = DocumentIndex.RemoveFromStore(r.GetValue(store)!, r.GetValue(paths)!, options, Warn);
            Console.Out.WriteLine($"{report.Files} files removed ({report.Chunks} chunks)");
            return 0;
        }));
        return command;
    }

    private static Command CreateStats()
    {
        var store = StoreOption();
        var threshold = ThresholdOption();
        var command = new Command("stats", "Show a store's model, vector size, files, chunks and index kind") { store, threshold };
        command.SetAction(r => CliErrors.Run(() =>
        {
            IndexStats stats = DocumentIndex.ReadStats(r.GetValue(store)!, new DocumentIndexOptions { HnswThreshold = r.GetValue(threshold) });
            TextWriter o = Console.Out;
            o.WriteLine($"store:      {stats.Store}");
            o.WriteLine($"model:      {stats.ModelName}");
            o.WriteLine($"dimensions: {stats.Dimensions}");
            o.WriteLine($"files:      {stats.Files}");
            o.WriteLine($"chunks:     {stats.Chunks}");
            o.WriteLine($"index:      {stats.IndexKind}");
            return 0;
        }));
        return command;
    }

    private static void PrintText(IReadOnlyList<SearchHit> hits, RetrievalMode mode, VectorStore store)
    {
        TextWriter o = Console.Out;
        o.WriteLine($"# {HybridRetriever.Describe(mode, store)}");
        if (hits.Count == 0) o.WriteLine("no chunk matches");
        foreach (SearchHit hit in hits)
        {
            o.WriteLine($"{hit.Score:F4}  {DisplayPath(hit.File)}:{hit.StartLine}-{hit.EndLine}");
            foreach (string line in hit.Text.ReplaceLineEndings("\n").Split('\n').Take(6)) o.WriteLine($"    {line}");
            o.WriteLine();
        }
    }

    private static void PrintJson(IReadOnlyList<SearchHit> hits)
    {
        using var stream = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stream, JsonOptions))
        {
            writer.WriteStartArray();
            foreach (SearchHit hit in hits)
            {
                writer.WriteStartObject();
                writer.WriteNumber("score", hit.Score);
                writer.WriteString("file", hit.File);
                writer.WriteNumber("start_line", hit.StartLine);
                writer.WriteNumber("end_line", hit.EndLine);
                writer.WriteString("text", hit.Text);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        stream.Write("\n"u8);
    }

    internal static void Warn(string message) => Console.Error.WriteLine($"quill: warning: {message}");

    /// <summary>A path relative to the current folder when it lies under it, else as stored.</summary>
    internal static string DisplayPath(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }


    private static ITextEmbedder LoadEmbedder(string? model)
    {
        using (new ConsoleProgress("loading embedding model")) return EmbedderCatalog.Load(model);
    }
}
