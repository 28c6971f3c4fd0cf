"""gemmlowp fixed-point arithmetic, vectorised, as LiteRT's integer kernels use it.

Follows gemmlowp ``fixedpoint/fixedpoint.h`` (SaturatingRoundingMultiplyByPOT, Rescale,
RoundingHalfSum, exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1, logistic, tanh)
and LiteRT ``tflite/kernels/internal/common.h`` (GetReciprocal,
log_x_for_x_greater_than_or_equal_to_1_impl, GetInvSqrtQuantizedMultiplierExp).

int32 raw values are held in int64 arrays; additions that C++ performs on int32 wrap as the
hardware does (``wrap_int32``). SaturatingRoundingDoublingHighMul, RoundingDivideByPOT and
MultiplyByQuantizedMultiplier are ``edgequant.qmath``'s ``srdhm``, ``rdbpot`` and
``multiply_by_quantized_multiplier``.

The ``*16`` functions are the int16 instantiations (raw values in int16, constants the int32
ones rounded by 16 bits, additions wrapping at 16 bits), which the default resolver's int16
LOGISTIC / TANH (optimized_ops, power-of-two input scales) and HARD_SWISH
(reference/hard_swish.h) run.
"""

from __future__ import annotations

import numpy as np

from ..qmath import rdbpot, srdhm, wrap_int32

I32_MIN = -(2**31)
I32_MAX = 2**31 - 1

# -- int32 helpers -----------------------------------------------------------------------------


def clz32(x: np.ndarray) -> np.ndarray:
    """CountLeadingZeros of uint32 values (32 for zero)."""
    v = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    _, e = np.frexp(v.astype(np.float64))  # exact: v < 2**53, and frexp(0) gives 0
    return 32 - e.astype(np.int64)


def count_leading_sign_bits32(x: np.ndarray) -> np.ndarray:
    """CountLeadingSignBits of int32 values (31 for 0 and -1)."""
    x = np.asarray(x, np.int64)
    return clz32(np.where(x < 0, ~x, x)) - 1


def sat_shl(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT(Param) for exponent >= 0: x * 2^exponent saturated to
    int32 (the exponent may vary per element)."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    threshold = (np.int64(1) << (31 - e)) - 1
    return np.where(x > threshold, I32_MAX, np.where(x < -threshold, I32_MIN, x << e))


def mul_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift, or a rounding right
    shift for a negative exponent."""
    if exponent > 0:
        return sat_shl(x, exponent)
    if exponent < 0:
        return rdbpot(x, -exponent)
    return np.asarray(x, dtype=np.int64)


def rescale(x: np.ndarray, src_bits: int, dst_bits: int) -> np.ndarray:
    """Rescale<dst_bits> of a FixedPoint<int32, src_bits>."""
    return mul_pot(x, src_bits - dst_bits)


def rounding_half_sum(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """RoundingHalfSum: (a + b + sign) / 2 with C truncation (int32 and int16 alike)."""
    s = np.asarray(a, dtype=np.int64) + b
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s >> 1, -((-s) >> 1))


def sat_add(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return np.clip(np.asarray(a, dtype=np.int64) + b, I32_MIN, I32_MAX)


def sat_sub(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return np.clip(np.asarray(a, dtype=np.int64) - b, I32_MIN, I32_MAX)


# -- int32 functions ---------------------------------------------------------------------------

# exp(-1/4 * 2^k) in Q0.31 for the barrel shifter of exp_on_negative_values, k = -2..4.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """exp(a) for a in [-1/4, 0), Q0.31 in and out (Taylor series around -1/8)."""
    constant_term = 1895147668  # exp(-1/8)
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbpot(x4, 2)
    poly = rdbpot(wrap_int32(srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), 1)
    return wrap_int32(constant_term + srdhm(constant_term, wrap_int32(x + poly)))


def exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp(a) for a <= 0 given in Q(integer_bits).(31 - integer_bits); result Q0.31."""
    a = np.asarray(a, dtype=np.int64)
    frac = 31 - integer_bits
    one_quarter = 1 << (frac - 2)
    a_mod = wrap_int32((a & (one_quarter - 1)) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod, integer_bits, 0))
    remainder = wrap_int32(a_mod - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = np.int64(1) << (frac + exponent)
            result = np.where(remainder & bit, srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, I32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson, three steps in Q2.29)."""
    half_denominator = rounding_half_sum(a, I32_MAX)  # F0::One() is the saturated raw maximum
    x = wrap_int32(1515870810 + srdhm(half_denominator, -1010580540))  # 48/17 - 32/17 d
    for _ in range(3):
        one_minus = wrap_int32((1 << 29) - srdhm(half_denominator, x))
        x = wrap_int32(x + rescale(srdhm(x, one_minus), 4, 2))
    return rescale(x, 1, 0)  # ExactMulByPot<-1> then Rescale<0>


def get_reciprocal(x: np.ndarray, integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """GetReciprocal: (1 / x as Q0.31 scaled into [0.5, 1], num_bits_over_unit) for a
    positive Q(integer_digits) value."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = clz32(x)
    num_bits_over_unit = integer_digits - headroom_plus_one
    shifted = wrap_int32(((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted), num_bits_over_unit


def log_x_for_x_greater_than_or_equal_to_1(x: np.ndarray, input_bits: int,
                                           output_bits: int) -> np.ndarray:
    """log_x_for_x_greater_than_or_equal_to_1_impl<output_bits, input_bits>."""
    accum_bits = output_bits + 1
    log_2, sqrt_sqrt_half, sqrt_half = 1488522236, 1805811301, 1518500250
    alpha_n, alpha_d, alpha_i, alpha_f = 117049297, 127690142, 1057819769, 638450708
    shifted_quarter = int(rescale(np.int64(536870912), 0, accum_bits))

    z_a = np.asarray(x, dtype=np.int64)
    z_a_headroom_plus_1 = clz32(z_a)
    r_a_tmp = sat_shl(z_a, z_a_headroom_plus_1 - 1)
    r_a_raw = sat_shl(srdhm(r_a_tmp, sqrt_half), 1)
    z_a_pow_2_adj = sat_add(sat_shl(input_bits - z_a_headroom_plus_1, 31 - accum_bits),
                            shifted_quarter)
    z_b = srdhm(z_a, sqrt_half)
    z_b_headroom = clz32(z_b) - 1
    r_b_raw = sat_shl(z_a, z_b_headroom)
    z_b_pow_2_adj = sat_sub(sat_shl(input_bits - z_b_headroom, 31 - accum_bits),
                            shifted_quarter)
    r = np.minimum(r_a_raw, r_b_raw)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)

    p = rounding_half_sum(r, sqrt_sqrt_half)
    q = wrap_int32(r - sqrt_sqrt_half)
    q = wrap_int32(q + q)
    common_sq = srdhm(q, q)
    num = wrap_int32(srdhm(q, r) + srdhm(srdhm(q, common_sq), alpha_n))
    denom_minus_one = wrap_int32(
        srdhm(p, wrap_int32(wrap_int32(alpha_i + q) + srdhm(alpha_d, common_sq)))
        + srdhm(alpha_f, q))
    recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = rescale(num, 0, accum_bits)
    total = wrap_int32(srdhm(z_pow_2_adj, log_2) + srdhm(num_scaled, recip_denom))
    return rescale(total, accum_bits, output_bits)


def inv_sqrt_multiplier_exp(x: np.ndarray, reverse_shift: int) -> tuple[np.ndarray, np.ndarray]:
    """GetInvSqrtQuantizedMultiplierExp over an array of non-negative int32 values:
    (multiplier, shift) per element, Newton-Raphson in Q3.28 (five steps)."""
    x = np.asarray(x, dtype=np.int64)
    small = x <= 1
    shift = np.full(x.shape, 11, dtype=np.int64)
    big = x >= (1 << 29)  # at most one division by 4 below 2^31
    v = np.where(big, x // 4, x)
    shift += big
    v = np.where(small, 2, v)  # placeholder for the special case, replaced at the end
    max_left_shift_bits = clz32(v) - 1
    left_shift_bit_pairs = max_left_shift_bits // 2 - 1
    shift -= left_shift_bit_pairs
    v = v << (2 * left_shift_bit_pairs)
    f3 = v >> 1
    half_input = rdbpot(f3, 1)
    half_three = (1 << 28) + (1 << 27)
    r = np.full(x.shape, 1 << 28, dtype=np.int64)  # F3 one
    for _ in range(5):
        r3 = rescale(srdhm(srdhm(r, r), r), 9, 3)
        r = rescale(wrap_int32(srdhm(half_three, r) - srdhm(half_input, r3)), 6, 3)
    r = srdhm(r, 1518500250)  # * sqrt(2) / 2
    neg = shift < 0
    r = np.where(neg, wrap_int32(r << np.where(neg, -shift, 0)), r)
    shift = np.where(neg, 0, shift)
    r = np.where(small, I32_MAX, r)
    shift = np.where(small, 0, shift)
    return r, shift * reverse_shift


# -- int16 -------------------------------------------------------------------------------------


def wrap16(x: np.ndarray) -> np.ndarray:
    """int64 values reduced modulo 2**16 into the int16 range (C++ int16 wrap)."""
    return (np.asarray(x, dtype=np.int64) + 32768) % 65536 - 32768


def srdhm16(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul on int16: (a*b + 2^14 nudge) / 2^15 truncated,
    -32768 * -32768 saturating to 32767."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    num = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = np.where(num >= 0, num >> 15, -((-num) >> 15))
    return np.where((a == -32768) & (b == -32768), 32767, wrap16(q))


def sdhm16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SaturatingDoublingHighMul (int16, hard_swish.h): a*b / 2^15 truncated toward zero, no
    rounding."""
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    q = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((np.asarray(a) == -32768) & (np.asarray(b) == -32768), 32767, wrap16(q))


def rdbpot16(x: np.ndarray, exponent: int) -> np.ndarray:
    """RoundingDivideByPOT on int16 values: the mask (2^e - 1) is held in an int16, so
    exponents of 16 and more use an all-ones mask (non-negative inputs then gain 1)."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(wrap16(np.int64((1 << exponent) - 1)))
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return wrap16((x >> exponent) + (remainder > threshold))


def sat_shl16(x: np.ndarray, amount: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<amount >= 0> / SaturatingLeftShift on int16 values:
    x * 2^amount clamped to int16."""
    return np.clip(np.asarray(x, dtype=np.int64) << amount, -32768, 32767)


def _c16(raw32: int) -> int:
    """An int32 gemmlowp constant as its int16 instantiation holds it."""
    return int(rdbpot(np.int64(raw32), 16))


def _exp_on_interval16(a: np.ndarray) -> np.ndarray:
    constant_term, one_third = _c16(1895147668), _c16(715827883)
    x = wrap16(a + (1 << 12))
    x2 = srdhm16(x, x)
    x3 = srdhm16(x2, x)
    x4 = srdhm16(x2, x2)
    poly = rdbpot16(wrap16(srdhm16(wrap16(rdbpot16(x4, 2) + x3), one_third) + x2), 1)
    # AddSaturatingIf16Bit: the one int16 addition that saturates.
    return np.clip(constant_term + srdhm16(wrap16(x + poly), constant_term), -32768, 32767)


def exp_on_negative_values16(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp_on_negative_values on int16 raw values: Q(integer_bits) in, Q0.15 out."""
    frac = 15 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = wrap16((a & (quarter - 1)) - quarter)
    result = _exp_on_interval16(sat_shl16(a_mod, integer_bits))
    remainder = wrap16(a_mod - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac + exponent)
            result = np.where(remainder & bit, srdhm16(result, _c16(multiplier)), result)
    return np.where(a == 0, 32767, result)


def _reciprocal_iteration16(a: np.ndarray) -> np.ndarray:
    """The Newton-Raphson core of one_over_one_plus_x / one_minus_x_over_one_plus_x (Q2.13)."""
    half_denominator = rounding_half_sum(a, 32767)
    x = wrap16(_c16(1515870810) + srdhm16(half_denominator, _c16(-1010580540)))
    for _ in range(3):
        one_minus = wrap16((1 << 13) - srdhm16(half_denominator, x))
        x = wrap16(x + sat_shl16(srdhm16(x, one_minus), 2))
    return x


def logistic_int16_gemmlowp(x: np.ndarray) -> np.ndarray:
    """gemmlowp::logistic on Q3.12 int16 inputs, Q0.15 output."""
    a = np.asarray(x, dtype=np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, wrap16(-a))
    exp_neg = exp_on_negative_values16(wrap16(-abs_input), 3)
    r_pos = sat_shl16(_reciprocal_iteration16(exp_neg), 1)  # Rescale<0>(x / 2): Q1 -> Q0
    r_neg = wrap16(32767 - r_pos)
    return np.where(a == 0, 16384, np.where(positive, r_pos, r_neg)).astype(np.int16)


def tanh_int16_gemmlowp(x: np.ndarray, input_left_shift: int) -> np.ndarray:
    """gemmlowp::tanh on Q3.12 int16 inputs (pre-doubled, saturating, for shift 1)."""
    a = np.asarray(x, dtype=np.int64)
    if input_left_shift == 1:
        a = sat_shl16(a, 1)
    negative = a < 0
    n = np.where(negative, a, wrap16(-a))
    exp_neg = exp_on_negative_values16(n, 4)  # ExactMulByPot<1>: Q3.12 read as Q4.11
    t = sat_shl16(wrap16(_reciprocal_iteration16(exp_neg) - (1 << 13)), 2)
    return np.where(a == 0, 0, np.where(negative, wrap16(-t), t)).astype(np.int16)
