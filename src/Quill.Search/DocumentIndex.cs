// Semantic search over a user's documents: chunk, embed, store, then search exactly or through HNSW.
using System.Security.Cryptography;
using Quill.Embeddings;
using Quill.Search.Chunking;
using Quill.Search.Hnsw;
using Quill.Search.Storage;
using Quill.Search.Vectors;

namespace Quill.Search;

/// <summary>
/// A <see cref="VectorStore"/> driven by one <see cref="ITextEmbedder"/>. <see cref="Add"/> chunks documents, embeds
/// <see cref="DocumentIndexOptions.BatchSize"/> chunks at a time and commits each batch in its own transaction (a file's
/// old chunks go in the same transaction as its first new ones; unchanged files, by SHA-256, are skipped; a file only
/// partly stored when a run was killed is redone). <see cref="Search"/> embeds the query and ranks chunks by cosine over
/// vectors this process holds in memory (a <see cref="VectorMirror"/>, or an HNSW graph past the threshold), caught up
/// with the store by its generation before each search: replicas sharing one PostgreSQL store each search their own copy
/// and see the others' writes at their next search. Searches and writes through one index are serialised.
/// </summary>
public sealed class DocumentIndex : IDisposable
{
    private readonly ITextEmbedder _embedder;
    private readonly DocumentIndexOptions _options;
    private readonly Lock _gate = new();
    private VectorMirror? _mirror;
    private HnswIndex? _graph;

    private DocumentIndex(VectorStore store, ITextEmbedder embedder, DocumentIndexOptions options)
    {
        Store = store;
        _embedder = embedder;
        _options = options;
    }

    /// <summary>The store of files, chunks, vectors and their keyword index (a SQLite file or a PostgreSQL database).</summary>
    public VectorStore Store { get; }

    /// <summary>The model that embeds chunks and queries (the one the store was built with).</summary>
    public ITextEmbedder Embedder => _embedder;

    /// <summary>Opens the store (creating it when absent) for <paramref name="embedder"/>'s model; refuses another model's store.</summary>
    public static DocumentIndex OpenOrCreate(string storePath, ITextEmbedder embedder, DocumentIndexOptions? options = null) =>
        new(VectorStore.OpenOrCreate(storePath, embedder.ModelName, embedder.Dimensions), embedder, Validated(options));

    /// <summary>Opens an existing store for searching; refuses another model's store.</summary>
    /// <param name="storePath">The store's SQLite file or postgres:// URL.</param>
    /// <param name="embedder">The embedder the store must have been built with.</param>
    /// <param name="options">Chunking, batch and HNSW settings (defaults when null).</param>
    /// <param name="modelFlag">The command-line flag that picks the embedder, named in a wrong-model error.</param>
    public static DocumentIndex Open(string storePath, ITextEmbedder embedder, DocumentIndexOptions? options = null, string modelFlag = "-m")
    {
        VectorStore store = VectorStore.Open(storePath);
        try
        {
            store.RequireModel(embedder.ModelName, embedder.Dimensions, modelFlag);
            return new DocumentIndex(store, embedder, Validated(options));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The statistics of the store at <paramref name="storePath"/>, without loading any model.</summary>
    public static IndexStats ReadStats(string storePath, DocumentIndexOptions? options = null)
    {
        options = Validated(options);
        using VectorStore store = VectorStore.Open(storePath);
        return new IndexStats(storePath, store.ModelName, store.Dimensions, store.FileCount, store.ChunkCount,
            StoreGraph.Describe(store, options.HnswThreshold));
    }

    /// <summary>Indexes the files and folders named (see <see cref="DocumentFiles"/>); progress goes from 0 to 1 by bytes.</summary>
    public IndexAddReport Add(IEnumerable<string> paths, IProgress<double>? progress = null, Action<string>? warn = null,
        CancellationToken ct = default)
    {
        IReadOnlyList<string> files = DocumentFiles.Collect(paths);
        int special = _embedder.Tokenizer.CountTokens("", addSpecial: true);
        int budget = Math.Max(1, Math.Min(_options.ChunkTokens, _embedder.MaxTokens - special));
        var chunker = new TextChunker(_embedder.Tokenizer, budget, Math.Min(_options.OverlapTokens, budget - 1));
        long total = Math.Max(1, files.Sum(f => new FileInfo(f).Length)), before = 0;
        var pending = new List<PendingChunk>();
        int indexed = 0, unchanged = 0, chunks = 0, truncated = 0;
        foreach (string path in files)
        {
            ct.ThrowIfCancellationRequested();
            byte[] bytes = File.ReadAllBytes(path);
            var info = new FileInfo(path);
            var source = new SourceFile(path, bytes.Length, info.LastWriteTimeUtc, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            StoredFile? stored;
            lock (_gate) stored = Store.FindFile(path);
            if (stored is { Complete: true } && stored.Sha256 == source.Sha256)
            {
                unchanged++;
                before += bytes.Length;
                if (pending.Count == 0) progress?.Report((double)before / total);
                continue;
            }
            indexed++;
            var file = new PendingFile(source);
            IReadOnlyList<TextChunk> pieces = chunker.ChunkBytes(path, bytes);
            if (pieces.Count == 0) pending.Add(new PendingChunk(file, null, 0, First: true, Last: true, before + bytes.Length));
            for (int i = 0; i < pieces.Count; i++)
            {
                bool last = i == pieces.Count - 1;
                pending.Add(new PendingChunk(file, pieces[i], i, i == 0, last, before + (last ? bytes.Length : pieces[i].EndByte)));
            }
            chunks += pieces.Count;
            before += bytes.Length;
            while (pending.Count >= _options.BatchSize)
            {
                truncated += Commit(pending.GetRange(0, _options.BatchSize), progress, total, ct);
                pending.RemoveRange(0, _options.BatchSize);
            }
        }
        if (pending.Count > 0) truncated += Commit(pending, progress, total, ct);
        progress?.Report(1);
        if (truncated > 0) warn?.Invoke($"{truncated} chunks were longer than {_embedder.ModelName} reads ({_embedder.MaxTokens} tokens) and were cut short");
        KeepGraphInStep(warn);
        return new IndexAddReport(indexed, unchanged, chunks, truncated);
    }

    /// <summary>The <paramref name="k"/> chunks most similar to <paramref name="query"/> by cosine, best first.</summary>
    public IReadOnlyList<SearchHit> Search(string query, int k = 5, Action<string>? warn = null)
    {
        if (k < 1) throw new ArgumentException($"-k: a positive number of results expected, found {k}");
        return ReadHits(VectorSearch(query, k, warn));
    }

    /// <summary>
    /// The chunk ids of the <paramref name="n"/> chunks most similar to <paramref name="query"/> with their cosine, best
    /// first: exact below <see cref="DocumentIndexOptions.HnswThreshold"/> chunks, through the HNSW graph from there.
    /// </summary>
    public ScoredItem[] VectorSearch(string query, int n, Action<string>? warn = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        float[] q = _embedder.Embed([query]).Vectors[0];
        VectorNorm.Normalize(q);
        lock (_gate)
        {
            if (Store.ChunkCount >= _options.HnswThreshold)
            {
                _mirror = null;
                _graph = StoreGraph.Ensure(Store, _options.Hnsw, warn, _graph);
                return _graph.Search(q, n, _options.Hnsw.EfSearch);
            }
            _graph = null;
            _mirror = VectorMirror.CatchUp(Store, _mirror);
            ScoredItem[] top = _mirror.Ids.Length == 0 ? [] : ExactSearch.Search(q, _mirror.Vectors, n);
            for (int i = 0; i < top.Length; i++) top[i] = top[i] with { Id = _mirror.Ids[top[i].Id] };
            return top;
        }
    }

    /// <summary>How many chunks the store holds, read under the index's lock (a SQLite store's one connection is not thread-safe).</summary>
    public long ChunkCount
    {
        get
        {
            lock (_gate) return Store.ChunkCount;
        }
    }

    /// <summary>The <paramref name="n"/> chunks whose words best match <paramref name="query"/> (the store's keyword index), best first.</summary>
    public ScoredItem[] KeywordSearch(string query, int n)
    {
        lock (_gate) return Store.KeywordSearch(query, n);
    }

    /// <summary>The stored chunks of <paramref name="top"/> with their scores, in its order.</summary>
    public IReadOnlyList<SearchHit> ReadHits(IReadOnlyList<ScoredItem> top)
    {
        IReadOnlyList<StoredChunk> chunks;
        lock (_gate) chunks = Store.ReadChunks(top.Select(t => t.Id).ToList());
        var scores = top.ToDictionary(t => t.Id, t => t.Score);
        return chunks.Select(c => new SearchHit(scores[c.Id], c.File, c.StartLine, c.EndLine, c.Text)).ToList();
    }

    /// <summary>
    /// Removes the stored files named, or every stored file under a folder named, with their chunks, vectors and
    /// full-text rows, in one transaction; the HNSW graph (when the store is searched through one) is patched to match.
    /// Paths need not exist on disk any more; one that matches nothing stored is an error and nothing is removed.
    /// </summary>
    public IndexRemoveReport Remove(IEnumerable<string> paths, Action<string>? warn = null)
    {
        IndexRemoveReport report;
        lock (_gate) report = Remove(Store, paths, _options, warn, graph: false);
        KeepGraphInStep(warn);
        return report;
    }

    /// <summary>As <see cref="Remove(IEnumerable{string}, Action{string}?)"/> on the store at <paramref name="storePath"/>, loading no model.</summary>
    public static IndexRemoveReport RemoveFromStore(string storePath, IEnumerable<string> paths, DocumentIndexOptions? options = null,
        Action<string>? warn = null)
    {
        options = Validated(options);
        using VectorStore store = VectorStore.Open(storePath);
        return Remove(store, paths, options, warn, graph: true);
    }

    /// <summary>Removes the stored files at or under <paramref name="paths"/> that no longer exist on disk (`index add --prune`).</summary>
    public IndexRemoveReport Prune(IEnumerable<string> paths, Action<string>? warn = null)
    {
        var gone = new Dictionary<long, StoredFile>();
        IndexRemoveReport report;
        lock (_gate)
        {
            foreach (string given in paths)
            {
                foreach (StoredFile file in Store.FindFilesUnder(Path.TrimEndingDirectorySeparator(Path.GetFullPath(given))))
                    if (!File.Exists(file.Path)) gone[file.Id] = file;
            }
            report = RemoveFiles(Store, gone.Values, _options, warn, graph: false);
        }
        KeepGraphInStep(warn);
        return report;
    }

    public void Dispose() => Store.Dispose();

    /// <summary>Past the threshold, brings this index's graph (and, for a SQLite store, its file) up to the store's generation.</summary>
    private void KeepGraphInStep(Action<string>? warn)
    {
        lock (_gate)
        {
            if (Store.ChunkCount >= _options.HnswThreshold) _graph = StoreGraph.Ensure(Store, _options.Hnsw, warn, _graph);
        }
    }

    private static IndexRemoveReport Remove(VectorStore store, IEnumerable<string> paths, DocumentIndexOptions options, Action<string>? warn, bool graph)
    {
        var files = new Dictionary<long, StoredFile>();
        foreach (string given in paths)
        {
            IReadOnlyList<StoredFile> found = store.FindFilesUnder(Path.TrimEndingDirectorySeparator(Path.GetFullPath(given)));
            if (found.Count == 0) throw new FileNotFoundException($"{given}: no stored file at or under this path (in {store.Path})", given);
            foreach (StoredFile file in found) files[file.Id] = file;
        }
        return RemoveFiles(store, files.Values, options, warn, graph);
    }

    private static IndexRemoveReport RemoveFiles(VectorStore store, IEnumerable<StoredFile> files, DocumentIndexOptions options, Action<string>? warn,
        bool graph)
    {
        int count = 0, chunks = 0;
        using (VectorStoreBatch transaction = store.BeginBatch())
        {
            foreach (StoredFile file in files)
            {
                chunks += transaction.RemoveFile(file.Id);
                count++;
            }
            if (count == 0) return new IndexRemoveReport(0, 0);
            transaction.Commit();
        }
        if (graph && store.ChunkCount >= options.HnswThreshold) StoreGraph.Ensure(store, options.Hnsw, warn);
        return new IndexRemoveReport(count, chunks);
    }

    private sealed class PendingFile(SourceFile source)
    {
        public SourceFile Source { get; } = source;

        public long Id { get; set; } = -1;
    }

    private sealed record PendingChunk(PendingFile File, TextChunk? Chunk, int Ordinal, bool First, bool Last, long Through);

    /// <summary>Embeds and stores one batch in one transaction; returns how many chunks the embedder truncated.</summary>
    private int Commit(IReadOnlyList<PendingChunk> batch, IProgress<double>? progress, long total, CancellationToken ct)
    {
        var texts = batch.Where(p => p.Chunk is not null).Select(p => p.Chunk!.Text).ToList();
        EmbeddingResult embedded = texts.Count > 0 ? _embedder.Embed(texts, ct) : new EmbeddingResult([], [], []);
        if (embedded.Vectors.Length != texts.Count)
            throw new InvalidOperationException($"{_embedder.ModelName}: expected {texts.Count} vectors, found {embedded.Vectors.Length}");
        lock (_gate)
        {
            using VectorStoreBatch transaction = Store.BeginBatch();
            int v = 0;
            foreach (PendingChunk p in batch)
            {
                if (p.First) p.File.Id = transaction.StartFile(p.File.Source);
                if (p.Chunk is not null)
                {
                    float[] vector = embedded.Vectors[v++];
                    VectorNorm.Normalize(vector);
                    transaction.AddChunk(p.File.Id, p.Ordinal, p.Chunk, vector);
                }
                if (p.Last) transaction.CompleteFile(p.File.Id);
            }
            transaction.Commit();
        }
        progress?.Report((double)batch[^1].Through / total);
        return embedded.Truncated.Count(t => t);
    }

    private static DocumentIndexOptions Validated(DocumentIndexOptions? options)
    {
        options ??= new DocumentIndexOptions();
        if (options.ChunkTokens < 1) throw new ArgumentException($"--chunk-tokens: a positive number expected, found {options.ChunkTokens}");
        if (options.OverlapTokens < 0 || options.OverlapTokens >= options.ChunkTokens)
            throw new ArgumentException($"--overlap: 0 to {options.ChunkTokens - 1} tokens expected (less than --chunk-tokens), found {options.OverlapTokens}");
        if (options.BatchSize < 1) throw new ArgumentException($"batch size: a positive number expected, found {options.BatchSize}");
        if (options.HnswThreshold < 0) throw new ArgumentException($"--hnsw-threshold: 0 or more chunks expected, found {options.HnswThreshold}");
        options.Hnsw.Validate();
        return options;
    }
}
