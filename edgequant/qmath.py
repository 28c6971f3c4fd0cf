"""Quantization arithmetic, bit-exact with TFLite.

Sources (see shared SPEC_NOTES §3-4):
* ``quantize_multiplier``: LiteRT ``kernels/internal/quantization_util.cc`` QuantizeMultiplier
  (frexp, round half away from zero of q * 2^31, 2^31 -> halve and bump the shift, flush
  multipliers whose shift is below -31).
* ``srdhm`` / ``rdbpot`` / ``multiply_by_quantized_multiplier``: gemmlowp
  ``fixedpoint/fixedpoint.h`` SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, as
  composed by LiteRT ``kernels/internal/common.cc`` (the default double-rounding build).
* ``choose_qparams``: TF/MLIR ``FakeQuantSupport.cc`` (asymmetric nudging; zero point from the
  end with the smaller error, rounded half away from zero, clamped) and
  ``quantization_utils.cc`` (ranges extended to include 0; tiny ranges widened).
* ``quantize``: ``UniformSupport.h`` — x / scale + zp computed in double, rounded half away
  from zero, clamped.

All array functions are vectorised over int64 so they can run a whole tensor at once.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


def round_half_away(x: npt.ArrayLike) -> np.ndarray:
    """std::round / TfLiteRound: ties away from zero (NumPy's round is ties-to-even)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def wrap_int32(x: npt.ArrayLike) -> np.ndarray:
    """int64 values reduced modulo 2**32 into the int32 range (C++ int32 overflow in practice)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x - _INT32_MIN) & 0xFFFFFFFF) + _INT32_MIN


def cast_float_to_int32(x: npt.ArrayLike) -> np.ndarray:
    """static_cast<int32_t> of already-integral floats as x86-64 does it (out of range and NaN
    give INT32_MIN), returned as int64."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~(np.abs(x) < 2.0**31)
    out = np.where(bad, 0.0, x).astype(np.int64)
    return np.where(bad, _INT32_MIN, out)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """Real multiplier -> (int32 multiplier, shift); positive shift means left shift."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = int(round_half_away(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def quantize_multiplier_array(m: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """quantize_multiplier over an array of multipliers (per-channel conv)."""
    pairs = [quantize_multiplier(float(v)) for v in np.asarray(m, dtype=np.float64).ravel()]
    mult = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    return mult, shift


def srdhm(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul: (a*b*2 + 2^31 rounding) >> 32 with ties toward +inf,
    saturating the single overflow case a = b = INT32_MIN."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    # C integer division truncates toward zero; NumPy's // floors.
    q = np.where(num >= 0, num >> 31, -((-num) >> 31))
    overflow = (a == _INT32_MIN) & (b == _INT32_MIN)
    return np.where(overflow, _INT32_MAX, q)


def rdbpot(x: npt.ArrayLike, exponent: npt.ArrayLike) -> np.ndarray:
    """RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: npt.ArrayLike, multiplier: npt.ArrayLike,
                                     shift: npt.ArrayLike) -> np.ndarray:
    """gemmlowp double rounding: RDBPOT(SRDHM(x << left, M), right) on int32 values."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # The left shift happens on int32 in C++ and wraps on overflow.
    shifted = wrap_int32(x * (np.int64(1) << left))
    return rdbpot(srdhm(shifted, multiplier), right)


def multiply_by_quantized_multiplier_single(x: npt.ArrayLike, multiplier: npt.ArrayLike,
                                            shift: npt.ArrayLike) -> np.ndarray:
    """TFLITE_SINGLE_ROUNDING: (x*M + 2^(30-shift)) >> (31-shift), ties toward +inf."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    total = 31 - shift
    rnd = np.int64(1) << (total - 1)
    return (x * np.asarray(multiplier, dtype=np.int64) + rnd) >> total


def choose_qparams(rmin: float, rmax: float, qmin: int = -128, qmax: int = 127
                   ) -> tuple[float, int]:
    """Asymmetric (scale, zero_point) for the range [rmin, rmax] as the TFLite converter picks
    them: the range is extended to include 0, scale = (max - min) / (qmax - qmin) in double, and
    the zero point comes from whichever end gives the smaller error."""
    rmin = min(float(rmin), 0.0)
    rmax = max(float(rmax), 0.0)
    if rmax - rmin < np.finfo(np.float64).eps:
        return 1.0, qmin
    scale = (rmax - rmin) / (qmax - qmin)
    zp_from_min = qmin - rmin / scale
    zp_from_max = qmax - rmax / scale
    err_min = abs(qmin) + abs(rmin / scale)
    err_max = abs(qmax) + abs(rmax / scale)
    zp = zp_from_min if err_min < err_max else zp_from_max
    zp = int(round_half_away(zp))
    return scale, int(min(max(zp, qmin), qmax))


def symmetric_scale(absmax: npt.ArrayLike, qmax: int = 127) -> np.ndarray:
    """Symmetric narrow-range scale max|w| / qmax per channel; an all-zero channel gets 1.0
    (as the converter's per-channel path does, so the multiplier stays finite)."""
    a = np.asarray(absmax, dtype=np.float64)
    return np.where(a > 0, a / qmax, 1.0)


def _along(axis: int | None, ndim: int, *params: np.ndarray) -> list[np.ndarray]:
    """Per-channel parameters shaped to broadcast along ``axis`` of a rank-``ndim`` tensor."""
    if axis is None or params[0].size <= 1:
        return list(params)
    shape = [1] * ndim
    shape[axis] = -1
    return [p.reshape(shape) for p in params]


def quantize(x: npt.ArrayLike, scale: npt.ArrayLike, zero_point: npt.ArrayLike, qmin: int,
             qmax: int, axis: int | None = None) -> np.ndarray:
    """Round-half-away quantization of float values (in double), clamped; ``axis`` selects the
    per-channel dimension of ``scale``/``zero_point``."""
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(scale, dtype=np.float64)
    z = np.asarray(zero_point, dtype=np.float64)
    s, z = _along(axis, x.ndim, s, z)
    q = round_half_away(x / s) + z
    return np.clip(q, qmin, qmax).astype(np.int64)


def dequantize(q: npt.ArrayLike, scale: npt.ArrayLike, zero_point: npt.ArrayLike,
               axis: int | None = None) -> np.ndarray:
    """(q - zp) * scale in float32, per tensor or along ``axis``."""
    q = np.asarray(q)
    s = np.asarray(scale, dtype=np.float32)
    z = np.asarray(zero_point, dtype=np.int64)
    s, z = _along(axis, q.ndim, s, z)
    return ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)
