"""Quantization arithmetic shared by QUANTIZE, DEQUANTIZE and integer kernels.

Everything here reproduces LiteRT's reference (BUILTIN_REF) integer arithmetic bit for bit:

* ``round_half_away``: ``TfLiteRound`` / ``std::round`` (ties away from zero).
* ``quantize_multiplier``: ``QuantizeMultiplier`` (tflite/kernels/internal/quantization_util.cc).
* ``multiply_by_quantized_multiplier``: the default double-rounding (gemmlowp) form of
  ``MultiplyByQuantizedMultiplier`` (tflite/kernels/internal/common.cc); LiteRT wheels are not
  built with ``TFLITE_SINGLE_ROUNDING``.
* ``cast_float_to_int32``: what ``static_cast<int32_t>(float)`` does on x86-64 (cvttss2si): NaN
  and values outside the int32 range become INT32_MIN, which the kernels then clamp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# dtype name -> (min, max) of the integer types QUANTIZE / requantize can produce.
_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
           "int32": (INT32_MIN, INT32_MAX), "int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1)}


def type_range(dtype: str) -> tuple[int, int]:
    try:
        return _RANGES[dtype]
    except KeyError:
        raise ValueError(f"{dtype} is not an integer quantized type") from None


def round_half_away(x: np.ndarray) -> np.ndarray:
    """std::round in float64 (exact for float32 inputs: adding 0.5 cannot round)."""
    x = np.asarray(x, dtype=np.float64)
    return np.trunc(x + np.copysign(0.5, x))


def cast_float_to_int32(x: np.ndarray) -> np.ndarray:
    """static_cast<int32_t> of already-integral floats, as x86-64 does it, as int64."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~(np.abs(x) < 2.0**31)  # also catches NaN
    out = np.where(bad, 0.0, x).astype(np.int64)
    return np.where(bad, INT32_MIN, out)


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """int64 values reduced modulo 2**32 into the int32 range (C++ int32 overflow in practice)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x - INT32_MIN) & 0xFFFFFFFF) + INT32_MIN


def quantize_multiplier(m: float) -> tuple[int, int]:
    """(int32 multiplier, shift) with m ~= multiplier * 2**(shift - 31); positive = left."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = int(round_half_away(np.float64(q) * float(1 << 31)))
    if q_fixed > (1 << 31):
        raise ValueError(f"multiplier {m} cannot be quantized")
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul for int32 ``a`` and scalar int32 ``b``."""
    a = np.asarray(a, dtype=np.int64)
    ab = a * np.int64(b)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    v = ab + nudge
    # C++ integer division truncates toward zero; floor division would round negatives down.
    high = np.where(v >= 0, v >> 31, -((-v) >> 31))
    if b == INT32_MIN:
        high = np.where(a == INT32_MIN, INT32_MAX, high)
    return high


def rounding_divide_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: x / 2**exponent, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier(int32 x, ...) with double rounding; returns int64."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    shifted = wrap_int32(np.asarray(x, dtype=np.int64) << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier),
                                  right)


@dataclass
class TensorQuant:
    """A tensor's affine quantization as the kernels read it."""

    scale: np.ndarray  # float32, one per channel
    zero_point: np.ndarray  # int64, same length as scale
    axis: int

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def broadcast(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        """(scale, zero_point) shaped to broadcast against a tensor of rank ``ndim``."""
        if not self.per_channel:
            return self.scale.reshape(()), self.zero_point.reshape(())
        shape = [1] * ndim
        shape[self.axis] = self.scale.size
        return self.scale.reshape(shape), self.zero_point.reshape(shape)


def tensor_quant(t: Any, what: str) -> TensorQuant:
    """The affine quantization of ir.Tensor ``t``; raises if it has none."""
    q = getattr(t, "quantization", None)
    if q is None or q.scale is None or q.scale.size == 0:
        raise ValueError(f"{what} {getattr(t, 'name', '?')!r} has no quantization scale")
    scale = np.asarray(q.scale, dtype=np.float32).ravel()
    zp = (np.zeros(1, np.int64) if q.zero_point is None or q.zero_point.size == 0
          else np.asarray(q.zero_point, dtype=np.int64).ravel())
    if zp.size != scale.size:
        # LiteRT repeats the first zero point when the counts differ (dequantize.cc).
        zp = np.full(scale.shape, zp[0], np.int64)
    return TensorQuant(scale, zp, int(q.quantized_dimension))


def unpack_low_bits(raw: np.ndarray, count: int, bits: int, signed: bool) -> np.ndarray:
    """LiteRT's packed sub-byte layout (low bits first) to int8 values."""
    raw = np.asarray(raw, dtype=np.uint8).ravel()
    per = 8 // bits
    parts = [(raw >> (bits * i)) & ((1 << bits) - 1) for i in range(per)]
    vals = np.stack(parts, axis=1).ravel()[:count].astype(np.int16)
    if signed:
        vals = np.where(vals >= 1 << (bits - 1), vals - (1 << bits), vals)
    return vals.astype(np.int8)
