// Packed, register- and cache-blocked F32 matrix multiply for the training layers (F32 or bf16 operands).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Threading;

namespace Quill.Training.Kernels;

/// <summary>
/// The three products training needs, all row-major, F32 accumulation:
/// <see cref="MultiplyTransposed(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, ComputePool)"/>
/// C(M,N) = A(M,K)·B(N,K)ᵀ (y = x·Wᵀ),
/// <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, ComputePool)"/>
/// C(M,N) = A(M,K)·B(K,N) (dx = dy·W),
/// <see cref="AddTransposedMultiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, ComputePool)"/>
/// C(M,N) += A(K,M)ᵀ·B(K,N) (dW += dyᵀ·x). Operands are F32 or bf16, each with an overload of its own
/// (bf16 stored as ushort, widened by a shift while packing). Deterministic: each element of C is summed by one thread in
/// a fixed k order (equal blocks of at most 384 in turn), so results do not depend on the thread count or timing.
/// They differ from <see cref="Reference"/> only by float rounding of that blocked order.
/// </summary>
public static unsafe class Sgemm
{
    /// <summary>Rows of A and columns of B per register tile.</summary>
    internal const int TileRows = 8, TileColumns = 32;

    /// <summary>The largest k extent packed and summed at a time; K is cut into equal blocks no longer than this.</summary>
    internal const int KBlock = 384;

    /// <summary>Columns of B packed together (kept in L3).</summary>
    private const int ColumnBlock = 2048;

    private const int MaxRowBlock = 192;

    /// <summary>C(M,N) = A(M,K)·B(N,K)ᵀ.</summary>
    public static void MultiplyTransposed(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)m * k, b.Length, (long)n * k, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, k, 1), new Operand(pb, 1, k), pc, n, m, n, k, accumulate: false, pool);
    }

    /// <summary>C(M,N) = A(M,K)·B(N,K)ᵀ with B in bf16 and A in F32 or bf16.</summary>
    public static void MultiplyTransposed(ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)m * k, b.Length, (long)n * k, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (ushort* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, k, 1), new Operand(pb, 1, k), pc, n, m, n, k, accumulate: false, pool);
    }

    /// <inheritdoc cref="MultiplyTransposed(ReadOnlySpan{float}, ReadOnlySpan{ushort}, Span{float}, int, int, int, ComputePool?)"/>
    public static void MultiplyTransposed(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)m * k, b.Length, (long)n * k, c.Length, (long)m * n);
        fixed (ushort* pa = a) fixed (ushort* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, k, 1), new Operand(pb, 1, k), pc, n, m, n, k, accumulate: false, pool);
    }

    /// <summary>C(M,N) = A(M,K)·B(K,N).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)m * k, b.Length, (long)k * n, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, k, 1), new Operand(pb, n, 1), pc, n, m, n, k, accumulate: false, pool);
    }

    /// <summary>C(M,N) = A(M,K)·B(K,N) with B in bf16.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)m * k, b.Length, (long)k * n, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (ushort* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, k, 1), new Operand(pb, n, 1), pc, n, m, n, k, accumulate: false, pool);
    }

    /// <summary>C(M,N) += A(K,M)ᵀ·B(K,N).</summary>
    public static void AddTransposedMultiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)k * m, b.Length, (long)k * n, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, 1, m), new Operand(pb, n, 1), pc, n, m, n, k, accumulate: true, pool);
    }

    /// <summary>C(M,N) += A(K,M)ᵀ·B(K,N) with B in bf16.</summary>
    public static void AddTransposedMultiply(ReadOnlySpan<float> a, ReadOnlySpan<ushort> b, Span<float> c, int m, int n, int k, ComputePool? pool)
    {
        Check(a.Length, (long)k * m, b.Length, (long)k * n, c.Length, (long)m * n);
        fixed (float* pa = a) fixed (ushort* pb = b) fixed (float* pc = c)
            Run(new Operand(pa, 1, m), new Operand(pb, n, 1), pc, n, m, n, k, accumulate: true, pool);
    }

    /// <summary>
    /// The scalar meaning of all three: C(i,j) (+)= Σₖ A(i,k)·B(k,j) summed in k order, where A(i,k) = a[i·aRow + k·aCol]
    /// and B(k,j) = b[k·bRow + j·bCol].
    /// </summary>
    public static void Reference(ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int bRow, int bCol,
        Span<float> c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
        }
    }

    private static void Check(int a, long aWanted, int b, long bWanted, int c, long cWanted)
    {
        if (a < aWanted) Fail("A", aWanted, a);
        if (b < bWanted) Fail("B", bWanted, b);
        if (c < cWanted) Fail("C", cWanted, c);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string operand, long wanted, int found) =>
        throw new ArgumentException($"Sgemm: expected {operand} of at least {wanted} values, found {found}");

    /// <summary>
    /// C (+)= A·B on the calling thread for strided views: A(i, k) = a[i·aRow + k·aCol], B(k, j) = b[k·bRow + j·bCol],
    /// C(i, j) = c[i·ldc + j]. For kernels that cut their own work across threads (attention per head).
    /// </summary>
    internal static void MultiplyStrided(float* a, long aRow, long aCol, float* b, long bRow, long bCol, float* c, long ldc,
        int m, int n, int k, bool accumulate) =>
        Run(new Operand(a, aRow, aCol), new Operand(b, bRow, bCol), c, ldc, m, n, k, accumulate, pool: null);

    private static void Run(Operand a, Operand b, float* c, long ldc, int m, int n, int k, bool accumulate, ComputePool? pool)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + i * ldc, n).Clear();
            return;
        }
        var job = t_job ??= new GemmJob();
        int threads = pool?.ThreadCount ?? 1;
        // Row blocks: enough for every thread to get a few, at most MaxRowBlock rows (the packed A block stays in L2).
        int rowBlock = RoundUp(Math.Max(1, (m + 4 * threads - 1) / (4 * threads)), TileRows);
        rowBlock = Math.Min(rowBlock, MaxRowBlock);
        int kBlock = (k + (k + KBlock - 1) / KBlock - 1) / ((k + KBlock - 1) / KBlock);
        job.Set(a, b, c, ldc, m, n, k, rowBlock);
        for (int j0 = 0; j0 < n; j0 += ColumnBlock)
        {
            int nc = Math.Min(ColumnBlock, n - j0);
            for (int p0 = 0; p0 < k; p0 += kBlock)
            {
                int kc = Math.Min(kBlock, k - p0);
                job.Begin(j0, nc, p0, kc, accumulate || p0 > 0);
                job.Packing = true;
                Execute(pool, job, (nc + TileColumns - 1) / TileColumns);
                job.Packing = false;
                Execute(pool, job, (m + rowBlock - 1) / rowBlock);
            }
        }
        job.Clear();
    }

    private static void Execute(ComputePool? pool, GemmJob job, int count)
    {
        if (pool is null) job.Execute(0, count);
        else pool.Run(job, count);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    [ThreadStatic] private static GemmJob? t_job;
    [ThreadStatic] private static float[]? t_packedA;

    /// <summary>A logical matrix: element (i, j) at data[i·Row + j·Column], F32 or bf16.</summary>
    private readonly struct Operand
    {
        public readonly float* F32;
        public readonly ushort* Bf16;
        public readonly long Row, Column;

        public Operand(float* data, long row, long column) { F32 = data; Row = row; Column = column; }

        public Operand(ushort* data, long row, long column) { Bf16 = data; Row = row; Column = column; }

        public float this[long i, long j]
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get
            {
                long at = i * Row + j * Column;
                return F32 != null ? F32[at] : BFloat16.ToSingle(Bf16[at]);
            }
        }
    }

    /// <summary>One product's state; ranges are B column tiles while packing, then A row blocks.</summary>
    private sealed class GemmJob : IRangeJob
    {
        private Operand _a, _b;
        private float* _c;
        private long _ldc;
        private int _m, _n, _rowBlock, _j0, _nc, _p0, _kc;
        private bool _add;
        private float[] _packedB = [];

        public bool Packing;

        public void Set(Operand a, Operand b, float* c, long ldc, int m, int n, int k, int rowBlock)
        {
            _a = a; _b = b; _c = c; _ldc = ldc; _m = m; _n = n; _rowBlock = rowBlock;
            int need = RoundUp(Math.Min(n, ColumnBlock), TileColumns) * Math.Min(k, KBlock);
            if (_packedB.Length < need) _packedB = GC.AllocateUninitializedArray<float>(need, pinned: true);
        }

        public void Begin(int j0, int nc, int p0, int kc, bool add) { _j0 = j0; _nc = nc; _p0 = p0; _kc = kc; _add = add; }

        public void Clear() { _a = default; _b = default; _c = null; }

        public void Execute(int start, int end)
        {
            if (Packing) { for (int t = start; t < end; t++) PackB(t); }
            else { for (int r = start; r < end; r++) Compute(r); }
        }

        /// <summary>Column tile t of the block: (kc, TileColumns) row-major, zero past N.</summary>
        private void PackB(int tile)
        {
            fixed (float* packed = _packedB)
            {
                float* dst = packed + (long)tile * TileColumns * _kc;
                int j = _j0 + tile * TileColumns, cols = Math.Min(TileColumns, _j0 + _nc - j);
                var b = _b;
                if (b.Column == 1 && b.F32 != null)
                {
                    for (int p = 0; p < _kc; p++)
                    {
                        float* src = b.F32 + (_p0 + p) * b.Row + j;
                        float* d = dst + p * TileColumns;
                        if (cols == TileColumns) { Vector512.Store(Vector512.Load(src), d); Vector512.Store(Vector512.Load(src + 16), d + 16); }
                        else { for (int x = 0; x < TileColumns; x++) d[x] = x < cols ? src[x] : 0f; }
                    }
                    return;
                }
                if (b.Column == 1 && cols == TileColumns)
                {
                    for (int p = 0; p < _kc; p++)
                    {
                        var (lo, hi) = Vector512.Widen(Vector512.Load(b.Bf16 + (_p0 + p) * b.Row + j));
                        float* d = dst + p * TileColumns;
                        Vector512.Store((lo << 16).AsSingle(), d);
                        Vector512.Store((hi << 16).AsSingle(), d + 16);
                    }
                    return;
                }
                for (int x = 0; x < TileColumns; x++)
                {
                    if (x >= cols) { for (int p = 0; p < _kc; p++) dst[p * TileColumns + x] = 0f; continue; }
                    if (b.Row == 1 && b.F32 != null)
                    {
                        float* src = b.F32 + (j + x) * b.Column + _p0;
                        for (int p = 0; p < _kc; p++) dst[p * TileColumns + x] = src[p];
                    }
                    else if (b.Row == 1)
                    {
                        ushort* src = b.Bf16 + (j + x) * b.Column + _p0;
                        for (int p = 0; p < _kc; p++) dst[p * TileColumns + x] = BFloat16.ToSingle(src[p]);
                    }
                    else
                    {
                        for (int p = 0; p < _kc; p++) dst[p * TileColumns + x] = b[_p0 + p, j + x];
                    }
                }
            }
        }

        /// <summary>Rows [block·rowBlock, +rowBlock) of C over the packed column block.</summary>
        private void Compute(int block)
        {
            int i0 = block * _rowBlock, mc = Math.Min(_rowBlock, _m - i0), kc = _kc;
            int tiles = (mc + TileRows - 1) / TileRows;
            var packedA = t_packedA;
            if (packedA is null || packedA.Length < MaxRowBlock * KBlock)
                t_packedA = packedA = GC.AllocateUninitializedArray<float>(MaxRowBlock * KBlock, pinned: true);
            float* tile = stackalloc float[TileRows * TileColumns];
            fixed (float* pa = packedA) fixed (float* pb = _packedB)
            {
                for (int t = 0; t < tiles; t++) PackA(pa + t * TileRows * kc, i0 + t * TileRows, Math.Min(TileRows, _m - i0 - t * TileRows));
                int columnTiles = (_nc + TileColumns - 1) / TileColumns;
                for (int ct = 0; ct < columnTiles; ct++)
                {
                    int j = _j0 + ct * TileColumns, cols = Math.Min(TileColumns, _n - j);
                    float* bp = pb + (long)ct * TileColumns * kc;
                    for (int t = 0; t < tiles; t++)
                    {
                        int i = i0 + t * TileRows, rows = Math.Min(TileRows, _m - i);
                        float* ap = pa + t * TileRows * kc;
                        float* cp = _c + i * _ldc + j;
                        if (rows == TileRows && cols == TileColumns) Kernel(kc, ap, bp, cp, _ldc, _add);
                        else
                        {
                            Kernel(kc, ap, bp, tile, TileColumns, add: false);
                            for (int r = 0; r < rows; r++)
                                for (int x = 0; x < cols; x++)
                                    cp[r * _ldc + x] = _add ? cp[r * _ldc + x] + tile[r * TileColumns + x] : tile[r * TileColumns + x];
                        }
                    }
                }
            }
        }

        /// <summary>A rows [i, i+rows) × k block as (kc, TileRows) row-major, zero past M.</summary>
        private void PackA(float* dst, int i, int rows)
        {
            var a = _a;
            int kc = _kc, p0 = _p0;
            if (a.Row == 1 && a.F32 != null && rows == TileRows)
            {
                for (int p = 0; p < kc; p++)
                    Vector256.Store(Vector256.Load(a.F32 + (p0 + p) * a.Column + i), dst + p * TileRows);
                return;
            }
            for (int r = 0; r < TileRows; r++)
            {
                if (r >= rows) { for (int p = 0; p < kc; p++) dst[p * TileRows + r] = 0f; continue; }
                if (a.Column == 1 && a.F32 != null)
                {
                    float* src = a.F32 + (i + r) * a.Row + p0;
                    for (int p = 0; p < kc; p++) dst[p * TileRows + r] = src[p];
                }
                else if (a.Column == 1)
                {
                    ushort* src = a.Bf16 + (i + r) * a.Row + p0;
                    for (int p = 0; p < kc; p++) dst[p * TileRows + r] = BFloat16.ToSingle(src[p]);
                }
                else
                {
                    for (int p = 0; p < kc; p++) dst[p * TileRows + r] = a[i + r, p0 + p];
                }
            }
        }
    }

    /// <summary>
    /// Forces the tile kernel's width for tests: 512, 256 or 0 (scalar); null picks the widest the CPU accelerates.
    /// Every width computes each output as the same fused multiply-add chain in the same k order, so all are bit-identical.
    /// </summary>
    internal static int? ForcedVectorBits { get; set; }

    /// <summary>The 8×32 register tile: C (+)= Apanel(kc, 8)ᵀ·Bpanel(kc, 32).</summary>
    private static void Kernel(int kc, float* a, float* b, float* c, long ldc, bool add)
    {
        int bits = ForcedVectorBits ?? (Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0);
        if (bits == 512) Kernel512(kc, a, b, c, ldc, add);
        else if (bits == 256)
        {
            // Sixteen 256-bit registers cannot hold the 8×32 tile: run it as four 4×16 quarters over the same panels.
            for (int r0 = 0; r0 < TileRows; r0 += 4)
                for (int c0 = 0; c0 < TileColumns; c0 += 16)
                    Quarter256(kc, a + r0, b + c0, c + r0 * ldc + c0, ldc, add);
        }
        else KernelScalar(kc, a, b, c, ldc, add);
    }

    private static void Kernel512(int kc, float* a, float* b, float* c, long ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += TileRows;
            b += TileColumns;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add); c += ldc;
        Store(c, c60, c61, add); c += ldc;
        Store(c, c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi, bool add)
    {
        if (add) { lo += Vector512.Load(c); hi += Vector512.Load(c + 16); }
        Vector512.Store(lo, c);
        Vector512.Store(hi, c + 16);
    }

    /// <summary>Rows r..r+3, columns j..j+15 of the tile (a and b point into the panels at r and j).</summary>
    private static void Quarter256(int kc, float* a, float* b, float* c, long ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            a += TileRows;
            b += TileColumns;
        }
        Store256(c, c00, c01, add); c += ldc;
        Store256(c, c10, c11, add); c += ldc;
        Store256(c, c20, c21, add); c += ldc;
        Store256(c, c30, c31, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> lo, Vector256<float> hi, bool add)
    {
        if (add) { lo += Vector256.Load(c); hi += Vector256.Load(c + 8); }
        Vector256.Store(lo, c);
        Vector256.Store(hi, c + 8);
    }

    private static void KernelScalar(int kc, float* a, float* b, float* c, long ldc, bool add)
    {
        float* acc = stackalloc float[TileRows * TileColumns];
        new Span<float>(acc, TileRows * TileColumns).Clear();
        for (int p = 0; p < kc; p++)
            for (int r = 0; r < TileRows; r++)
                for (int x = 0; x < TileColumns; x++)
                    acc[r * TileColumns + x] = MathF.FusedMultiplyAdd(a[p * TileRows + r], b[p * TileColumns + x], acc[r * TileColumns + x]);
        for (int r = 0; r < TileRows; r++)
            for (int x = 0; x < TileColumns; x++)
                c[r * ldc + x] = add ? c[r * ldc + x] + acc[r * TileColumns + x] : acc[r * TileColumns + x];
    }
}
