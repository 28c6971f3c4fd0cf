"""Dynamic-range ("hybrid") kernels: float activations, int8 constant weights, float output.

Each function has a kernel's signature and is what an op module's ``run_hybrid`` calls. They
reproduce LiteRT 2.3's builtin hybrid kernels bit for bit (sources: google-ai-edge/LiteRT,
``tflite/kernels/...``):

* FULLY_CONNECTED: ``fully_connected.cc`` EvalHybridDense with
  ``internal/optimized/sse_tensor_utils.cc`` / ``reference/portable_tensor_utils.cc``
  (SymmetricQuantizeFloats, AsymmetricQuantizeFloats, MatrixBatchVectorMultiplyAccumulate).
* CONV_2D: ``conv.cc`` EvalHybrid (per-tensor weights -> ``optimized_ops::HybridConv``) and
  EvalHybridPerChannel (``reference_ops::HybridConvPerChannel`` in ``reference/conv.h``,
  ``optimized_ops::HybridConvPerChannel`` in ``optimized/optimized_ops.h``).
* DEPTHWISE_CONV_2D: ``depthwise_conv.cc`` EvalHybridPerChannel
  (``reference/integer_ops/depthwise_conv.h``, ``optimized/integer_ops/depthwise_conv_hybrid.h``).
* BATCH_MATMUL: ``batch_matmul.cc`` EvalHybrid + ``reference/batch_matmul.h``.
* EMBEDDING_LOOKUP: ``embedding_lookup.cc`` EvalHybrid.
* TRANSPOSE_CONV: ``transpose_conv.cc`` EvalHybrid + ``reference/transpose_conv.h``
  HybridTransposeConv.

What they share: the float input is quantized to int8 at run time (per row for FC / BMM, per
batch element for the convolutions) by tensor_utils' Symmetric/AsymmetricQuantizeFloats. On
x86 those are the *Neon* versions (``optimized/neon_tensor_utils.cc``) compiled through the
NEON_2_SSE header (``optimized/neon_check.h`` defines USE_NEON whenever SSE4.1 is on); they
round and compute the scale differently from the portable ones. The int8 products are
summed exactly (here in float64 BLAS: |products| < 2^15, sums far below 2^53), corrected
for the input zero point, converted to float32 and scaled. Bit-exactness depends on doing
every float32 operation of the scaling in LiteRT's order, which differs between kernels (and
between the reference and optimized builds of one kernel): see each function. Two LiteRT
bugs are reproduced on purpose: the x86 int8 dot product's -128 wrap (``_sse_wrap``) and the
hybrid BATCH_MATMUL's scale indexing for LHS with several batch axes.

The dispatch profile is ``ctx.runner.profile``:

* ``'reference'`` (default): LiteRT with ``OpResolverType.BUILTIN_REF``.
* ``'optimized'``: ``BUILTIN_WITHOUT_DEFAULT_DELEGATES`` (the optimized builtin kernels). They
  differ from the reference ones only in the order of two float multiplies for per-channel
  CONV_2D and DEPTHWISE_CONV_2D.
* ``'xnnpack'``: the default ``OpResolverType.AUTO``, where the XNNPACK delegate takes
  FULLY_CONNECTED, CONV_2D, BATCH_MATMUL and TRANSPOSE_CONV with int8 weights and runs its own
  "qd8" dynamic quantization (``tflite/delegates/xnnpack/xnnpack_delegate.cc``;
  google/XNNPACK ``src/xnnpack/quantization.h`` xnn_qd8_asymmetric_quantization_params,
  ``src/operator-run.c`` xnn_compute_f32_qx8_convert, ``src/f32-qs8-vcvt``,
  ``src/qd8-f32-qc8w-gemm``): asymmetric per row (FC, BMM, and a 1x1 stride-1 CONV_2D, which
  XNNPACK runs as a fully connected op) or per batch element (other CONV_2D, TRANSPOSE_CONV)
  whatever ``asymmetric_quantize_inputs`` says, parameters computed in float32, ties to
  even, and the output stage fma(float(acc) * input_scale, weight_scale, bias).
  Ops XNNPACK does not take (DEPTHWISE_CONV_2D with int8 weights, EMBEDDING_LOOKUP, FC or conv
  with a TANH / SIGN_BIT fused activation) fall back to the optimized builtin kernels, as in
  LiteRT.
"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._conv import out_size_and_pad, patches
from ._nn import clamp_activation, fc_output_shape, window

F32 = np.float32

# Fused activations XNNPACK accepts (ConvertActivationToOutputRange); with any other the
# delegate leaves the op to the builtin kernel.
_XNN_RANGES = {"NONE": (-np.inf, np.inf), "RELU": (0.0, np.inf), "RELU_N1_TO_1": (-1.0, 1.0),
               "RELU6": (0.0, 6.0), 0: (-np.inf, np.inf), 1: (0.0, np.inf), 2: (-1.0, 1.0),
               3: (0.0, 6.0)}


# ------------------------------------------------------------------------------ profile ------

def _variant(ctx: OpContext) -> str:
    """'reference', 'optimized' or 'xnnpack' (see the module docstring)."""
    p = getattr(ctx.runner, "profile", "reference")
    if p == "xnnpack":
        return "xnnpack"
    if p in ("optimized", "builtin", "builtin_optimized"):
        return "optimized"
    return "reference"


# --------------------------------------------------------------- run-time quantization -------

def _round_away(x: np.ndarray) -> np.ndarray:
    """TfLiteRound / std::round on float32 values: ties away from zero, exact (floor of
    |x| + 0.5 in float64 cannot round for a float32 x)."""
    x64 = x.astype(np.float64)
    return np.copysign(np.floor(np.abs(x64) + 0.5), x64)


def _neon_round(y: np.ndarray) -> np.ndarray:
    """How the quantizers round y = x * inv_scale on x86. LiteRT's x86 build defines USE_NEON
    through the NEON_2_SSE header (``optimized/neon_check.h``), so tensor_utils'
    quantizers are the Neon ones (``optimized/neon_tensor_utils.cc``). They process the
    first size & ~7 values of a row with RoundToNearest, which on a non-ARMv8 target is
    trunc(y + (y < 0 ? -0.5f : 0.5f)) with the add in float32 (so e.g. 0.49999997 -> 1), and
    the remaining size % 8 values with TfLiteRound (ties away, exact)."""
    y = np.asarray(y, dtype=F32)
    out = _round_away(y)
    nv = y.shape[-1] & ~7
    if nv:
        head = y[..., :nv]
        half = np.where(head < 0, F32(-0.5), F32(0.5))
        out[..., :nv] = np.trunc((head + half).astype(F32))
    return out


def quantize_symmetric(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NeonSymmetricQuantizeFloats on each row of a float32 [n, k] array -> (q as int32
    [n, k], scale float32 [n]). range = max(|min|, |max|); scale = range / 127 and
    q = round(x * (127 / range)) (see _neon_round), all in float32, clamped to +-127; an
    all-zero row gets scale 1 and q = 0."""
    rows = np.asarray(rows, dtype=F32)
    n, k = rows.shape
    if k == 0:
        return np.zeros((n, 0), np.int32), np.ones(n, F32)
    rng = np.maximum(np.abs(rows.min(axis=1)), np.abs(rows.max(axis=1)))
    zero = rng == 0
    safe = np.where(zero, F32(1), rng)
    scale = np.where(zero, F32(1), safe / F32(127)).astype(F32)
    inv = (F32(127) / safe).astype(F32)
    q = _neon_round((rows * inv[:, None]).astype(F32))
    q = np.clip(q, -127, 127).astype(np.int32)
    q[zero] = 0
    return q, scale


def quantize_asymmetric(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NeonAsymmetricQuantizeFloats on each row -> (q int32 [n, k], scale float32 [n], zero
    point int32 [n]).

    rmin = min(0, min x) and rmax = max(0, max x) are float32 and so is rmax - rmin (the
    portable kernel subtracts in double: a different scale in the last bit); scale =
    (rmax - rmin) / 255 in double; the zero point comes from whichever end has the smaller
    error (ties: the max end), rounded half away and clamped. The stored scale is float32,
    inv = (float)(1.0 / scale) in double, and q = round(x * inv) + zp (integer add, see
    _neon_round), clamped to [-128, 127]. A row with rmin == rmax gets scale 1, zp 0,
    q = 0."""
    rows = np.asarray(rows, dtype=F32)
    n, k = rows.shape
    if k == 0:
        return np.zeros((n, 0), np.int32), np.ones(n, F32), np.zeros(n, np.int32)
    rmin32 = np.minimum(F32(0), rows.min(axis=1)).astype(F32)
    rmax32 = np.maximum(F32(0), rows.max(axis=1)).astype(F32)
    flat = rmin32 == rmax32
    rmin, rmax = rmin32.astype(np.float64), rmax32.astype(np.float64)
    width = (rmax32 - rmin32).astype(F32).astype(np.float64)
    scale_d = np.where(flat, 1.0, width / 255.0)
    zp_min = -128.0 - rmin / scale_d
    zp_max = 127.0 - rmax / scale_d
    err_min = 128.0 + np.abs(rmin / scale_d)
    err_max = 127.0 + np.abs(rmax / scale_d)
    zp_d = np.where(err_min < err_max, zp_min, zp_max)
    zp = np.where(zp_d <= -128.0, -128.0,
                  np.where(zp_d >= 127.0, 127.0,
                           np.copysign(np.floor(np.abs(zp_d) + 0.5), zp_d)))
    zp = np.where(flat, 0, zp).astype(np.int32)
    scale = np.where(flat, F32(1), scale_d.astype(F32)).astype(F32)
    inv = (1.0 / scale.astype(np.float64)).astype(F32)
    q = _neon_round((rows * inv[:, None]).astype(F32)) + zp[:, None]
    q = np.clip(q, -128, 127).astype(np.int32)
    q[flat] = 0
    return q, scale, zp


def quantize_qd8(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """XNNPACK's dynamic int8 quantization of each row -> (q, scale, zero point).

    xnn_qd8_asymmetric_quantization_params, all float32: rmin = min(0, min x),
    rmax = max(0, max x); m = 255 / (rmax - rmin) (1 for a flat row); the zero point is
    -128 - rmin*m if (-128 + rmin*m) + (127 + rmax*m) > 0 else 127 - rmax*m, clamped and
    rounded to nearest even (lrintf). The stored scale is 1 / m; values are quantized as
    lrintf(x * m) + zp, clamped (f32-qs8-vcvt)."""
    rows = np.asarray(rows, dtype=F32)
    n, k = rows.shape
    if k == 0:
        return np.zeros((n, 0), np.int32), np.ones(n, F32), np.zeros(n, np.int32)
    rmin = np.minimum(F32(0), rows.min(axis=1)).astype(F32)
    rmax = np.maximum(F32(0), rows.max(axis=1)).astype(F32)
    flat = rmin == rmax
    width = np.where(flat, F32(1), rmax - rmin).astype(F32)
    m = np.where(flat, F32(1), F32(255) / width).astype(F32)
    dmin = (rmin * m).astype(F32)
    dmax = (rmax * m).astype(F32)
    e_min = (F32(-128) + dmin).astype(F32)
    e_max = (F32(127) + dmax).astype(F32)
    zp_f = np.where((e_min + e_max).astype(F32) > 0, F32(-128) - dmin, F32(127) - dmax)
    zp_f = np.clip(zp_f.astype(F32), F32(-128), F32(127))
    zp = np.rint(zp_f).astype(np.int32)
    scale = (F32(1) / m).astype(F32)
    y = (rows * m[:, None]).astype(F32)
    lo = (-128 - zp).astype(F32)[:, None]
    hi = (127 - zp).astype(F32)[:, None]
    q = (np.rint(np.clip(y, lo, hi)) + zp[:, None]).astype(np.int32)
    return q, scale, zp


# ------------------------------------------------------------------------ helpers ------------

def _int8_weights(w: np.ndarray) -> np.ndarray:
    """The kernels read the filter buffer as int8 (GetTensorData<int8_t>), so a uint8 filter
    is reinterpreted byte for byte, not offset by 128."""
    w = np.asarray(w)
    return w.view(np.int8) if w.dtype == np.uint8 else w


def _scales(ctx: OpContext, index: int, channels: int) -> tuple[np.ndarray, bool]:
    """(float32 scale per output channel, whether the tensor has more than one scale)."""
    t = ctx.op.inputs[index]
    q = None if t is None else t.quantization
    if q is None or q.scale is None or q.scale.size == 0:
        raise ValueError(f"{ctx.op.type}: the int8 weights have no quantization scale")
    s = np.asarray(q.scale, dtype=F32).ravel()
    if s.size == 1:
        return np.full(channels, s[0], F32), False
    if s.size != channels:
        raise ValueError(f"{ctx.op.type}: {s.size} weight scales for {channels} output "
                         "channels")
    return s, True


def _cached(ctx: OpContext, key: str, w: np.ndarray, make) -> np.ndarray:
    """A value derived from the constant ``w`` (a reshaped float64 matrix, ...), computed once
    per plan."""
    hit = ctx.state.get(key)
    if hit is None or hit[0] is not w:
        hit = (w, make())
        ctx.state[key] = hit
    return hit[1]


def _to_f32(acc: np.ndarray) -> np.ndarray:
    """int32 accumulator -> float (static_cast<float>): round to nearest even. ``acc`` holds
    exact integers in float64 or int64; one cast rounds correctly."""
    return acc.astype(F32)


def fma_f32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float32 fused multiply-add, correctly rounded. a*b is exact in float64 (24 + 24
    significant bits); the float64 sum's rounding error is recovered exactly (TwoSum) and
    breaks the one case where rounding to float64 and then to float32 differs from rounding
    once: a float64 sum exactly halfway between two float32 values."""
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c64 = np.asarray(c, np.float64)
    s = p + c64
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)
    r = s.astype(F32)
    mid = r.astype(np.float64)
    up = np.nextafter(r, F32(np.inf)).astype(np.float64)
    down = np.nextafter(r, F32(-np.inf)).astype(np.float64)
    half = ((s == (mid + up) / 2) | (s == (mid + down) / 2)) & (err != 0)
    if np.any(half):
        r = np.array(r, copy=True)
        r[half] = np.nextafter(s[half], s[half] + err[half]).astype(F32)
    return r


def _xnn_output(acc: np.ndarray, in_scale: np.ndarray, w_scale: np.ndarray,
                bias: np.ndarray | None, act) -> np.ndarray:
    """XNNPACK qd8-f32-qc8w GEMM output stage (x86 AVX2/AVX-512 kernels):
    fma(float(acc) * input_scale, weight_scale, bias), then max(min), min(max).
    ``acc`` [..., C] exact integers, ``in_scale`` broadcastable to it."""
    t = (_to_f32(acc) * in_scale).astype(F32)
    c = np.zeros(w_scale.shape, F32) if bias is None else np.asarray(bias, F32)
    out = fma_f32(t, w_scale, np.broadcast_to(c, t.shape))
    lo, hi = _XNN_RANGES[act]
    out = np.maximum(out, F32(lo))
    return np.minimum(out, F32(hi)).astype(F32)


# Eigen's float tanh (Eigen/src/Core/arch/Default/GenericPacketMathFunctions.h ptanh_float,
# EIGEN_FAST_MATH branch): an odd [9/8] rational in x on [-c, c], c the smallest input where it
# reaches 1. The wheel is built without EIGEN_VECTORIZE_FMA (measured: this non-FMA variant,
# with its clamp, matches LiteRT's tanh bit for bit; the FMA variant does not).
_TANH_CLAMP = F32(7.90738964080810547)
_TANH_P = [F32(v) for v in (1.394553628e-8, 2.102733560e-5, 3.520756727e-3, 1.340216100e-1)]
_TANH_Q = [F32(v) for v in (8.015776984e-7, 3.326951409e-4, 2.597254514e-2, 4.673548340e-1,
                            1.0)]


def eigen_tanh(x: np.ndarray) -> np.ndarray:
    """tanh as LiteRT's optimized kernels compute it (Eigen ``array().tanh()``), float32 op by
    op: p and q by Horner in x^2 (multiply, then add), tanh = (x^3 * p + x) / q."""
    x = np.clip(np.asarray(x, F32), -_TANH_CLAMP, _TANH_CLAMP).astype(F32)
    x2 = (x * x).astype(F32)
    x3 = (x2 * x).astype(F32)
    p = np.full_like(x, _TANH_P[0])
    for c in _TANH_P[1:]:
        p = ((p * x2).astype(F32) + c).astype(F32)
    q = np.full_like(x, _TANH_Q[0])
    for c in _TANH_Q[1:]:
        q = ((q * x2).astype(F32) + c).astype(F32)
    p = ((x3 * p).astype(F32) + x).astype(F32)
    return (p / q).astype(F32)


def _fc_activation(x: np.ndarray, act) -> np.ndarray:
    """tensor_utils::ApplyActivationToVector, what the FC hybrid kernel applies (unlike the
    convolutions it does not turn the activation into a clamp: NONE leaves inf alone, TANH
    and SIGN_BIT are applied)."""
    if act in ("NONE", 0):
        return x
    if act in ("RELU", 1):
        return np.maximum(F32(0), x).astype(F32)
    if act in ("RELU_N1_TO_1", 2):
        return np.maximum(F32(-1), np.minimum(x, F32(1))).astype(F32)
    if act in ("RELU6", 3):
        return np.maximum(F32(0), np.minimum(x, F32(6))).astype(F32)
    if act in ("TANH", 4):
        return eigen_tanh(x)
    if act in ("SIGN_BIT", 5):
        return np.signbit(x).astype(F32)
    raise ValueError(f"unknown fused activation {act!r}")


def _gemm(ctx: OpContext, key: str, owner: np.ndarray, w2, lhs: np.ndarray) -> np.ndarray:
    """lhs [n, k] (exact small integers) @ W.T with W = w2() an int8 [c, k] matrix derived from
    the constant ``owner`` (cached per plan) -> exact integers in float64: every partial sum
    is an integer below 2^53, so BLAS's summation order does not matter."""
    wt = _cached(ctx, key, owner,
                 lambda: np.ascontiguousarray(np.asarray(w2(), np.float64).T))
    return lhs.astype(np.float64) @ wt


def _sse_wrap(ctx: OpContext, key: str, owner: np.ndarray, w2: np.ndarray,
              q: np.ndarray) -> np.ndarray | None:
    """What LiteRT's x86 int8 dot product (sse_tensor_utils.cc DotProdInt8x4x4 / x4x8, used by
    the FC hybrid kernel and by per-tensor CONV_2D when the filter count is not a multiple of
    4) gets wrong: it multiplies |q| by sign(q) * w with _mm_sign_epi8, and -(-128) wraps to
    -128, so a weight of -128 (never produced by narrow-range quantizers; any byte >= 128 of a
    uint8 filter) times a negative input adds -128|q| instead of +128|q|. Only the first
    K & ~15 columns go through that path (the rest is exact). Returns the amount to subtract
    from the exact accumulator [n, c], or None when the weights hold no -128."""
    def make():
        k16 = w2.shape[1] & ~15
        m = np.zeros(w2.shape, np.float64)
        m[:, :k16] = w2[:, :k16] == -128
        return m.T.copy() if m.any() else None
    mt = _cached(ctx, key, owner, make)
    if mt is None:
        return None
    return 256.0 * (np.maximum(-q, 0).astype(np.float64) @ mt)


# ------------------------------------------------------------------- FULLY_CONNECTED ---------

def fully_connected(ctx: OpContext, x: np.ndarray, w: np.ndarray,
                    bias: np.ndarray | None = None) -> np.ndarray:
    """EvalHybridDense. The input is flattened to rows of ``depth`` values and each row is
    quantized on its own (asymmetric when ``asymmetric_quantize_inputs``). Then, in float32:
    scale = row_scale * weight_scale[c] (for per-tensor weights the row scale is multiplied by
    the weight scale first: the same product); out = bias + float(acc) * scale; then the fused
    activation. An input that is zero everywhere skips the product (output = bias)."""
    o = ctx.options
    act = o.get("fused_activation_function", "NONE")
    w8 = _int8_weights(w)
    if w8.ndim != 2:
        raise ValueError(f"hybrid FULLY_CONNECTED needs 2-D [units, depth] weights, got "
                         f"{list(w8.shape)}")
    units, depth = w8.shape
    x = np.asarray(x, dtype=F32)
    shape = fc_output_shape(x, units, depth, o.get("keep_num_dims", False))
    rows = x.reshape(-1, depth)
    scales, _ = _scales(ctx, 1, units)
    b = None if bias is None else np.asarray(bias, F32)

    # XNNPACK takes int8 (not uint8) weights with a clamping activation.
    if _variant(ctx) == "xnnpack" and act in _XNN_RANGES and np.asarray(w).dtype == np.int8:
        q, s, zp = quantize_qd8(rows)
        acc = _gemm(ctx, "fc_wt", w, lambda: w8, q - zp[:, None])
        return _xnn_output(acc, s[:, None], scales, b, act).reshape(shape)

    out = np.zeros((rows.shape[0], units), F32) if b is None else \
        np.broadcast_to(b, (rows.shape[0], units)).astype(F32)
    if np.any(rows):
        if o.get("asymmetric_quantize_inputs", False):
            q, s, zp = quantize_asymmetric(rows)
            lhs = q - zp[:, None]
        else:
            q, s = quantize_symmetric(rows)
            lhs = q
        scale = (s[:, None] * scales[None, :]).astype(F32)
        acc = _gemm(ctx, "fc_wt", w, lambda: w8, lhs)
        wrap = _sse_wrap(ctx, "fc_wrap", w, w8, q)
        if wrap is not None:
            acc = acc - wrap
        out = (out + (_to_f32(acc) * scale).astype(F32)).astype(F32)
    return _fc_activation(out, act).reshape(shape)


# ------------------------------------------------------------------------ CONV_2D -----------

def conv_2d(ctx: OpContext, x: np.ndarray, w: np.ndarray,
            bias: np.ndarray | None = None) -> np.ndarray:
    """conv.cc hybrid paths. Each batch element (all of H*W*C) is quantized as one row.

    * Per-tensor weights (one scale, or several that are all equal -- conv.cc only takes the
      per-channel path when two scales differ), groups == 1: EvalHybrid, symmetric input;
      factor = (range / 127) * weight_scale in float32; out = float(acc) * factor + bias.
    * Otherwise EvalHybridPerChannel, asymmetric input (padding taps count as the zero
      point, i.e. as real zero). Reference kernel (BUILTIN_REF, and every build for grouped
      conv): out = float(acc) * weight_scale[c] * input_scale + bias, left to right.
      Optimized kernel: out = float(acc) * (weight_scale[c] * input_scale) + bias.
    The fused activation is a clamp (CalculateActivationRange)."""
    o = ctx.options
    act = o["fused_activation_function"]
    w8 = _int8_weights(w)
    cout, kh, kw, cin_f = w8.shape
    x = np.asarray(x, dtype=F32)
    n, _, _, cin = x.shape
    if cin_f == 0 or cin % cin_f:
        raise ValueError(f"input has {cin} channels, filter expects a multiple of {cin_f}")
    groups = cin // cin_f
    if cout % groups:
        raise ValueError(f"{cout} filters do not split into {groups} groups")
    scales, several = _scales(ctx, 1, cout)
    per_channel = (several and bool(np.any(scales != scales[0]))) or groups != 1
    variant = _variant(ctx)
    # XNNPACK takes CONV_2D only with int8 weights, a bias and a clamping activation.
    xnn = (variant == "xnnpack" and act in _XNN_RANGES and bias is not None
           and np.asarray(w).dtype == np.int8)
    rows = x.reshape(n, -1)
    # XNNPACK turns a 1x1, stride-1, ungrouped convolution into a fully connected op and
    # then quantizes per pixel, not per image (src/subgraph/convolution-2d.c).
    as_fc = (xnn and groups == 1 and kh == kw == 1 and o["stride_h"] == o["stride_w"] == 1
             and cin_f + cout > 2)
    if as_fc:
        rows = x.reshape(-1, cin)
    if xnn or per_channel:
        q, s, zp = (quantize_qd8 if xnn else quantize_asymmetric)(rows)
        t = (q - zp[:, None]).reshape(x.shape)
    else:
        q, s = quantize_symmetric(rows)
        t = q.reshape(x.shape)
    cols, oh, ow = patches(t.astype(np.float64), kh, kw, o["stride_h"], o["stride_w"],
                           o["dilation_h_factor"], o["dilation_w_factor"], o["padding"])
    cols = cols.reshape(n * oh * ow, kh * kw, groups, cin_f)
    per = cout // groups
    acc = np.empty((n * oh * ow, cout), np.float64)
    for g in range(groups):
        acc[:, g * per:(g + 1) * per] = _gemm(
            ctx, f"conv_wt{g}", w, lambda g=g: w8[g * per:(g + 1) * per].reshape(per, -1),
            cols[:, :, g, :].reshape(n * oh * ow, -1))
    acc = acc.reshape(n, oh * ow, cout)
    b = None if bias is None else np.asarray(bias, F32)
    if xnn:
        sb = s.reshape(n, oh * ow, 1) if as_fc else s[:, None, None]
        out = _xnn_output(acc, sb, scales, b, act)
        return out.reshape(n, oh, ow, cout)
    if not per_channel and cout % 4:
        # HybridConv: with a filter count that is a multiple of 4 the int8 GEMM runs in ruy
        # (exact; on x86 hosts with AVX, where CpuBackendContext prefers ruy), otherwise in
        # the SSE routine with the -128 wrap described in _sse_wrap (q == t here).
        wrap = _sse_wrap(ctx, "conv_wrap", w, w8.reshape(cout, -1),
                         cols.reshape(n * oh * ow, -1))
        if wrap is not None:
            acc = acc - wrap.reshape(acc.shape)
    accf = _to_f32(acc)
    if not per_channel:
        factor = (s * scales[0]).astype(F32)
        out = (accf * factor[:, None, None]).astype(F32)
    elif variant == "reference" or groups != 1:
        out = ((accf * scales).astype(F32) * s[:, None, None]).astype(F32)
    else:
        out = (accf * (scales[None, None, :] * s[:, None, None]).astype(F32)).astype(F32)
    if b is not None:
        out = (out + b).astype(F32)
    return clamp_activation(out.reshape(n, oh, ow, cout), act)


# ---------------------------------------------------------------- DEPTHWISE_CONV_2D ---------

def depthwise_conv_2d(ctx: OpContext, x: np.ndarray, w: np.ndarray,
                      bias: np.ndarray | None = None) -> np.ndarray:
    """depthwise_conv.cc EvalHybridPerChannel (the only hybrid depthwise kernel; XNNPACK does
    not take it). Asymmetric quantization of each batch element; integer taps; then
    reference: out = float(acc) * (weight_scale[c] * input_scale) + bias;
    optimized (also under XNNPACK): out = float(acc) * weight_scale[c] * input_scale + bias
    for the first cout & ~3 channels and float(acc) * input_scale * weight_scale[c] + bias
    for the rest (left to right).
    The kernel reads ``depth_multiplier`` from the options (not from the shapes): a value
    that disagrees with filter channels / input channels leaves LiteRT's output partly
    unwritten, so it is refused here."""
    o = ctx.options
    w8 = _int8_weights(w)
    x = np.asarray(x, dtype=F32)
    if x.ndim != 4 or w8.ndim != 4 or w8.shape[0] != 1:
        raise ValueError(f"expected a 4-D input and a [1, KH, KW, C] filter, got "
                         f"{list(x.shape)} and {list(w8.shape)}")
    _, kh, kw, cout = w8.shape
    n, _, _, cin = x.shape
    if cin == 0 or cout % cin:
        raise ValueError(f"filter has {cout} channels, not a multiple of the input's {cin}")
    mult = cout // cin
    dm = o.get("depth_multiplier", mult)
    if dm not in (mult, 0):
        raise ValueError(f"depth_multiplier option {dm} disagrees with the shapes "
                         f"({cout} filter channels / {cin} input channels = {mult}); the "
                         "LiteRT hybrid kernel trusts the option and leaves outputs unwritten")
    scales, _ = _scales(ctx, 1, cout)
    q, s, zp = quantize_asymmetric(x.reshape(n, -1))
    t = (q - zp[:, None]).reshape(x.shape)
    wr = _cached(ctx, "dw_w", w8, lambda: w8.reshape(kh, kw, cin, mult).astype(np.int32))
    tap, oh, ow = window(t, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h_factor"],
                         o["dilation_w_factor"], o["padding"])
    acc = np.zeros((n, oh, ow, cin, mult), np.int32)
    for i in range(kh):
        for j in range(kw):
            acc += tap(i, j)[..., None] * wr[i, j]
    accf = _to_f32(acc.reshape(n, oh, ow, cout))
    sb = s[:, None, None, None]
    if _variant(ctx) == "reference":
        out = (accf * (scales * sb).astype(F32)).astype(F32)
    else:
        # The optimized kernel's store loop: channels in groups of 4 through the Neon code
        # (NEON_2_SSE on x86) multiply by the channel scale first, the last cout % 4
        # channels by the input scale first.
        nv = cout & ~3
        out = np.empty_like(accf)
        out[..., :nv] = ((accf[..., :nv] * scales[:nv]).astype(F32) * sb).astype(F32)
        out[..., nv:] = ((accf[..., nv:] * sb).astype(F32) * scales[nv:]).astype(F32)
    if bias is not None:
        out = (out + np.asarray(bias, F32)).astype(F32)
    return clamp_activation(out, o["fused_activation_function"])


# -------------------------------------------------------------------- BATCH_MATMUL ----------

def _extend5(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (5 - len(shape)) + tuple(shape)


def batch_matmul(ctx: OpContext, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """batch_matmul.cc EvalHybrid + reference_ops::BatchMatMul (the hybrid overload; there is
    no optimized one). LiteRT's hybrid path needs a float LHS and an int8 RHS (the weights).

    Every row of the LHS (after adj_x) is quantized on its own. Per unit i and row j, in
    reference_ops order: total = int32 sum; total -= row_sum[i] * (float)offset[j] -- the
    subtraction runs in float32 and is truncated back to int32; out = 0 + scale * total with
    scale = row_scale[j] * weight_scale[i] (float32). No bias, no activation.

    Reproduced quirk: the scaling-factor / offset pointer advances by M rows for every
    non-broadcast batch axis *separately* (index (b0 + b1 + b2) * M + j instead of the
    flattened batch index), so an LHS with two or more batch axes > 1 uses other rows'
    scales; so do the weights' row sums with two or more batch axes. The weights' row sums
    for the outermost axis of a rank-5 RHS are never computed by LiteRT (garbage there)."""
    o = ctx.options
    if np.asarray(x).dtype != np.float32 or np.asarray(y).dtype not in (np.int8, np.uint8):
        raise TypeError(f"hybrid BATCH_MATMUL needs a float32 LHS and int8 RHS weights (the "
                        f"only hybrid form LiteRT has), got {np.asarray(x).dtype} and "
                        f"{np.asarray(y).dtype}")
    lhs = np.asarray(x, dtype=F32)
    if lhs.ndim < 2 or np.asarray(y).ndim < 2:
        raise ValueError("BATCH_MATMUL inputs must have rank >= 2")
    rhs = _int8_weights(y)
    adj_x, adj_y = bool(o.get("adj_x", False)), bool(o.get("adj_y", False))
    lm = np.swapaxes(lhs, -1, -2) if adj_x else lhs          # [..., M, K]
    wm = rhs if adj_y else np.swapaxes(rhs, -1, -2)          # [..., N, K]
    m_rows, k = lm.shape[-2:]
    units = wm.shape[-2]
    if wm.shape[-1] != k:
        raise ValueError(f"contraction sizes differ: lhs {list(lhs.shape)}, rhs "
                         f"{list(rhs.shape)} (adj_x={adj_x}, adj_y={adj_y})")
    out_shape = (*np.broadcast_shapes(lhs.shape[:-2], rhs.shape[:-2]), m_rows, units)

    # Eval's shape compression ([.., Q, R, S] x [.., 1, X, Y] -> [.., Q*R, S] x [.., X, Y]
    # when !adj_x): same data, fewer batch axes, which changes where the quirk above bites.
    lshape, wshape = tuple(lm.shape), tuple(wm.shape)
    if not adj_x and lhs.ndim > 2 and rhs.ndim > 2 and rhs.shape[-3] == 1:
        lshape = (*lshape[:-3], lshape[-3] * lshape[-2], lshape[-1])
        wshape = (*wshape[:-3], *wshape[-2:])
    l5, w5 = _extend5(lshape), _extend5(wshape)
    lmats = np.ascontiguousarray(lm).reshape(*l5[:3], lshape[-2], k)
    m_rows = lshape[-2]
    rows = lmats.reshape(-1, k)

    variant = _variant(ctx)
    scales, several = _scales(ctx, 1, units)
    wflat = np.ascontiguousarray(wm).reshape(-1, units, k)
    # XNNPACK needs per-channel scales along the output-unit axis of the RHS.
    qdim = ctx.op.inputs[1].quantization.quantized_dimension
    if variant == "xnnpack" and np.asarray(y).dtype == np.int8 and (
            not several or qdim == rhs.ndim - (2 if adj_y else 1)):
        q, s, zp = quantize_qd8(rows)
        lhs_q = (q - zp[:, None]).reshape(*l5[:3], m_rows, k).astype(np.float64)
        wb = wflat.reshape(*w5[:3], units, k).astype(np.float64)
        acc = lhs_q @ np.swapaxes(wb, -1, -2)                       # [b0, b1, b2, M, N]
        sb = s.reshape(*l5[:3], m_rows)[..., None]
        out = _xnn_output(acc, sb, scales, None, "NONE")
        return out.reshape(out_shape)

    if o.get("asymmetric_quantize_inputs", False):
        q, s, zp = quantize_asymmetric(rows)
    else:
        q, s = quantize_symmetric(rows)
        zp = np.zeros(rows.shape[0], np.int32)
    if not several:
        s = (s * scales[0]).astype(F32)
    qb = q.reshape(*l5[:3], m_rows, k).astype(np.float64)
    wb = wflat.reshape(*w5[:3], units, k).astype(np.float64)
    total = qb @ np.swapaxes(wb, -1, -2)                              # exact, [B.., M, N]
    bdims = tuple(max(a, b) for a, b in zip(l5[:3], w5[:3]))
    total = np.broadcast_to(total, (*bdims, m_rows, units))
    grid = np.indices(bdims)
    s_base = sum(grid[d] * (m_rows if l5[d] != 1 else 0) for d in range(3))
    w_base = sum(grid[d] * (units if w5[d] != 1 else 0) for d in range(3))
    s_idx = s_base[..., None] + np.arange(m_rows)                     # [B.., M]
    w_idx = w_base[..., None] + np.arange(units)                      # [B.., N]
    row_sums = wflat.reshape(-1, k).astype(np.int64).sum(axis=1)
    w_idx = np.minimum(w_idx, row_sums.size - 1)
    corr = (row_sums[w_idx].astype(F32)[..., None, :]
            * zp[s_idx].astype(F32)[..., :, None]).astype(F32)
    d = (_to_f32(total) - corr).astype(F32)
    scale = s[s_idx][..., :, None]
    if several:
        scale = (scale * scales).astype(F32)
    out = (F32(0) + (scale * d).astype(F32)).astype(F32)
    return out.reshape(out_shape)


# ------------------------------------------------------------------ EMBEDDING_LOOKUP --------

def embedding_lookup(ctx: OpContext, ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    """embedding_lookup.cc EvalHybrid: each looked-up row is value * scale in float32, with
    the row's own scale when the table has one scale per row (quantized_dimension 0) and the
    single scale otherwise. The zero point must be 0 and is never read. The table buffer is
    read as int8, so a uint8 table's bytes >= 128 come out negative, as in LiteRT. A float16
    output gets the float32 product rounded to half."""
    ids = np.asarray(ids)
    if ids.dtype != np.int32 or ids.ndim != 1:
        raise TypeError(f"EMBEDDING_LOOKUP ids must be 1-D int32, got {ids.dtype}"
                        f"{list(ids.shape)}")
    t8 = _int8_weights(table)
    if t8.ndim < 2:
        raise ValueError("EMBEDDING_LOOKUP table must be at least 2-D")
    rows = t8.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= rows):
        raise IndexError(f"EMBEDDING_LOOKUP: id out of bounds [0, {rows})")
    qp = ctx.op.inputs[1].quantization
    if qp is None or qp.scale is None or qp.scale.size == 0:
        raise ValueError("EMBEDDING_LOOKUP: quantized table without a scale")
    if qp.zero_point is not None and qp.zero_point.size and qp.zero_point[0] != 0:
        raise ValueError("EMBEDDING_LOOKUP hybrid needs zero point 0 (LiteRT Prepare)")
    sc = np.asarray(qp.scale, F32).ravel()
    if sc.size > 1:
        if sc.size != rows or qp.quantized_dimension != 0:
            raise ValueError(f"per-row table scales must number {rows} along dimension 0")
        row_scale = sc[ids]
    else:
        row_scale = np.full(ids.shape, sc[0], F32)
    vals = t8[ids].astype(F32)
    out = (vals * row_scale.reshape((-1,) + (1,) * (vals.ndim - 1))).astype(F32)
    want = ctx.output_dtype()
    return out if want == np.float32 else out.astype(want)


# ------------------------------------------------------------------- TRANSPOSE_CONV ---------

def transpose_conv(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray,
                   bias: np.ndarray | None = None) -> np.ndarray:
    """transpose_conv.cc EvalHybrid + reference_ops::HybridTransposeConv (the only hybrid
    implementation, used by every builtin resolver).

    Asymmetric quantization per batch element. The reference kernel *scatters*: for each input
    pixel and channel, each tap adds float(product) * weight_scale[oc] * input_scale
    (float32, left to right) into the float32 output, so every output is a float32 sum in the
    order (input row, input column, input channel). Reproduced with one vectorized
    accumulation per (row step, column step, input channel): each output's k-th contribution
    along an axis comes from its k-th smallest contributing input row / column. Then + bias
    and the activation clamp. Per-tensor weights use the single scale for every channel (the
    kernel's Prepare expands it).

    Under the 'xnnpack' profile: XNNPACK's deconvolution (qd8 per batch element, exact
    integer sums, fma output stage)."""
    o = ctx.options
    w8 = _int8_weights(w)
    x = np.asarray(x, dtype=F32)
    shp = tuple(int(v) for v in np.asarray(output_shape).ravel())
    if len(shp) != 4 or x.ndim != 4 or w8.ndim != 4:
        raise ValueError("TRANSPOSE_CONV needs a 4-D output_shape, input and filter")
    cout, kh, kw, cin = w8.shape
    n, h, wd, cin_x = x.shape
    if cin_x != cin or shp[0] != n or shp[3] != cout:
        raise ValueError(f"TRANSPOSE_CONV shapes disagree: input {list(x.shape)}, filter "
                         f"{list(w8.shape)}, output {list(shp)}")
    _, oh, ow, _ = shp
    sh, sw = o["stride_h"], o["stride_w"]
    ih, pad_h, _ = out_size_and_pad(oh, kh, sh, 1, o["padding"])
    iw, pad_w, _ = out_size_and_pad(ow, kw, sw, 1, o["padding"])
    if (ih, iw) != (h, wd):
        raise ValueError(f"output {oh}x{ow} with {o['padding']} padding and strides "
                         f"{sh}x{sw} needs a {ih}x{iw} input, got {h}x{wd}")
    scales, _ = _scales(ctx, 1, cout)
    act = o.get("fused_activation_function", "NONE")
    b = None if bias is None else np.asarray(bias, F32)
    xnn = _variant(ctx) == "xnnpack" and act in _XNN_RANGES and np.asarray(w).dtype == np.int8
    q, s, zp = (quantize_qd8 if xnn else quantize_asymmetric)(x.reshape(n, -1))
    t = (q - zp[:, None]).reshape(x.shape)

    # For each output row: its contributing input rows in ascending order, as
    # (input row, filter row, valid) per step.
    def steps(out: int, size: int, k: int, stride: int, pad: int):
        o_ = np.arange(out)
        first = -((-(o_ + pad - k + 1)) // stride)      # ceil((o + pad - k + 1) / stride)
        res = []
        for a in range((k - 1) // stride + 1):
            i = first + a
            f = o_ + pad - i * stride
            ok = (f >= 0) & (f < k) & (i >= 0) & (i < size)
            res.append((np.where(ok, i, 0), np.where(ok, f, 0), ok))
        return res

    ys, xs = steps(oh, h, kh, sh, pad_h), steps(ow, wd, kw, sw, pad_w)
    if xnn:
        acc = np.zeros((n, oh, ow, cout), np.int64)
        for iy, fy, oky in ys:
            for ix, fx, okx in xs:
                ok = oky[:, None] & okx[None, :]
                xv = t[:, iy[:, None], ix[None, :], :] * ok[None, :, :, None]
                wv = w8[:, fy[:, None], fx[None, :], :].astype(np.int64)  # [C, OH, OW, I]
                acc += np.einsum("nhwi,chwi->nhwc", xv.astype(np.int64), wv)
        out = _xnn_output(acc, s[:, None, None, None], scales, b, act)
        return out

    out = np.zeros((n, oh, ow, cout), F32)
    sb = s[:, None, None, None]
    for iy, fy, oky in ys:
        for ix, fx, okx in xs:
            ok = (oky[:, None] & okx[None, :])[None, :, :, None]
            xv = t[:, iy[:, None], ix[None, :], :]                  # [N, OH, OW, I]
            wv = np.moveaxis(w8[:, fy[:, None], fx[None, :], :], 0, -1)  # [OH, OW, I, C]
            for ic in range(cin):
                prod = xv[..., ic:ic + 1] * wv[None, :, :, ic, :].astype(np.int32)
                term = ((prod.astype(F32) * scales).astype(F32) * sb).astype(F32)
                out = np.where(ok, (out + term).astype(F32), out)
    if b is not None:
        out = (out + b).astype(F32)
    return clamp_activation(out, act)
