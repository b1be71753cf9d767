// y = x · Wᵀ for a batch of activation rows against a weight matrix of any ggml type; forward only.
using System.Runtime.InteropServices;
using Quill.Tensors.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Kernels;

/// <summary>
/// Multiplies T activation rows (T, K) by a weight matrix (N, K) into (T, N), working on the quantized blocks directly:
/// the activations are first quantized to the weight type's activation format (Q8_0, Q8_1 or Q8_K, as llama.cpp does;
/// F32 for float weights), once per input and format, then every weight row is dotted with every activation row:
/// in four-row pair tiles over activations packed once per batch where the format has them (<see cref="QuantFormat.Pairs"/>:
/// Q8_0, Q4_0, Q4_K, Q5_K, Q6_K on AVX-512, Q8_0 where AVX2 is the widest level), in 4×4 block tiles for the other quantized
/// types (and Q4_0, Q4_K..Q6_K where AVX2 is the widest level, <see cref="Q4_0Avx2"/>, <see cref="KQuantTileAvx2{TQuants}"/>),
/// in float tiles over rows widened once per block for F16 and BF16 (<see cref="HalfWidthTile{TFloat}"/>); below four tokens,
/// four rows per call against each token (<see cref="QuantFormat.Rows"/>, F16 and BF16 included, or a pair tile's decode
/// kernel over the token packed with itself: F16 on AVX2 decodes over activations pre-scaled once per token), single rows
/// where a format has no four-row kernel.
/// Rows are split across the <see cref="ComputePool"/>. One instance per inference state; not thread-safe.
/// </summary>
public sealed unsafe class MatMul : IRangeJob, IDisposable
{
    private readonly ComputePool _pool;
    private float* _input;
    private int _tokens;
    private int _columns;
    private byte* _quantized;
    private long _quantizedCapacity;
    private GgmlType _quantizedType;
    private bool _quantizedValid;
    private int _quantizedRowBytes;
    private byte* _packed;
    private long _packedCapacity;
    private bool _packedValid;
    private PairTile? _packedFor;
    private readonly ActivationJob _prepare;

    // The job in flight.
    private WeightMatrix? _weights;
    private float* _output;
    private RowDot? _dot;
    private TileDot? _tile;
    private RowsDot? _rows;
    private RowsDot? _rowsForTail;
    private PairTile? _pairTile;
    private HalfWidthTiles _halfTiles;

    /// <summary>Which F16/BF16 tile (if any) the job in flight runs.</summary>
    private enum HalfWidthTiles
    {
        None,
        F16,
        BF16,
    }

    public MatMul(ComputePool pool)
    {
        _pool = pool;
        _prepare = new ActivationJob(this);
    }

    /// <summary>Scalar meaning: y[t, n] = Σ_k dequantize(W)[n, k] · x[t, k], in float.</summary>
    public static void Reference(WeightMatrix weights, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var format = QuantFormats.Get(weights.Type);
        var row = new float[weights.Columns];
        for (int n = 0; n < weights.Rows; n++)
        {
            weights.DequantizeRow(n, row, format.DequantizeReference);
            for (int t = 0; t < tokens; t++)
            {
                float sum = 0;
                var xt = x.Slice(t * weights.Columns, weights.Columns);
                for (int k = 0; k < row.Length; k++) sum += row[k] * xt[k];
                y[t * weights.Rows + n] = sum;
            }
        }
    }

    /// <summary>
    /// Sets the activations (T, K) for the following <see cref="Multiply"/> calls. The memory must stay pinned and
    /// unchanged until the next call to SetInput (inference states own it as native memory).
    /// </summary>
    public void SetInput(float* x, int tokens, int columns)
    {
        _input = x;
        _tokens = tokens;
        _columns = columns;
        _quantizedValid = false;
        _packedValid = false;
    }

    /// <summary>y (T, N) = x · Wᵀ using the input given to <see cref="SetInput"/>.</summary>
    public void Multiply(WeightMatrix weights, float* y)
    {
        if (weights.Columns != _columns)
            throw new ArgumentException($"tensor '{weights.Name}' has rows of {weights.Columns}, the input has {_columns} columns");
        var format = QuantFormats.Get(weights.Type);
        EnsureQuantized(format);
        _weights = weights;
        _output = y;
        _dot = format.Dot;
        // A pair tile without a decode kernel (Q4_0) leaves decoding to the format's four-row kernel over plain activations,
        // one without a batch tile (F16 on AVX2) leaves batches to the format's other tiles.
        _pairTile = _tokens < PairTileTokens ? (format.Pairs is { Rows: not null } ? format.Pairs : null)
            : (format.Pairs is { Run: not null } ? format.Pairs : null);
        _tile = _tokens >= BlockTileRows && _pairTile is null ? format.Tile : null;
        if (_pairTile is not null)
            EnsurePacked(_pairTile, weights);
        _rows = _tokens < BlockTileRows && _pairTile is null ? format.Rows : null;
        _rowsForTail = format.Rows;
        _halfTiles = _tokens < HalfWidthTile<Fp16Float>.MinTokens || !HalfWidthTile<Fp16Float>.IsSupported
            ? HalfWidthTiles.None
            : weights.Type switch { GgmlType.F16 => HalfWidthTiles.F16, GgmlType.BF16 => HalfWidthTiles.BF16, _ => HalfWidthTiles.None };
        if (weights.IsInterleaved && !weights.CanInterleave)
            throw new InvalidOperationException($"tensor '{weights.Name}' is interleaved but {weights.Type} has no four-row kernels here");
        _pool.Run(this, weights.Rows, granularity: _halfTiles == HalfWidthTiles.None ? BlockTileRows : HalfWidthTileRows);
        _weights = null;
        _dot = null;
        _tile = null;
        _rows = null;
        _pairTile = null;
    }

    /// <summary>
    /// The quantized rows re-laid out for <paramref name="tile"/>, once per input and format: in token pairs for a
    /// batch, each token paired with itself for the decode-time four-row kernel (fewer than <see cref="PairTileTokens"/>).
    /// </summary>
    private void EnsurePacked(PairTile tile, WeightMatrix weights)
    {
        // Formats sharing an activation type may pack it differently: packed activations are reused only by a tile with the same packing.
        if (_packedValid && _packedFor is { } packedFor && packedFor.Pack == tile.Pack && packedFor.PairBlockBytes == tile.PairBlockBytes) return;
        int blocks = weights.Columns / GgmlTypeInfo.BlockSize(weights.Type);
        int pairs = _tokens >= PairTileTokens ? _tokens / 2 : _tokens;
        long need = (long)pairs * blocks * tile.PairBlockBytes;
        if (need > _packedCapacity)
        {
            if (_packed != null) NativeMemory.AlignedFree(_packed);
            _packed = (byte*)NativeMemory.AlignedAlloc((nuint)need, 64);
            _packedCapacity = need;
        }
        if (_tokens >= PairTileTokens)
            _prepare.Pack(tile, pairs, blocks);
        else
            for (int t = 0; t < _tokens; t++)
                tile.Pack(_quantized + (long)t * _quantizedRowBytes, 0, 1, blocks, _packed + (long)t * blocks * tile.PairBlockBytes);
        _packedValid = true;
        _packedFor = tile;
    }

    private void EnsureQuantized(QuantFormat format)
    {
        if (_quantizedValid && _quantizedType == format.ActivationType) return;
        _packedValid = false;
        int rowBytes = (int)GgmlTypeInfo.RowBytes(format.ActivationType, _columns);
        long need = (long)rowBytes * _tokens;
        if (need > _quantizedCapacity)
        {
            if (_quantized != null) NativeMemory.AlignedFree(_quantized);
            _quantized = (byte*)NativeMemory.AlignedAlloc((nuint)need, 64);
            _quantizedCapacity = need;
        }
        _quantizedRowBytes = rowBytes;
        _prepare.Quantize(format);
        _quantizedType = format.ActivationType;
        _quantizedValid = true;
    }

    private const int BlockTileRows = 4;
    private const int HalfWidthTileRows = 16;

    /// <summary>
    /// Tokens from which a <see cref="PairTile"/> format runs its batch tiles; fewer take the four-row kernel token by
    /// token. Measured on TinyLlama Q4_0: 4 tokens prefill about 1.25× faster as two pairs than token by token.
    /// </summary>
    private const int PairTileTokens = 4;

    /// <summary>Packed activation bytes one pass over a thread's row groups works on: about half a Zen 5 L2.</summary>
    private const long PairChunkBytes = 512 * 1024;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int start, int end)
    {
        var w = _weights!;
        var dot = _dot!;
        int n = w.Rows;
        int tokens = _tokens;
        int qBytes = _quantizedRowBytes;
        int r0 = start;
        if (_halfTiles != HalfWidthTiles.None)
        {
            // F16/BF16 activations are the F32 input itself (copied once into the quantized buffer).
            float* x = (float*)_quantized;
            byte* rows = w.GroupStart(0);
            if (_halfTiles == HalfWidthTiles.F16)
                HalfWidthTile<Fp16Float>.Multiply(rows, w.RowStride, w.BlockStride, w.RowBytes, start, end, w.Columns, x, tokens, _output, n);
            else
                HalfWidthTile<Bf16Float>.Multiply(rows, w.RowStride, w.BlockStride, w.RowBytes, start, end, w.Columns, x, tokens, _output, n);
            return;
        }
        if (_pairTile is { Rows: { } decodeRows } decodeTile && tokens < PairTileTokens)
        {
            int blocks = w.Columns / GgmlTypeInfo.BlockSize(w.Type);
            nint tokenStride = (nint)blocks * decodeTile.PairBlockBytes;
            for (; r0 + 4 <= end; r0 += 4)
                for (int t = 0; t < tokens; t++)
                    decodeRows(w.GroupStart(r0), w.RowStride, w.BlockStride, _packed + t * tokenStride, blocks, _output + (long)t * n + r0);
        }
        if (_pairTile is { } pairTile && tokens >= PairTileTokens)
        {
            // Token pairs in chunks that stay in L2 while every row group of this range passes over them.
            int blocks = w.Columns / GgmlTypeInfo.BlockSize(w.Type);
            int pairs = tokens / 2;
            nint pairStride = (nint)blocks * pairTile.PairBlockBytes;
            int chunk = (int)Math.Max(4, PairChunkBytes / pairStride / 4 * 4);
            int groupsEnd = r0 + (end - r0) / 4 * 4;
            for (int p0 = 0; p0 < pairs; p0 += chunk)
            {
                int count = Math.Min(chunk, pairs - p0);
                for (int r = r0; r < groupsEnd; r += 4)
                    pairTile.Run!(w.GroupStart(r), w.RowStride, w.BlockStride, _packed + p0 * pairStride, pairStride, count, blocks,
                        _output + 2L * p0 * n + r, n);
            }
            if (tokens % 2 == 1)
                for (int r = r0; r < groupsEnd; r += 4)
                    _rowsForTail!(w.GroupStart(r), w.RowStride, w.BlockStride, _quantized + (long)(tokens - 1) * qBytes, blocks,
                        _output + (long)(tokens - 1) * n + r);
            r0 = groupsEnd;
        }
        if (_tile is { } tile)
        {
            // 4×4 tiles: each weight block is unpacked once per four tokens, each activation block loaded once per four rows.
            int blocks = w.Columns / GgmlTypeInfo.BlockSize(w.Type);
            int fullTokens = tokens / 4 * 4;
            for (; r0 + 4 <= end; r0 += 4)
            {
                byte* rows = w.GroupStart(r0);
                for (int t = 0; t < fullTokens; t += 4)
                    tile(rows, w.RowStride, w.BlockStride, _quantized + (long)t * qBytes, qBytes, blocks, _output + (long)t * n + r0, n);
                for (int t = fullTokens; t < tokens; t++)
                {
                    if (_rowsForTail is { } tail)
                        tail(rows, w.RowStride, w.BlockStride, _quantized + (long)t * qBytes, blocks, _output + (long)t * n + r0);
                    else
                        for (int k = 0; k < 4; k++)
                            _output[(long)t * n + r0 + k] = dot(w.Row(r0 + k), new ReadOnlySpan<byte>(_quantized + (long)t * qBytes, qBytes));
                }
            }
        }
        if (_rows is { } rowsDot)
        {
            int blocks = w.Columns / GgmlTypeInfo.BlockSize(w.Type);
            for (; r0 + 4 <= end; r0 += 4)
                for (int t = 0; t < tokens; t++)
                    rowsDot(w.GroupStart(r0), w.RowStride, w.BlockStride, _quantized + (long)t * qBytes, blocks, _output + (long)t * n + r0);
        }
        for (int r = r0; r < end; r++)
        {
            var row = w.Row(r);
            for (int t = 0; t < tokens; t++)
                _output[(long)t * n + r] = dot(row, new ReadOnlySpan<byte>(_quantized + (long)t * qBytes, qBytes));
        }
    }

    /// <summary>
    /// The per-token preparation of a batch, split across the pool from <see cref="PairTileTokens"/> tokens: quantizing
    /// the activations a row at a time, then packing them a token pair at a time. Each row or pair is written by one
    /// thread, so the bytes are those of the serial loop.
    /// </summary>
    private sealed class ActivationJob(MatMul owner) : IRangeJob
    {
        private QuantFormat? _format;
        private PairTile? _tile;
        private int _blocks;

        public void Quantize(QuantFormat format)
        {
            _format = format;
            Split(owner._tokens);
            _format = null;
        }

        public void Pack(PairTile tile, int pairs, int blocks)
        {
            _tile = tile;
            _blocks = blocks;
            Split(pairs);
            _tile = null;
        }

        private void Split(int count)
        {
            if (owner._tokens >= PairTileTokens) owner._pool.Run(this, count);
            else Execute(0, count);
        }

        public void Execute(int start, int end)
        {
            int rowBytes = owner._quantizedRowBytes;
            if (_format is { } format)
            {
                for (int t = start; t < end; t++)
                    format.QuantizeActivations(new ReadOnlySpan<float>(owner._input + (long)t * owner._columns, owner._columns),
                        new Span<byte>(owner._quantized + (long)t * rowBytes, rowBytes));
                return;
            }
            var tile = _tile!;
            tile.Pack(owner._quantized + 2L * start * rowBytes, rowBytes, end - start, _blocks,
                owner._packed + (long)start * _blocks * tile.PairBlockBytes);
        }
    }

    public void Dispose()
    {
        if (_quantized != null) NativeMemory.AlignedFree(_quantized);
        _quantized = null;
        _quantizedCapacity = 0;
        if (_packed != null) NativeMemory.AlignedFree(_packed);
        _packed = null;
        _packedCapacity = 0;
    }
}
