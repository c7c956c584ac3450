// Batched C = A B with A [M, K] and B [K, N] of any strides, C contiguous.
//
// Tiling (sizes are -D options chosen per device by the host, see GemmConfig):
//   a work-group computes a TM x TN tile of C and walks K in steps of TK; the A and B tiles
//   are staged in local memory, stored k-major (As[k][m], Bs[k][n]) so the inner loop reads
//   rows of both as vectors;
//   each of its (TN/WN) x (TM/WM) work-items keeps a WM x WN block of C in registers
//   (register blocking), so every local-memory value read feeds WM or WN multiply-adds;
//   a work-item's rows are the 4-runs  q*(4*RM) + 4*tm + c  (and likewise columns), so
//   neighbouring work-items read neighbouring 16-byte words of local memory: vector reads
//   without bank conflicts;
//   global loads are 4-vectors along whichever of the operand's two axes has stride 1
//   (vload4 when the run is inside the matrix, guarded scalar loads at the edges or for
//   general strides), and the next tile is loaded into registers while the current one is
//   multiplied, which hides global-memory latency behind arithmetic.
// Elements are read as stored (TMEM: a bfloat16 is a ushort) and widened as they are loaded
// (TLOAD, TLOAD4), so the tiles and the accumulators hold the compute type T; each element
// of C is rounded once, when it is stored (TSTORE, TSTORE4).
#define RM (TM / WM)
#define RN (TN / WN)
#define NT (RM * RN)
#define LA (TM * TK / 4 / NT)
#define LB (TN * TK / 4 / NT)

#define V4 CAT(T, 4)
#define CAT(a, b) CAT_(a, b)
#define CAT_(a, b) a##b

// Loads 4 elements starting at (r, c) of a rows x cols matrix with strides (rs, cs), walking
// along rows (alongRow) or columns; out-of-range elements read as 0.
inline V4 load4_$T(__global const TMEM* p, int r, int c, int rows, int cols, int rs, int cs,
                   int alongRow) {
    V4 v;
    if (alongRow) {
        if (r < rows && c + 3 < cols && cs == 1) return TLOAD4(p + r * rs + c);
        v.s0 = r < rows && c < cols ? TLOAD(p[r * rs + c * cs]) : (T) 0;
        v.s1 = r < rows && c + 1 < cols ? TLOAD(p[r * rs + (c + 1) * cs]) : (T) 0;
        v.s2 = r < rows && c + 2 < cols ? TLOAD(p[r * rs + (c + 2) * cs]) : (T) 0;
        v.s3 = r < rows && c + 3 < cols ? TLOAD(p[r * rs + (c + 3) * cs]) : (T) 0;
    } else {
        if (c < cols && r + 3 < rows && rs == 1) return TLOAD4(p + r + c * cs);
        v.s0 = c < cols && r < rows ? TLOAD(p[r * rs + c * cs]) : (T) 0;
        v.s1 = c < cols && r + 1 < rows ? TLOAD(p[(r + 1) * rs + c * cs]) : (T) 0;
        v.s2 = c < cols && r + 2 < rows ? TLOAD(p[(r + 2) * rs + c * cs]) : (T) 0;
        v.s3 = c < cols && r + 3 < rows ? TLOAD(p[(r + 3) * rs + c * cs]) : (T) 0;
    }
    return v;
}

__kernel __attribute__((reqd_work_group_size(RN, RM, 1)))
void matmul_$T(__global TMEM* C, __global const TMEM* A, __global const TMEM* B, int M, int N, int K,
               int ars, int acs, int brs, int bcs, Layout L) {
    __local T As[TK][TM];
    __local T Bs[TK][TN];
    const int tn = get_local_id(0), tm = get_local_id(1), tid = tm * RN + tn;
    const int m0 = get_group_id(1) * TM, n0 = get_group_id(0) * TN;
    int bo[2];
    offsets(&L, get_group_id(2), 2, bo);
    __global const TMEM* Ab = A + bo[0] + m0 * ars;  // tile origin; rows left: M - m0
    __global const TMEM* Bb = B + bo[1] + n0 * bcs;
    __global TMEM* Cb = C + (long) get_group_id(2) * M * N;
    const int mLeft = M - m0, nLeft = N - n0;
    // A is read along k when its k stride is 1 (row-major), else along m; B likewise.
    const int aAlongK = acs == 1, bAlongN = bcs == 1 || brs != 1;

    V4 ra[LA], rb[LB];
    T acc[WM][WN];
    for (int i = 0; i < WM; i++)
        for (int j = 0; j < WN; j++) acc[i][j] = 0;

#define LOAD_TILES(k0)                                                                    \
    for (int s = 0; s < LA; s++) {                                                        \
        int l = tid + s * NT;                                                             \
        if (aAlongK) ra[s] = load4_$T(Ab, l / (TK / 4), (k0) + (l % (TK / 4)) * 4, mLeft, K, ars, acs, 1); \
        else ra[s] = load4_$T(Ab, (l % (TM / 4)) * 4, (k0) + l / (TM / 4), mLeft, K, ars, acs, 0); \
    }                                                                                     \
    for (int s = 0; s < LB; s++) {                                                        \
        int l = tid + s * NT;                                                             \
        if (bAlongN) rb[s] = load4_$T(Bb, (k0) + l / (TN / 4), (l % (TN / 4)) * 4, K, nLeft, brs, bcs, 1); \
        else rb[s] = load4_$T(Bb, (k0) + (l % (TK / 4)) * 4, l / (TK / 4), K, nLeft, brs, bcs, 0); \
    }

    LOAD_TILES(0)
    for (int k0 = 0; k0 < K; k0 += TK) {
        barrier(CLK_LOCAL_MEM_FENCE);  // everyone is done reading the previous tiles
        for (int s = 0; s < LA; s++) {
            int l = tid + s * NT;
            if (aAlongK) {
                int m = l / (TK / 4), k = (l % (TK / 4)) * 4;
                As[k][m] = ra[s].s0; As[k + 1][m] = ra[s].s1; As[k + 2][m] = ra[s].s2; As[k + 3][m] = ra[s].s3;
            } else {
                vstore4(ra[s], 0, &As[l / (TM / 4)][(l % (TM / 4)) * 4]);
            }
        }
        for (int s = 0; s < LB; s++) {
            int l = tid + s * NT;
            if (bAlongN) {
                vstore4(rb[s], 0, &Bs[l / (TN / 4)][(l % (TN / 4)) * 4]);
            } else {
                int k = (l % (TK / 4)) * 4, n = l / (TK / 4);
                Bs[k][n] = rb[s].s0; Bs[k + 1][n] = rb[s].s1; Bs[k + 2][n] = rb[s].s2; Bs[k + 3][n] = rb[s].s3;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (k0 + TK < K) { LOAD_TILES(k0 + TK) }
        #pragma unroll
        for (int k = 0; k < TK; k++) {
            T a[WM], b[WN];
            #pragma unroll
            for (int q = 0; q < WM / 4; q++) {
                V4 v = vload4(0, &As[k][q * 4 * RM + 4 * tm]);
                a[4 * q] = v.s0; a[4 * q + 1] = v.s1; a[4 * q + 2] = v.s2; a[4 * q + 3] = v.s3;
            }
            #pragma unroll
            for (int q = 0; q < WN / 4; q++) {
                V4 v = vload4(0, &Bs[k][q * 4 * RN + 4 * tn]);
                b[4 * q] = v.s0; b[4 * q + 1] = v.s1; b[4 * q + 2] = v.s2; b[4 * q + 3] = v.s3;
            }
            #pragma unroll
            for (int i = 0; i < WM; i++)
                #pragma unroll
                for (int j = 0; j < WN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
    }
#undef LOAD_TILES

    #pragma unroll
    for (int i = 0; i < WM; i++) {
        int m = (i / 4) * 4 * RM + 4 * tm + i % 4;
        if (m >= mLeft) continue;
        __global TMEM* row = Cb + (long) (m0 + m) * N + n0;
        #pragma unroll
        for (int q = 0; q < WN / 4; q++) {
            int n = q * 4 * RN + 4 * tn;
            V4 v = (V4) (acc[i][4 * q], acc[i][4 * q + 1], acc[i][4 * q + 2], acc[i][4 * q + 3]);
            if (n + 3 < nLeft) {
                TSTORE4(v, row + n);
            } else {
                if (n < nLeft) row[n] = TSTORE(v.s0);
                if (n + 1 < nLeft) row[n + 1] = TSTORE(v.s1);
                if (n + 2 < nLeft) row[n + 2] = TSTORE(v.s2);
            }
        }
    }
}
