"""Integer SOFTMAX, LOG_SOFTMAX and L2_NORMALIZATION.

* SOFTMAX: SoftmaxPrepare (tflite/kernels/activations.cc, PreprocessSoftmaxScaling and
  CalculateInputRadius from internal/quantization_util.cc); int8 input through
  reference_ops::Softmax (internal/reference/softmax.h: gemmlowp exp of Q5.26 differences,
  fixed-point reciprocal of the Q12.19 sum), int16 through reference_ops::SoftmaxInt16 (two
  interpolated tables built in double), and the default resolver's optimized_ops::Softmax
  (float table of expf, internal/optimized/optimized_ops.h) for the other profiles.
* LOG_SOFTMAX int8: LogSoftmaxPrepare (activations.cc) and reference_integer_ops::LogSoftmax
  (internal/reference/integer_ops/log_softmax.h), or optimized_ops::LogSoftmax.
* L2_NORMALIZATION int8: reference_integer_ops::L2Normalization
  (internal/reference/integer_ops/l2normalization.h) with GetInvSqrtQuantizedMultiplierExp.

The fixed-point pieces are ``_fixedpoint``'s; float tables use the C library (``libm``).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import libm
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ..qmath import quantize_multiplier, rdbpot, round_half_away, srdhm, wrap_int32
from ._fixedpoint import (
    I32_MIN,
    clz32,
    exp_on_negative_values,
    get_reciprocal,
    inv_sqrt_multiplier_exp,
    log_x_for_x_greater_than_or_equal_to_1,
)
from ._lut import lut_int16, lut_lookup_int16

# -- SOFTMAX -----------------------------------------------------------------------------------


def input_radius(integer_bits: int, left_shift: int, total_bits: int = 31) -> int:
    """CalculateInputRadius: the largest input difference whose rescaled value still fits."""
    return int(np.floor(float((1 << integer_bits) - 1) * float(1 << (total_bits - integer_bits))
                        / float(1 << left_shift)))


def softmax_scaling(op: str, beta: float, in_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling(beta, s_in, 5 integer bits): (multiplier, left_shift,
    diff_min) of the Q5.26 rescaling of input differences. LiteRT aborts the process (a
    TFLITE_CHECK) when beta * s_in * 2^26 is not above 1; we refuse instead."""
    real = min(float(beta) * float(in_scale) * float(1 << 26), float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"{op}: beta * input scale = {float(beta) * float(in_scale):.3g} is too "
                         f"small for the integer kernel (needs > 2^-26; LiteRT aborts)")
    mult, shift = quantize_multiplier(real)
    return mult, shift, -input_radius(5, shift)


def _rows_max(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(x, dtype=np.int64)
    return v, v.max(axis=-1, keepdims=True)


def softmax_int8_reference(x: np.ndarray, mult: int, shift: int, diff_min: int, out_bits: int
                           ) -> np.ndarray:
    """reference_ops::Softmax for int8 input: gemmlowp exp of the Q5.26 differences, Q12.19
    sum, fixed-point reciprocal, output of ``out_bits`` (8 or 16) bits with zero point at the
    type's minimum."""
    v, vmax = _rows_max(x)
    diff = v - vmax
    valid = diff >= diff_min
    rescaled = srdhm(wrap_int32(diff << shift), mult)
    exp0 = np.where(valid, exp_on_negative_values(rescaled, 5), 0)
    total = wrap_int32(rdbpot(exp0, 12).sum(axis=-1, keepdims=True))
    recip, bits_over_unit = get_reciprocal(total, 12)
    exponent = bits_over_unit + 31 - out_bits
    if exponent.size and exponent.max() > 31:
        # TFLITE_CHECK(exponent <= 31): with an int8 output, a row whose exponentials (1 at
        # the maximum) sum to 512 or more aborts the LiteRT process. Measured on 2.3.0.
        raise ValueError(f"SOFTMAX: a row's exponentials sum to 2^{int(exponent.max()) - 23} "
                         f"or more; LiteRT's reference kernel aborts on that (int8 output "
                         f"needs a sum below 512)")
    out = rdbpot(srdhm(recip, exp0), exponent) - (1 << (out_bits - 1))
    lo, hi = -(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1
    return np.where(valid, np.clip(out, lo, hi), lo)


@functools.cache
def softmax_int16_tables() -> tuple[np.ndarray, np.ndarray]:
    """The int16 SOFTMAX tables, the same for every model: exp(x) on [-10, 0] and
    1 / (1 + x) on [0, 1], both LUTPopulate<int16_t> in double (activations.cc)."""
    rng = 65535.0
    exp_lut = lut_int16(libm.exp, 10.0 / rng, 32767, 2.0 / rng, 0, double=True)
    recip_lut = lut_int16(lambda v: 1.0 / (1.0 + v), 1.0 / rng, -32768, 2.0 / rng, 0,
                          double=True)
    return exp_lut, recip_lut


def softmax_int16(x: np.ndarray, mult: int, shift: int) -> np.ndarray:
    """reference_ops::SoftmaxInt16: exp and 1 / (1 + x) through the two interpolated tables."""
    exp_lut, recip_lut = softmax_int16_tables()
    v, vmax = _rows_max(x)
    scaled = mbqm(v - vmax, mult, shift)
    e = lut_lookup_int16(np.clip(scaled + 32767, -32768, 32767), exp_lut)
    total = e.sum(axis=-1, keepdims=True)
    headroom_plus_one = clz32(total)
    shifted = ((total << (headroom_plus_one - 1)) + (1 << 13)) >> 14
    recip = lut_lookup_int16(np.clip(shifted - ((1 << 15) + (1 << 16)), -32768, 32767),
                             recip_lut)
    right_shift = 31 - headroom_plus_one
    out = (e * recip + (np.int64(1) << (right_shift - 1))) >> right_shift
    return np.clip(out, 0, 32767)


def softmax_float_table(in_scale: np.float32, beta: np.float32) -> np.ndarray:
    """optimized_ops::PopulateSoftmaxLookupTable: table[255 - v] = expf(-s_in * beta * v)."""
    scale = np.float32(-in_scale * beta)
    v = np.arange(256)
    return libm.expf(scale * v.astype(np.float32))[::-1].copy()


def _row_exps(x: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """table_offset[x] = table[255 - max + x] per row, and their float32 sum accumulated left
    to right (the C loop), not NumPy's pairwise sum."""
    v, vmax = _rows_max(x)
    vals = table[255 - vmax + v]
    total = np.cumsum(vals, axis=-1, dtype=np.float32)[..., -1:]
    return vals, total, vmax


def softmax_optimized(x: np.ndarray, table: np.ndarray, out_scale: np.float32, out_zp: int,
                      lo: int, hi: int) -> np.ndarray:
    """optimized_ops::Softmax (int8 input, the default resolver's kernel on x86): float table,
    float32 sum, round half away from zero, output zero point added."""
    vals, total, _ = _row_exps(x, table)
    inv = np.float32(1) / (total * out_scale)
    out = round_half_away(vals * inv).astype(np.int64) + out_zp
    return np.clip(out, lo, hi)


# -- LOG_SOFTMAX -------------------------------------------------------------------------------


def log_softmax_scaling(op: str, in_scale: float) -> dict:
    """LogSoftmaxPrepare (int8, beta 1): the softmax rescaling plus the reverse scaling that
    brings log(sum) back to input differences. LiteRT aborts (TFLITE_CHECK) when the reverse
    multiplier is not below 1; we refuse instead."""
    mult, shift, diff_min = softmax_scaling(op, 1.0, in_scale)
    real_reverse = float(1 << (31 - shift)) / float(mult)
    if not 0.0 < real_reverse < 1.0:
        raise ValueError(f"{op}: input scale {in_scale} gives a reverse scaling of "
                         f"{real_reverse} (must be below 1; LiteRT aborts)")
    rev_mult, rev_shift = quantize_multiplier(real_reverse)
    return {"mult": mult, "shift": shift, "diff_min": diff_min, "rev_mult": rev_mult,
            "rev_right_shift": -rev_shift}


def log_softmax_int8_reference(x: np.ndarray, st: dict) -> np.ndarray:
    """reference_integer_ops::LogSoftmax: (x - max) in Q5.26 minus log(sum of exps), output in
    Q4 with zero point 127; entries too far below the maximum give -128."""
    v, vmax = _rows_max(x)
    diff = v - vmax
    diff_q5 = mbqm(diff, st["mult"], st["shift"])
    exps = np.where(diff >= st["diff_min"], exp_on_negative_values(diff_q5, 5), 0)
    total = wrap_int32(rdbpot(exps, 12).sum(axis=-1, keepdims=True))
    log_sum = log_x_for_x_greater_than_or_equal_to_1(total, 12, 5)
    shifted_log_sum = wrap_int32(log_sum + I32_MIN)
    adjusted_diff_min = np.maximum(st["diff_min"] - 1,
                                   mbqm(shifted_log_sum, st["rev_mult"], -st["rev_right_shift"]))
    out = rdbpot(wrap_int32(diff_q5 - log_sum), 31 - 5 - 4) + 127
    return np.where(diff > adjusted_diff_min, np.clip(out, -128, 127), -128)


def log_softmax_optimized(x: np.ndarray, table: np.ndarray, in_scale: np.float32,
                          out_scale: np.float32, out_zp: int) -> np.ndarray:
    """optimized_ops::LogSoftmax (int8, the default resolver's kernel): float table, float32
    sum and logf, rint. logf is taken as the float64 log rounded to float32."""
    _, total, vmax = _row_exps(x, table)
    log_sum = np.log(total.astype(np.float64)).astype(np.float32)
    f32 = np.float32
    scale = f32(in_scale / out_scale)
    precomputed = (in_scale * vmax.astype(f32) + log_sum) / out_scale
    log_prob = scale * np.asarray(x).astype(f32) - precomputed
    return np.clip(np.rint(log_prob).astype(np.int64) + out_zp, -128, 127)


# -- L2_NORMALIZATION int8 (reference_integer_ops::L2Normalization) ----------------------------


def l2_normalization_int8(x: np.ndarray, zp_in: int) -> np.ndarray:
    """Sum of squares per row in int32, an inverse square root by Newton-Raphson
    (GetInvSqrtQuantizedMultiplierExp), and each (x - zp) rescaled by it into Q0.7."""
    v = np.asarray(x, dtype=np.int64) - zp_in
    acc = wrap_int32((v * v).sum(axis=-1, keepdims=True))
    mult, shift = inv_sqrt_multiplier_exp(acc, -1)
    return np.clip(mbqm(v, mult, shift + 7), -128, 127)
