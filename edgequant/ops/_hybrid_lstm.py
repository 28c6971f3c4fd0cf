"""Helpers for the hybrid (float activations, int8 weights) UNIDIRECTIONAL_SEQUENCE_LSTM kernel.

What LiteRT's ``lstm_eval.cc`` EvalHybrid reaches through ``tensor_utils`` on an x86 build
(google-ai-edge/LiteRT ``tflite/kernels/internal/tensor_utils.h``,
``optimized/sse_tensor_utils.{h,cc}``, ``optimized/neon_tensor_utils.cc`` via NEON_2_SSE,
``reference/portable_tensor_utils.cc``) and, for the gate nonlinearities, Eigen
(``Eigen/src/Core/functors/UnaryFunctors.h`` scalar_logistic_op<float>):

* ``eigen_logistic``: ``ApplySigmoidToVector`` = Eigen ``array().logistic()``. Values from
  the first 16-byte aligned address on go through the packet code 4 at a time (exp(x/2)^2
  with a degree-5 polynomial, no FMA: the wheel is built without EIGEN_VECTORIZE_FMA); the
  unaligned head and the last (size - head) % 4 values through the scalar code, which calls
  ``std::exp`` -- the host libm's ``expf``, called through ``edgequant.libm`` (measured on
  ai-edge-litert 2.3.0; glibc's expf is not correctly rounded, so float64 ``exp`` would
  miss about 1 value in 1600; the Python-level call is per value, but at most 6 values per
  row take that path). Which values take which path depends on where each gate's scratch
  row sits in memory, so the kernel passes each row's offset.
* ``neon_is_zero``: ``IsZeroVector`` (NeonIsZeroVector).
* ``sse_row_sums``: ``ReductionSumVector`` for int8 (SseReductionSumVector), whose 16-bit
  lanes wrap for rows longer than 2048 with large weights.
* ``Matrix.acc`` and ``scaled``: ``MatrixBatchVectorMultiplyAccumulate`` with row sums
  (SseMatrixBatchVectorMultiplyAccumulateImpl, never ruy here): exact int32 dot products
  (the -128 weight wrap of the SSE/AVX2 sign trick reproduced by ``_hybrid._sse_wrap``),
  minus zero_point * row_sum, converted to float and multiplied by the per-row float32
  product input_scale * weight_scale; the caller adds that to the gate in float32.
* ``quantize_rows``: ``BatchQuantizeFloats`` = _hybrid's Neon quantizers, per row.
"""

from __future__ import annotations

import numpy as np

from ..libm import expf as libm_expf
from ._base import OpContext
from ._hybrid import _cached, _sse_wrap, quantize_asymmetric, quantize_symmetric

F32 = np.float32

# ---------------------------------------------------------------------- Eigen logistic ------

_EXP_HI = F32(16.6355324)   # first input where the packet interpolant reaches exactly one
_EXP_LO = F32(-104.0)       # below: the packet code returns 0
_LOG2E = F32(1.44269504088896341)
_C1 = F32(-0.693359375)
_C2 = F32(2.12194440e-4)
_P2 = F32(0.49999141693115234375)
_P3 = F32(0.16666877269744873046875)
_P4 = F32(4.1898667812347412109375e-2)
_P5 = F32(8.33471305668354034423828125e-3)


def _madd(a: np.ndarray, b, c) -> np.ndarray:
    """Eigen pmadd without FMA: a * b rounded, then + c rounded."""
    return ((a * b).astype(F32) + c).astype(F32)


def _logistic_packet(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, F32)
    zero = x < _EXP_LO
    h = (np.minimum(x, _EXP_HI) * F32(0.5)).astype(F32)
    m = np.floor(_madd(h, _LOG2E, F32(0.5))).astype(F32)
    r = _madd(m, _C1, h)
    r = _madd(m, _C2, r)
    r2 = (r * r).astype(F32)
    p_even = _madd(r2, _P4, _P2)
    p_odd = _madd(r2, _P5, _P3)
    p = _madd(r, p_odd, p_even)
    p = _madd(r2, p, (r + F32(1)).astype(F32))
    # pldexp_fast: p * 2^m, m in [-76, 12] here, so 2^m is a normal float and the product exact.
    e = (p * np.exp2(m).astype(F32)).astype(F32)
    e = (e * e).astype(F32)
    with np.errstate(over="ignore", invalid="ignore"):
        out = (e / (F32(1) + e).astype(F32)).astype(F32)
    return np.where(zero, F32(0), out).astype(F32)


def _logistic_scalar(x: np.ndarray) -> np.ndarray:
    e = libm_expf(np.minimum(np.asarray(x, F32), _EXP_HI))
    with np.errstate(over="ignore", invalid="ignore"):
        return (e / (F32(1) + e).astype(F32)).astype(F32)


def eigen_logistic(v: np.ndarray, start: np.ndarray | int = 0, align: int = 4) -> np.ndarray:
    """``ApplySigmoidToVector`` on each row of ``v`` (one row = one call, i.e. one Eigen
    expression over a contiguous vector). Eigen's linear vectorized loop runs the scalar code
    up to the first ``align``-float (16-byte) aligned element of the destination, packets of
    4 from there, and the scalar code again for the last few values; ``start`` is each row's
    offset in floats from an aligned address (LiteRT's arena aligns every buffer to 64
    bytes, so it is the row's offset inside the scratch buffer)."""
    v = np.asarray(v, F32)
    n = v.shape[-1]
    rows = v.reshape(-1, n)
    head = np.minimum((-np.broadcast_to(np.asarray(start), (rows.shape[0],))) % align, n)
    end = head + (n - head) // align * align
    col = np.arange(n)
    scalar = (col < head[:, None]) | (col >= end[:, None])
    out = _logistic_packet(rows)
    if scalar.any():
        out[scalar] = _logistic_scalar(rows[scalar])
    return out.reshape(v.shape)


# ------------------------------------------------------------------------ tensor_utils -------

def neon_is_zero(v: np.ndarray) -> np.ndarray:
    """``IsZeroVector`` on each row of ``v`` -> bool per row. The first ``size & ~3`` values
    are tested with |v| > 0 (a NaN there counts as zero), the rest with v != 0."""
    v = np.asarray(v, F32)
    head = v.shape[-1] & ~3
    with np.errstate(invalid="ignore"):
        nz = np.any(np.abs(v[..., :head]) > 0, axis=-1) | np.any(v[..., head:] != 0, axis=-1)
    return ~nz


def sse_row_sums(w8: np.ndarray) -> np.ndarray:
    """SseReductionSumVector: per row, pairs of the first ``k & ~15`` values summed into eight
    int16 lanes (which wrap), plus the next 8 values (if ``k & ~7`` reaches them) into the
    same lanes, then the lanes summed in int32, then the remaining values one by one."""
    w = np.asarray(w8, np.int64)
    rows, k = w.shape
    k16 = k & ~15
    lanes = w[:, :k16].reshape(rows, -1, 8, 2).sum(axis=(1, 3))
    k8 = k16
    if k16 < (k & ~7):
        lanes = lanes + w[:, k16:k16 + 8]
        k8 = k16 + 8
    lanes = ((lanes + 32768) % 65536) - 32768
    return (lanes.sum(axis=1) + w[:, k8:].sum(axis=1)).astype(np.int64)


def quantize_rows(rows: np.ndarray, asymmetric: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BatchQuantizeFloats: (q int32, scale float32, zero point int32) per row."""
    if asymmetric:
        return quantize_asymmetric(rows)
    q, s = quantize_symmetric(rows)
    return q, s, np.zeros(rows.shape[0], np.int32)


class Matrix:
    """One int8 weight matrix [rows, cols] as the hybrid matmul uses it: transposed float64
    copy for exact BLAS products, row sums, and where the SSE -128 wrap can bite."""

    def __init__(self, ctx: OpContext, key: str, w: np.ndarray):
        # The kernels read the buffer as int8 (GetTensorData<int8_t>): a uint8 matrix is
        # reinterpreted byte for byte. ``w`` (the constant itself) keys the caches.
        w8 = w.view(np.int8) if w.dtype == np.uint8 else w
        self.ctx, self.key, self.w, self.w8 = ctx, key, w, w8
        self.wt = _cached(ctx, key + "/wt", w,
                          lambda: np.ascontiguousarray(w8.astype(np.float64).T))
        self.row_sums = _cached(ctx, key + "/rs", w,
                                lambda: sse_row_sums(w8).astype(np.float64))

    def acc(self, q: np.ndarray, zp: np.ndarray | None) -> np.ndarray:
        """int32 accumulators [n, rows] of the quantized rows ``q`` [n, cols]: the dot
        products, minus zp * row_sum when ``zp`` (asymmetric inputs) is given."""
        acc = q.astype(np.float64) @ self.wt
        wrap = _sse_wrap(self.ctx, self.key + "/wrap", self.w, self.w8, q)
        if wrap is not None:
            acc = acc - wrap
        if zp is not None:
            acc = acc - zp.astype(np.float64)[:, None] * self.row_sums
        return acc


def scaled(acc: np.ndarray, row_scale: np.ndarray) -> np.ndarray:
    """float(int32 acc) * row_scale in float32 (the term each accumulate adds)."""
    return (acc.astype(F32) * np.asarray(row_scale, F32)[:, None]).astype(F32)
