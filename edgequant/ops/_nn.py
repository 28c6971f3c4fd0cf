"""Shared code for the neural-network ops of batch B: sliding windows for depthwise conv and
pooling (float and raw-integer), the fused-activation clamp in float and in the quantized
domain, dtype tests for the ``version()`` functions, and a vectorized erfc for GELU.

Window geometry follows ``tflite/kernels/padding.h`` through ``_conv.out_size_and_pad``. Version
rules follow ``tflite/converter/tools/versioning/op_version.cc`` (GetBuiltinOperatorVersion) and
``op_signature.cc``, clamped to the maxima registered in ``tflite/kernels/register_ref.cc``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..dtypes import qrange
from ..qmath import round_half_away
from ._conv import derived, out_size_and_pad

try:  # the clip ufunc itself: np.clip's Python wrapper costs more than clipping a small tensor
    from numpy._core.umath import clip as _clip  # NumPy 2
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.umath import clip as _clip

if TYPE_CHECKING:
    from ..ir import Operator, Tensor
    from ._base import OpContext

# -- fused activations ------------------------------------------------------------------------

_FLT_MAX = float(np.finfo(np.float32).max)
_RANGES = {"RELU": (0.0, _FLT_MAX), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0),
           1: (0.0, _FLT_MAX), 3: (0.0, 6.0), 2: (-1.0, 1.0)}
_RANGES_F32 = {k: (np.float32(lo), np.float32(hi)) for k, (lo, hi) in _RANGES.items()}
_NONE_F32 = (np.float32(-_FLT_MAX), np.float32(_FLT_MAX))


def clamp_activation(x: np.ndarray, act: str | int) -> np.ndarray:
    """A fused activation as the conv / FC / pooling kernels apply it: CalculateActivationRange
    (tflite/kernels/kernel_util.h) turns it into a clamp, so TANH and SIGN_BIT are silently
    ignored, and even NONE clamps to +-FLT_MAX (an inf result comes out as FLT_MAX). Works in
    place on ``x``, which must be a float32 array the kernel owns."""
    lo, hi = _RANGES_F32.get(act, _NONE_F32)
    return _clip(x, lo, hi, out=x)


_ACT_BOUNDS = {"RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0),
               1: (0.0, None), 3: (0.0, 6.0), 2: (-1.0, 1.0)}


def quantized_activation_range(act: str | int, out: Tensor) -> tuple[int, int]:
    """A fused activation as the integer kernels' clamp (kernel_util.cc
    CalculateActivationRangeQuantized): each bound is zp + TfLiteRound(bound / scale) with the
    division in float32, intersected with the output type's range. TANH and SIGN_BIT, like
    NONE, give the whole type range."""
    qmin, qmax = qrange(out.dtype)
    bounds = _ACT_BOUNDS.get(act)
    if bounds is None:
        return qmin, qmax
    scale, zp = out.qparams
    q = []
    for b in bounds:
        if b is None:
            q.append(None)
            continue
        tmp = float(round_half_away(np.float32(b) / np.float32(scale)))
        if not -(2.0**31) <= tmp <= 2.0**31:
            raise ValueError(f"fused {act}: bound {b} / output scale {scale} overflows int32")
        q.append(int(zp) + int(tmp))
    lo = max(qmin, q[0])
    hi = qmax if q[1] is None else min(qmax, q[1])
    return lo, hi


def add_bias_act(ctx: OpContext, out: np.ndarray, bias: np.ndarray | None, act: str | int,
                 row: int) -> np.ndarray:
    """Bias, then the fused activation's clamp, in place on a kernel's fresh C-contiguous
    float32 [..., C] result, whose trailing ``row`` x C elements form one output row. With
    few channels a [C] bias broadcast runs NumPy's inner loop C elements at a time, so the
    bias is added as a [row * C] tile instead (the same additions), cached for a constant
    bias."""
    if bias is not None:
        c = out.shape[-1]
        if c < 64 and row > 1 and out.size % (row * c) == 0:
            tile = derived(ctx, "bias_tile", bias,
                           lambda: np.tile(np.asarray(bias, np.float32).reshape(-1), row), row)
            flat = out.reshape(-1, row * c)
            np.add(flat, tile, out=flat)
        else:
            np.add(out, bias, out=out)
    return clamp_activation(out, act)


# -- sliding windows ------------------------------------------------------------------------

Tap = Callable[[int, int], np.ndarray]


def window(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, padding: str,
           pad_value: float = 0.0) -> tuple[Tap, int, int]:
    """For an NHWC input, ``(tap, OH, OW)``: ``tap(i, j)`` is the strided [N, OH, OW, C] view
    of the (padded) input that filter tap (i, j) sees. Unlike ``_conv.patches`` it copies
    nothing per tap, so a kernel can accumulate tap by tap in LiteRT's summation order."""
    if x.ndim != 4:
        raise ValueError(f"expected a 4-D NHWC input, got shape {list(x.shape)}")
    if min(sh, sw, dh, dw) <= 0:
        raise ValueError(f"strides ({sh}, {sw}) and dilations ({dh}, {dw}) must be positive")
    _, h, w, _ = x.shape
    oh, pt, pb = out_size_and_pad(h, kh, sh, dh, padding)
    ow, pl, pr = out_size_and_pad(w, kw, sw, dw, padding)
    if oh == 0 or ow == 0:
        raise ValueError(f"a {kh}x{kw} window (dilation {dh}x{dw}) with {padding} padding "
                         f"gives an empty output for a {h}x{w} input")
    if pt or pb or pl or pr:
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)

    def tap(i: int, j: int) -> np.ndarray:
        return x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]

    return tap, oh, ow


def valid_counts(size: int, k: int, stride: int, padding: str) -> np.ndarray:
    """Per output position along one axis, how many of the k window taps fall inside the
    input (AVERAGE_POOL_2D divides by this, not by k)."""
    out, pad, _ = out_size_and_pad(size, k, stride, 1, padding)
    start = np.arange(out) * stride - pad
    return np.minimum(k, size - start) - np.maximum(0, -start)


def pool2d(x: np.ndarray, options: dict, average: bool) -> np.ndarray:
    """MAX_POOL_2D / AVERAGE_POOL_2D before the fused activation (tflite/kernels/pooling.cc,
    reference/pooling.h). Both only look at taps inside the input: max pads with -inf,
    average sums in tap order (row by row, like the reference loop; adding the zero padding
    is exact) and divides by the count of real taps."""
    kh, kw = options["filter_height"], options["filter_width"]
    sh, sw = options["stride_h"], options["stride_w"]
    if min(kh, kw) <= 0:
        raise ValueError(f"filter size {kh}x{kw} must be positive")
    x = np.asarray(x, dtype=np.float32)
    if not average and (kh, kw) == (sh, sw) and x.ndim == 4:
        fast = _max_pool_tiles(x, kh, kw, options["padding"])
        if fast is not None:
            return fast
    tap, _, _ = window(x, kh, kw, sh, sw, 1, 1, options["padding"],
                       0.0 if average else -np.inf)
    acc = tap(0, 0).copy()
    for i in range(kh):
        for j in range(kw):
            if i or j:
                if average:
                    acc += tap(i, j)
                else:
                    np.maximum(acc, tap(i, j), out=acc)
    if average:
        counts = (valid_counts(x.shape[1], kh, sh, options["padding"])[:, None]
                  * valid_counts(x.shape[2], kw, sw, options["padding"])[None, :])
        acc /= counts.astype(np.float32)[None, :, :, None]
    return acc


def pool2d_int(x: np.ndarray, options: dict, average: bool) -> np.ndarray:
    """MAX_POOL_2D / AVERAGE_POOL_2D on raw int8 / int16 codes, before the activation clamp
    (reference_integer_ops::MaxPool / AveragePool). No zero point is subtracted: both work on
    the stored integers, which is only meaningful with equal input and output quantization.
    Max: the largest code among the taps inside the input. Average: an int32 sum of those taps
    divided by their count, rounded half away from zero (``(acc +- count / 2) / count`` with C
    truncation). Returns int32."""
    kh, kw = options["filter_height"], options["filter_width"]
    sh, sw = options["stride_h"], options["stride_w"]
    if min(kh, kw) <= 0:
        raise ValueError(f"filter size {kh}x{kw} must be positive")
    if not average:
        if (kh, kw) == (sh, sw) and x.ndim == 4:
            fast = _max_pool_tiles(x, kh, kw, options["padding"])
            if fast is not None:
                return fast.astype(np.int32)
        # Padded taps hold the type's minimum, which never beats a real tap.
        tap, _, _ = window(x, kh, kw, sh, sw, 1, 1, options["padding"], np.iinfo(x.dtype).min)
        acc = tap(0, 0).astype(np.int32)
        for i in range(kh):
            for j in range(kw):
                if i or j:
                    np.maximum(acc, tap(i, j), out=acc)
        return acc
    tap, _, _ = window(x, kh, kw, sh, sw, 1, 1, options["padding"], 0)
    acc = tap(0, 0).astype(np.int32)
    for i in range(kh):
        for j in range(kw):
            if i or j:
                acc += tap(i, j)
    counts = (valid_counts(x.shape[1], kh, sh, options["padding"])[:, None]
              * valid_counts(x.shape[2], kw, sw, options["padding"])[None, :])
    counts = counts.astype(np.int32)[None, :, :, None]
    mag = (np.abs(acc) + counts // 2) // counts
    return np.where(acc > 0, mag, -mag).astype(np.int32)


def _max_pool_tiles(x: np.ndarray, kh: int, kw: int, padding: str) -> np.ndarray | None:
    """MAX_POOL_2D with filter == stride and no padding (non-overlapping tiles), or None.
    Reduces the window rows first, on [N, OH, KH, OW * KW * C] whose rows are contiguous,
    then the columns: a max over the same elements as the tap loop (max is exact, and
    np.maximum propagates NaN in any order), with far fewer short strided passes."""
    n, h, w, c = x.shape
    oh, pt, pb = out_size_and_pad(h, kh, kh, 1, padding)
    ow, pl, pr = out_size_and_pad(w, kw, kw, 1, padding)
    if pt or pb or pl or pr or oh == 0 or ow == 0:
        return None
    rows = x[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow * kw * c)
    m = rows[:, :, 0].copy() if kh == 1 else np.maximum(rows[:, :, 0], rows[:, :, 1])
    for i in range(2, kh):
        np.maximum(m, rows[:, :, i], out=m)
    cols = m.reshape(n, oh, ow, kw, c)
    if kw == 1:
        return cols[:, :, :, 0]
    out = np.maximum(cols[:, :, :, 0], cols[:, :, :, 1])
    for j in range(2, kw):
        np.maximum(out, cols[:, :, :, j], out=out)
    return out


# -- version() helpers -------------------------------------------------------------------------

def fc_output_shape(x: np.ndarray, units: int, depth: int, keep_num_dims: bool
                    ) -> tuple[int, ...]:
    """FULLY_CONNECTED's output shape (float and hybrid kernels alike): the input flattened to
    rows of ``depth``, or with ``keep_num_dims`` its leading dimensions kept."""
    if keep_num_dims:
        if x.shape[-1] != depth:
            raise ValueError(f"keep_num_dims needs the last input dimension ({x.shape[-1]}) to "
                             f"equal the weights' depth ({depth})")
        return (*x.shape[:-1], units)
    if depth == 0 or x.size % depth:
        raise ValueError(f"input of {x.size} elements does not flatten into rows of {depth}")
    return (x.size // depth, units)


def dtype(t: Tensor | None) -> str | None:
    return None if t is None else t.dtype


def in_type(op: Operator, i: int) -> str | None:
    return dtype(op.inputs[i]) if i < len(op.inputs) else None


def out_type(op: Operator, i: int = 0) -> str | None:
    return dtype(op.outputs[i]) if i < len(op.outputs) else None


def scale_count(t: Tensor | None) -> int:
    q = None if t is None else t.quantization
    return 0 if q is None or q.scale is None else int(q.scale.size)


def per_channel(t: Tensor | None, axis: int) -> bool:
    """op_signature.cc's test: the number of scales equals the size of ``axis`` (so a
    one-channel tensor with one scale counts as per-channel, as in the converter)."""
    n = scale_count(t)
    return t is not None and n > 0 and len(t.shape) > axis and n == t.shape[axis]


def is_hybrid(op: Operator, weights: int = 1) -> bool:
    return (in_type(op, 0) == "float32" and in_type(op, weights) == "int8"
            and out_type(op) == "float32")


def activation_version(op: Operator, int16: int, int8: int, *, int16_needs_out: bool = False,
                       uint8: bool = False) -> int:
    """The common op_version.cc pattern: int16 input -> ``int16``, int8 (and optionally
    uint8) input -> ``int8``, else 1."""
    t = in_type(op, 0)
    if t == "int16" and (not int16_needs_out or out_type(op) == "int16"):
        return int16
    if t == "int8" or (uint8 and t == "uint8"):
        return int8
    return 1


def bias_type_set(options: dict) -> bool:
    """``quantized_bias_type`` is written only when it is not the schema default (FLOAT32)."""
    return options.get("quantized_bias_type", "float32") not in ("float32", 0, None)


# -- math ---------------------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function in float64, vectorized (NumPy has none; SciPy is not a
    dependency). Relative error below 2e-11 over the float32 range, far inside float32 ULPs;
    27 series terms and 28 fraction levels are what that takes at the |x| = 2 seam.

    |x| < 2: erf by its all-positive series erf(z) = 2/sqrt(pi) e^-z^2 sum (2z^2)^n z/(2n+1)!!
    (no cancellation inside the sum); |x| >= 2: Laplace's continued fraction, evaluated
    bottom-up with a fixed depth, which avoids 1 - erf cancelling where erfc is small.
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x)
    out = np.empty_like(z)
    near = z < 2.0
    zs = z[near]
    term = zs.copy()
    total = zs.copy()
    z2 = 2.0 * zs * zs
    for k in range(1, 28):
        term *= z2 * (1.0 / (2 * k + 1))
        total += term
    out[near] = 1.0 - _TWO_OVER_SQRT_PI * np.exp(-zs * zs) * total
    zl = z[~near]
    frac = zl.copy()
    for k in range(28, 0, -1):
        frac = zl + (0.5 * k) / frac
    out[~near] = np.exp(-zl * zl) / (math.sqrt(math.pi) * frac)
    return np.where(x < 0, 2.0 - out, out)
