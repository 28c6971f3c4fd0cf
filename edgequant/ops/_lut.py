"""Shared arithmetic of the integer activation kernels: lookup tables built the way LiteRT and
XNNPACK build them, and gemmlowp's fixed-point transcendental functions, vectorised.

Lookup tables (built once per op at prepare time and cached by the kernels):

* ``lut_int8``: LiteRT ``LUTPopulateInt8`` (tflite/kernels/internal/common.h): dequantize each
  code in float32, apply the float function, multiply by float32(1 / output_scale),
  ``TfLiteRound`` (half away from zero), add the zero point in float, truncate to int32 (an out
  of range float gives INT32_MIN on x86, as the C cast does there), clamp.
* ``lut_int16`` / ``lut_lookup_int16``: ``LUTPopulateInt16`` (513 entries sampled over the whole
  int16 input range, each corrected by half the midpoint interpolation error) and ``LUTLookup``
  (9-bit index, 7-bit linear interpolation).
* ``xnn_lut_int8``: XNNPACK's quantized unary operators, which evaluate the reference function
  on every dequantized code and requantize with ``nearbyint`` (ties to even)
  (XNNPACK src/operators/unary-elementwise-nc.c, src/xnnpack/reference-utils.h).

The float functions must be the C library's: LiteRT calls ``expf``/``tanhf``/``erfcf``/``exp``
from the platform libm, and NumPy's own float32 ``tanh`` differs from glibc's ``tanhf`` in the
last bit for about a third of all inputs (measured), enough to move table entries that sit near
a rounding boundary. ``libm`` therefore calls the platform libm through ctypes, one element at a
time; that is only ever done for a table (at most 1537 calls), never per activation. When no C
library can be loaded it falls back to NumPy in float64 rounded to the result type.

Fixed point (gemmlowp ``fixedpoint/fixedpoint.h`` and LiteRT ``internal/common.h``): int32 raw
values held in int64 arrays; ``fp_*`` helpers follow gemmlowp's functions of the same name
(exp on negative values, 1 / (1 + x), log, the inverse square root of L2_NORMALIZATION).
Additions that C++ performs on int32 wrap like the hardware does. gemmlowp's int16 logistic
and tanh (the default resolver's kernels for power-of-two int16 scales) have their own
16-bit versions.

Then the per-op pieces several kernels share: QuantizedReluX (RELU, RELU6, RELU_N1_TO_1), the
int16 LOGISTIC / TANH interpolation, HARD_SWISH's int16 arithmetic, SOFTMAX / LOG_SOFTMAX (the
reference fixed-point kernels and the default resolver's float-table ones),
L2_NORMALIZATION, and ``q_example`` for the op files' integer EXAMPLES.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..qmath import (
    cast_float_to_int32,
    quantize_multiplier,
    rdbpot,
    round_half_away,
    srdhm,
    wrap_int32,
)
from ._base import Example, OpContext
from ._quant import tensor_quant
from ._shape import qrand

if TYPE_CHECKING:
    from ..ir import Tensor

I32_MIN = -(2**31)
I32_MAX = 2**31 - 1

# -- the C library --------------------------------------------------------------------------


@functools.cache
def _libm() -> ctypes.CDLL | None:
    candidates = ["libm.so.6"] if sys.platform.startswith("linux") else []
    candidates += [ctypes.util.find_library("m"), ctypes.util.find_library("c")]
    if sys.platform == "win32":
        candidates.append("ucrtbase")
    for path in candidates:
        if path:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


@functools.cache
def _libm_function(name: str) -> Callable[[float], float] | None:
    """The C library's ``name`` (expf, tanhf, erfcf, logf: float -> float; exp: double ->
    double), or None."""
    lib = _libm()
    fn = getattr(lib, name, None) if lib is not None else None
    if fn is None:
        return None
    ctype = ctypes.c_float if name.endswith("f") else ctypes.c_double
    fn.restype = ctype
    fn.argtypes = [ctype]
    return fn


_NUMPY_FALLBACK: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp, "tanh": np.tanh, "log": np.log,
}


def libm(name: str, x: np.ndarray) -> np.ndarray:
    """Apply the C library's ``name`` ('expf', 'tanhf', 'erfcf', 'exp', 'tanh') to every
    element of ``x`` (float32 for the ``f`` variants, else float64). Table building only."""
    single = name.endswith("f")
    dt = np.float32 if single else np.float64
    x = np.asarray(x, dtype=dt)
    fn = _libm_function(name)
    if fn is None:
        base = name[:-1] if single else name
        if base == "erfc":
            from ._nn import erfc
            return erfc(x.astype(np.float64)).astype(dt)
        return _NUMPY_FALLBACK[base](x.astype(np.float64)).astype(dt)
    flat = x.ravel()
    return np.fromiter((fn(float(v)) for v in flat), dtype=dt, count=flat.size).reshape(x.shape)


# -- lookup tables --------------------------------------------------------------------------

FloatFn = Callable[[np.ndarray], np.ndarray]


def lut_int8(fn: FloatFn, in_scale: float, in_zp: int, out_scale: float, out_zp: int,
             dtype: str = "int8") -> np.ndarray:
    """LUTPopulateInt8: the table as int64, entry ``k`` for code ``qmin + k``."""
    lo, hi = (-128, 127) if dtype == "int8" else (0, 255)
    codes = np.arange(lo, hi + 1, dtype=np.int64)
    f32 = np.float32
    inverse_scale = f32(1) / f32(out_scale)
    dequantized = f32(in_scale) * (codes - in_zp).astype(f32)
    transformed = np.asarray(fn(dequantized), dtype=f32)
    with np.errstate(over="ignore", invalid="ignore"):
        rescaled = round_half_away(transformed * inverse_scale).astype(f32)
        shifted = rescaled + f32(out_zp)
    return np.clip(cast_float_to_int32(shifted), lo, hi)


def lut_int16(fn: FloatFn, in_scale: float, in_zp: int, out_scale: float, out_zp: int,
              double: bool = False) -> np.ndarray:
    """LUTPopulateInt16 in float32 (or float64 for the legacy double overload): 513 int64
    entries for ``lut_lookup_int16``."""
    ft = np.float64 if double else np.float32
    input_min = ft(in_scale) * ft(-32768 - in_zp)
    input_max = ft(in_scale) * ft(32767 - in_zp)
    output_min = ft(out_scale) * ft(-32768 - out_zp)
    output_max = ft(out_scale) * ft(32767 - out_zp)
    step = (input_max - input_min) / ft(512)
    half_step = step / ft(2)
    inv = ft(65536) / (output_max - output_min)
    i = np.arange(512).astype(ft)
    x = input_min + i * step
    val = np.asarray(fn(x), dtype=ft)
    val_mid = np.asarray(fn(x + half_step), dtype=ft)
    val_next = np.asarray(fn(input_min + (i + ft(1)) * step), dtype=ft)

    def rnd(v: np.ndarray) -> np.ndarray:
        return round_half_away(v).astype(ft)

    sample = rnd(val * inv)
    mid_interp = rnd((val_next * inv + sample) / ft(2))
    mid_err = mid_interp - rnd(val_mid * inv)
    bias = rnd(mid_err / ft(2))
    last = rnd(np.asarray(fn(np.array([input_max], dtype=ft)), dtype=ft) * inv)
    table = np.concatenate([sample - bias, last])
    return np.clip(table, -32768, 32767).astype(np.int64)


def lut_lookup_int16(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """LUTLookup(int16): the high 9 bits index the table, the low 7 interpolate (rounded)."""
    v = np.asarray(x, dtype=np.int64)
    index = 256 + (v >> 7)
    offset = v & 0x7F
    base = lut[index]
    slope = (lut[index + 1] - base + 32768) % 65536 - 32768  # held in an int16
    return ((base + ((slope * offset + 64) >> 7)) + 32768) % 65536 - 32768


def xnn_lut_int8(fn: FloatFn, in_scale: float, in_zp: int, out_scale: float, out_zp: int,
                 ) -> np.ndarray:
    """XNNPACK's table for a quantized int8 unary op: y = fn((q - zp) * scale) in float32,
    then nearbyint(y * float32(1 / out_scale) + zp) saturated (int64, entry k for code
    k - 128)."""
    f32 = np.float32
    codes = np.arange(-128, 128).astype(f32)
    x = (codes - f32(in_zp)) * f32(in_scale)
    y = np.asarray(fn(x), dtype=f32)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.rint(y * (f32(1) / f32(out_scale)) + f32(out_zp))
    q = np.where(np.isnan(q), 0, q)
    return np.clip(q, -128, 127).astype(np.int64)


_UNSIGNED = {"int8": np.uint8, "int16": np.uint16}


def code_table(dtype: str, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """An elementwise integer kernel (int64 codes in, values within ``dtype``'s range out)
    evaluated once at every code of ``dtype`` (256 or 65536), ordered for ``apply_table``.
    Bit-exact by construction, and the lookup is 30-70x faster than redoing the fixed-point
    arithmetic per element (measured on 800k-element tensors)."""
    lo, _ = qrange(dtype)
    values = np.asarray(fn(every_code(dtype, (-1,)).astype(np.int64)), dtype=np.int64)
    return np.roll(values.astype(dtype), lo)  # entry u for the code whose unsigned view is u


def apply_table(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """table[code] for every element, indexing by the codes' unsigned view."""
    x = np.asarray(x)
    return np.take(table, x.view(_UNSIGNED[x.dtype.name]))


# -- integer helpers ------------------------------------------------------------------------


def clz32(x: np.ndarray) -> np.ndarray:
    """CountLeadingZeros of uint32 values (32 for zero)."""
    v = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    _, e = np.frexp(v.astype(np.float64))  # exact: v < 2**53, and frexp(0) gives 0
    return 32 - e.astype(np.int64)


def mbqm(x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (gemmlowp double rounding) on int32 values; the left
    shift wraps as the C++ int32 multiply does. Multiplier and shift may be arrays."""
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap_int32(np.asarray(x, dtype=np.int64) << left)
    return rdbpot(srdhm(shifted, multiplier), right)


def sat_shl(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT(Param) for exponent >= 0: x * 2^exponent saturated to
    int32 (the exponent may vary per element)."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    threshold = (np.int64(1) << (31 - e)) - 1
    return np.where(x > threshold, I32_MAX, np.where(x < -threshold, I32_MIN, x << e))


def mul_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift, or a
    rounding right shift for a negative exponent."""
    if exponent > 0:
        return sat_shl(x, exponent)
    if exponent < 0:
        return rdbpot(x, -exponent)
    return np.asarray(x, dtype=np.int64)


def rescale(x: np.ndarray, src_bits: int, dst_bits: int) -> np.ndarray:
    """gemmlowp Rescale<dst_bits> of a FixedPoint<int32, src_bits>."""
    return mul_pot(x, src_bits - dst_bits)


def rounding_half_sum(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp RoundingHalfSum (int32): (a + b + sign) / 2 with C truncation."""
    s = np.asarray(a, dtype=np.int64) + b
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s // 2, -((-s) // 2))


def sat_add(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return np.clip(np.asarray(a, dtype=np.int64) + b, I32_MIN, I32_MAX)


def sat_sub(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return np.clip(np.asarray(a, dtype=np.int64) - b, I32_MIN, I32_MAX)


# -- gemmlowp fixed-point functions (int32 raw values) ---------------------------------------

_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def fp_exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
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


def fp_exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp(a) for a <= 0 given in Q(integer_bits).(31 - integer_bits); result Q0.31."""
    a = np.asarray(a, dtype=np.int64)
    frac = 31 - integer_bits
    one_quarter = 1 << (frac - 2)
    a_mod = wrap_int32((a & (one_quarter - 1)) - one_quarter)
    result = fp_exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod, integer_bits, 0))
    remainder = wrap_int32(a_mod - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = np.int64(1) << (frac + exponent)
            result = np.where(remainder & bit, srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, I32_MAX, result)


def fp_one_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson, three steps)."""
    half_denominator = rounding_half_sum(a, I32_MAX)
    x = wrap_int32(1515870810 + srdhm(half_denominator, -1010580540))  # Q2.29: 48/17 - 32/17 d
    for _ in range(3):
        one_minus = wrap_int32((1 << 29) - srdhm(half_denominator, x))
        x = wrap_int32(x + rescale(srdhm(x, one_minus), 4, 2))
    return rescale(x, 1, 0)


def get_reciprocal(x: np.ndarray, integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """LiteRT GetReciprocal: (1 / x as Q0.31 scaled into [0.5, 1], num_bits_over_unit) for a
    positive Q(integer_digits) value."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = clz32(x)
    num_bits_over_unit = integer_digits - headroom_plus_one
    shifted = wrap_int32(((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return fp_one_over_one_plus_x_for_x_in_0_1(shifted), num_bits_over_unit


def fp_log_x_for_x_greater_than_or_equal_to_1(x: np.ndarray, input_bits: int,
                                               output_bits: int) -> np.ndarray:
    """LiteRT log_x_for_x_greater_than_or_equal_to_1_impl<output_bits, input_bits>."""
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
    recip_denom = fp_one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = rescale(num, 0, accum_bits)
    total = wrap_int32(srdhm(z_pow_2_adj, log_2) + srdhm(num_scaled, recip_denom))
    return rescale(total, accum_bits, output_bits)


def inv_sqrt_multiplier_exp(x: np.ndarray, reverse_shift: int) -> tuple[np.ndarray, np.ndarray]:
    """LiteRT GetInvSqrtQuantizedMultiplierExp over an array of non-negative int32 sums:
    (multiplier, shift) per element, Newton-Raphson in Q3.28."""
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


def checked_log2(x: float) -> tuple[bool, int]:
    """LiteRT CheckedLog2 in float32: (is a power of two within 1e-3 in log2, rounded log2)."""
    f32 = np.float32
    logs = libm("logf", np.array([x, 2.0], dtype=f32)) if _libm_function("logf") else None
    if logs is None:
        logs = np.log(np.array([x, 2.0], dtype=np.float64)).astype(f32)
    x_log2 = logs[0] * (f32(1) / logs[1])
    rounded = f32(round_half_away(x_log2))
    return bool(abs(x_log2 - rounded) < f32(1e-3)), int(rounded)


# -- kernel plumbing ------------------------------------------------------------------------

_QRANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def qrange(dtype: str) -> tuple[int, int]:
    return _QRANGE[dtype]


def per_tensor(t: Tensor, op: str, what: str) -> tuple[np.float32, int]:
    """(float32 scale, zero point) of a per-tensor quantized tensor; LiteRT's activation
    kernels read only ``params.scale`` / ``params.zero_point``."""
    q = tensor_quant(t, f"{op} {what}")
    if q.scale.size != 1:
        raise ValueError(f"{op}: {what} {t.name!r} must be quantized per tensor, got "
                         f"{q.scale.size} scales")
    return np.float32(q.scale[0]), int(q.zero_point[0])


def io_types(ctx: OpContext, op: str, allowed: tuple[str, ...], same: bool = True
             ) -> tuple[str, str]:
    """(input dtype, output dtype) of a quantized activation, checked against ``allowed``
    (and equal to each other unless ``same`` is False)."""
    t_in, t_out = ctx.op.inputs[0].dtype, ctx.op.outputs[0].dtype
    if t_in not in allowed:
        raise TypeError(f"{op}: LiteRT's integer kernel takes {' or '.join(allowed)} input, "
                        f"got {t_in}")
    if same and t_out != t_in:
        raise TypeError(f"{op}: output type {t_out} must equal the input type {t_in}")
    return t_in, t_out


def zero_points_zero(op: str, **zps: int) -> None:
    """LiteRT's int16 kernels require symmetric tensors."""
    bad = {k: v for k, v in zps.items() if v != 0}
    if bad:
        raise ValueError(f"{op}: int16 tensors need zero point 0, got "
                         + ", ".join(f"{k} {v}" for k, v in bad.items()))


def cached(ctx: OpContext, build: Callable[[], dict]) -> dict:
    """Prepare-time values of an integer kernel, computed once per op (the quantization of an
    op's tensors does not change between invokes)."""
    st = ctx.state.get("int")
    if st is None:
        st = ctx.state["int"] = build()
    return st


def relu_x_prepare(ctx: OpContext, op: str, lo: float, hi: float | None,
                   allowed: tuple[str, ...]) -> dict:
    """ReluPrepare + QuantizedReluX (activations.cc): rescale by float32(s_in / s_out) through
    QuantizeMultiplier, then clamp to zp + roundf(bound / s_out) in float32, inside the type's
    range (``hi`` None: no upper bound)."""
    t, _ = io_types(ctx, op, allowed)
    s_in, zp_in = per_tensor(ctx.op.inputs[0], op, "input")
    s_out, zp_out = per_tensor(ctx.op.outputs[0], op, "output")
    if t == "int16":
        zero_points_zero(op, input=zp_in, output=zp_out)
    mult, shift = quantize_multiplier(float(s_in / s_out))
    qmin, qmax = qrange(t)

    def bound(v: float) -> int:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            r = round_half_away(np.float32(v) / s_out)
        return int(wrap_int32(zp_out + cast_float_to_int32(r)))

    act_min = max(qmin, bound(lo))
    act_max = qmax if hi is None else min(qmax, bound(hi))

    def relu_x(x: np.ndarray) -> np.ndarray:
        v = mbqm(np.asarray(x, dtype=np.int64) - zp_in, mult, shift)
        return np.clip(v + zp_out, act_min, act_max)

    return {"table": code_table(t, relu_x)}


# -- LOGISTIC / TANH int16 (reference_integer_ops::Logistic / Tanh) ---------------------------

# sigmoid(i / 24) in 0.16 fixed point (LiteRT internal/common.h sigmoid_table_uint16); tanh
# uses it through tanh(x) = 2 sigmoid(2x) - 1.
SIGMOID_TABLE_UINT16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535], dtype=np.int64)


def sigmoid_tanh_int16_prepare(op: str, in_scale: np.float32, pot_shifts: tuple[int, ...]
                               ) -> tuple[int, int]:
    """(input_multiplier, input_left_shift) of Sigmoid/TanhPrepare for int16: a power-of-two
    input scale whose shift 12 + log2(scale) is in ``pot_shifts`` keeps multiplier 0 (the
    kernel then uses 3 << shift); otherwise the scale times 3 * 4096 is doubled until it
    exceeds 32767 / 2 (at most 31 times) and truncated."""
    is_pot, log2 = checked_log2(in_scale)
    left_shift = 12 + log2
    if is_pot and left_shift in pot_shifts:
        return 0, left_shift
    multiplier = float(in_scale) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    return int(cast_float_to_int32(np.trunc(multiplier))), left_shift


def _int16_prescale(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    if multiplier == 0:
        multiplier, left_shift = 3 << left_shift, 0
    rnd = (1 << (left_shift - 1)) if left_shift > 0 else 0
    return wrap_int32(np.asarray(x, dtype=np.int64) * multiplier + rnd) >> left_shift


def logistic_int16(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    """reference_integer_ops::Logistic (int16): interpolate the sigmoid table at |x| in 9-bit
    steps, mirror for negative inputs, round to Q0.15."""
    v = _int16_prescale(x, multiplier, left_shift)
    a = np.abs(v)
    uh = a >> 9
    idx = np.minimum(uh, 254)
    ua = SIGMOID_TABLE_UINT16[idx]
    ub = SIGMOID_TABLE_UINT16[idx + 1]
    r = np.where(uh >= 255, 0x7FFF << 10, (ua << 9) + (a & 0x1FF) * (ub - ua))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1) & 0xFFFFFFFF
    return (r >> 10).astype(np.int16)


def tanh_int16(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    """reference_integer_ops::Tanh (int16): the sigmoid table at |x| in 8-bit steps,
    2 sigmoid - 1, mirrored, in Q0.15."""
    v = _int16_prescale(x, multiplier, left_shift)
    a = np.abs(v)
    uh = a >> 8
    idx = np.minimum(uh, 254)
    ua = SIGMOID_TABLE_UINT16[idx]
    ub = SIGMOID_TABLE_UINT16[idx + 1]
    r = wrap_int32(np.where(uh >= 255, 0xFFFF << 8, (ua << 8) + (a & 0xFF) * (ub - ua)))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


def sigmoid_f32(x: np.ndarray) -> np.ndarray:
    """1.0f / (1.0f + expf(-x)), LiteRT's int8 LOGISTIC table function."""
    one = np.float32(1)
    return one / (one + libm("expf", -np.asarray(x, dtype=np.float32)))


def sigmoid_xnn(x: np.ndarray) -> np.ndarray:
    """XNNPACK's reference sigmoid: exp in double, e / (1 + e) rounded to float; 1 above 100,
    0 below -100 (src/reference/unary-elementwise.cc SigmoidOp)."""
    x = np.asarray(x, dtype=np.float32)
    e = libm("exp", np.clip(x, -100, 100).astype(np.float64))
    y = (e / (1 + e)).astype(np.float32)
    return np.where(x > 100, np.float32(1), np.where(x < -100, np.float32(0), y))


def tanh_f32(x: np.ndarray) -> np.ndarray:
    return libm("tanhf", x)


# -- gemmlowp's int16 logistic / tanh (optimized_ops::Logistic / Tanh for int16) --------------
# The default resolver runs these instead of the reference for power-of-two input scales
# (input_multiplier 0). Same algorithms as the int32 fp_* functions above, on int16 raw values:
# constants are the int32 ones rounded by 16 bits, additions wrap at 16 bits except the one
# AddSaturatingIf16Bit saturates.


def _c16(raw32: int) -> int:
    return int(rdbpot(np.int64(raw32), 16))


def _shl16(x: np.ndarray, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<exponent > 0> on int16."""
    threshold = (1 << (15 - exponent)) - 1
    return np.where(x > threshold, 32767, np.where(x < -threshold, -32768, _wrap16(x << exponent)))


def _fp16_exp_interval(a: np.ndarray) -> np.ndarray:
    constant_term, one_third = _c16(1895147668), _c16(715827883)
    x = _wrap16(a + (1 << 12))
    x2 = srdhm16(x, x)
    x3 = srdhm16(x2, x)
    x4 = srdhm16(x2, x2)
    poly = rdbpot16(_wrap16(srdhm16(_wrap16(rdbpot16(x4, 2) + x3), one_third) + x2), 1)
    return np.clip(constant_term + srdhm16(_wrap16(x + poly), constant_term), -32768, 32767)


def _fp16_exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    frac = 15 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = _wrap16((a & (quarter - 1)) - quarter)
    result = _fp16_exp_interval(_shl16(a_mod, integer_bits))
    remainder = _wrap16(a_mod - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac + exponent)
            result = np.where(remainder & bit, srdhm16(result, _c16(multiplier)), result)
    return np.where(a == 0, 32767, result)


def _fp16_reciprocal_iteration(a: np.ndarray) -> np.ndarray:
    """The Newton-Raphson core of one_over_one_plus_x / one_minus_x_over_one_plus_x (Q2.13)."""
    half_denominator = rounding_half_sum(a, 32767)
    x = _wrap16(_c16(1515870810) + srdhm16(half_denominator, _c16(-1010580540)))
    for _ in range(3):
        one_minus = _wrap16((1 << 13) - srdhm16(half_denominator, x))
        x = _wrap16(x + _shl16(srdhm16(x, one_minus), 2))
    return x


def logistic_int16_gemmlowp(x: np.ndarray) -> np.ndarray:
    """gemmlowp::logistic on Q3.12 int16 inputs, Q0.15 output."""
    a = np.asarray(x, dtype=np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, _wrap16(-a))
    exp_neg = _fp16_exp_on_negative_values(_wrap16(-abs_input), 3)
    r_pos = _shl16(_fp16_reciprocal_iteration(exp_neg), 1)  # Rescale<0>(x / 2): Q1 -> Q0
    r_neg = _wrap16(32767 - r_pos)
    return np.where(a == 0, 16384, np.where(positive, r_pos, r_neg)).astype(np.int16)


def tanh_int16_gemmlowp(x: np.ndarray, input_left_shift: int) -> np.ndarray:
    """gemmlowp::tanh on Q3.12 int16 inputs (pre-doubled, saturating, for shift 1)."""
    a = np.asarray(x, dtype=np.int64)
    if input_left_shift == 1:
        a = _shl16(a, 1)
    negative = a < 0
    n = np.where(negative, a, _wrap16(-a))
    exp_neg = _fp16_exp_on_negative_values(n, 4)  # ExactMulByPot<1>: Q3.12 read as Q4.11
    t = _shl16(_wrap16(_fp16_reciprocal_iteration(exp_neg) - (1 << 13)), 2)
    return np.where(a == 0, 0, np.where(negative, _wrap16(-t), t)).astype(np.int16)


# -- HARD_SWISH int8 (reference_ops::HardSwish, quantized) -----------------------------------


def _wrap16(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) + 32768) % 65536 - 32768


def srdhm16(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + 2^14 nudge) / 2^15
    truncated, -32768 * -32768 saturating to 32767."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    num = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = np.where(num >= 0, num >> 15, -((-num) >> 15))
    return np.where((a == -32768) & (b == -32768), 32767, _wrap16(q))


def sdhm16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SaturatingDoublingHighMul (int16): a*b / 2^15 truncated toward zero, no rounding."""
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    q = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((np.asarray(a) == -32768) & (np.asarray(b) == -32768), 32767, _wrap16(q))


def rdbpot16(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT on int16 values: the mask (2^e - 1) is held in an int16,
    so exponents of 16 and more use an all-ones mask."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(_wrap16(np.int64((1 << exponent) - 1)))
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return _wrap16((x >> exponent) + (remainder > threshold))


def sat_shl16(x: np.ndarray, amount: int) -> np.ndarray:
    """SaturatingLeftShift (hard_swish.h): x * 2^amount clamped to int16."""
    return np.clip(np.asarray(x, dtype=np.int64) << amount, -32768, 32767)


def downscale_multiplier16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15, saturating."""
    if m >= I32_MAX - (1 << 15):
        return 32767
    return (m + (1 << 15)) >> 16


def hard_swish_prepare(op: str, s_in: np.float32, zp_in: int, s_out: np.float32, zp_out: int
                       ) -> dict:
    """HardSwishPrepare: the scales combine in float32 as LiteRT writes them."""
    f32 = np.float32
    hires_input_scale = f32(f32(1.0) / f32(128.0)) * s_in
    reluish_scale = f32(3.0) / f32(32768.0)
    out_mult, out_exp = quantize_multiplier(float(hires_input_scale / s_out))
    if out_exp > 0:
        raise ValueError(f"{op}: the output scale {s_out} must be at least the input scale "
                         f"{s_in} / 128 (LiteRT requires a non-positive output exponent)")
    rel_mult, rel_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    return {"zp_in": zp_in, "zp_out": zp_out,
            "out_mult": downscale_multiplier16(out_mult), "out_exp": out_exp,
            "rel_mult": downscale_multiplier16(rel_mult), "rel_exp": rel_exp}


def hard_swish(x: np.ndarray, st: dict, lo: int, hi: int) -> np.ndarray:
    """The quantized HardSwish, all in int16 arithmetic as LiteRT does it."""
    v = _wrap16(np.asarray(x, dtype=np.int64) - st["zp_in"])
    hires = _wrap16(v * 128)
    preshift_out = srdhm16(hires, st["out_mult"])
    reluish = hires
    e = st["rel_exp"]
    if e > 0:
        reluish = sat_shl16(reluish, e - 1)
    reluish = srdhm16(reluish, st["rel_mult"])
    if e > 0:
        reluish = sat_shl16(reluish, 1)
    if e < 0:
        reluish = rdbpot16(reluish, -e)
    reluish = (reluish + (1 << 15)) >> 1
    out = rdbpot16(sdhm16(reluish, preshift_out), -st["out_exp"])
    out = _wrap16(out + st["zp_out"])
    return np.clip(out, lo, hi)


# -- GELU table functions (reference/gelu.h GeluTransform, GeluTransformApproximate) ---------

_GELU_SQRT1_2 = np.float32(-0.70710678118654752440)  # static_cast<float>(-M_SQRT1_2)
_GELU_SQRT_2_OVER_PI = np.float32(1.12837916709551257390 * 0.70710678118654752440)


def gelu_f32(x: np.ndarray) -> np.ndarray:
    """0.5f * x * erfcf(x * -sqrt(1/2)), in float32 with the C library's erfcf."""
    x = np.asarray(x, dtype=np.float32)
    return np.float32(0.5) * x * libm("erfcf", x * _GELU_SQRT1_2)


def gelu_approximate_f32(x: np.ndarray) -> np.ndarray:
    """0.5f * x * (1 + tanhf(sqrt(2/pi) * (x + 0.044715f * x * x * x))), evaluated left to
    right in float32 as the C++ expression is."""
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        cube = np.float32(0.044715) * x * x * x
        inner = _GELU_SQRT_2_OVER_PI * (x + cube)
        return np.float32(0.5) * x * (np.float32(1) + libm("tanhf", inner))


# -- SOFTMAX / LOG_SOFTMAX -------------------------------------------------------------------


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
    exp0 = np.where(valid, fp_exp_on_negative_values(rescaled, 5), 0)
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
    exp_lut = lut_int16(lambda v: libm("exp", v), 10.0 / rng, 32767, 2.0 / rng, 0, double=True)
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
    return libm("expf", scale * v.astype(np.float32))[::-1].copy()


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
    exps = np.where(diff >= st["diff_min"], fp_exp_on_negative_values(diff_q5, 5), 0)
    total = wrap_int32(rdbpot(exps, 12).sum(axis=-1, keepdims=True))
    log_sum = fp_log_x_for_x_greater_than_or_equal_to_1(total, 12, 5)
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


# -- L2_NORMALIZATION int8 (reference_integer_ops::L2Normalization) --------------------------


def l2_normalization_int8(x: np.ndarray, zp_in: int) -> np.ndarray:
    """Sum of squares per row in int32, an inverse square root by Newton-Raphson
    (GetInvSqrtQuantizedMultiplierExp), and each (x - zp) rescaled by it into Q0.7."""
    v = np.asarray(x, dtype=np.int64) - zp_in
    acc = wrap_int32((v * v).sum(axis=-1, keepdims=True))
    mult, shift = inv_sqrt_multiplier_exp(acc, -1)
    return np.clip(mbqm(v, mult, shift + 7), -128, 127)


# -- examples for the op files' EXAMPLES ------------------------------------------------------


def every_code(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """All codes of ``dtype`` in order, reshaped to ``shape`` (256 or 65536 elements), so
    that a table or a rescale is checked at every input."""
    lo, hi = qrange(dtype)
    return np.arange(lo, hi + 1).astype(dtype).reshape(shape)


def rand_scale(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A log-uniform scale in [lo, hi], rounded to float32 as the file stores it."""
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def q_example(rng: np.random.Generator, dtype: str, name: str,
              options: dict | None = None, *, shape: tuple[int, ...] | None = None,
              x: np.ndarray | None = None, q_in: tuple[float, int] | None = None,
              q_out: tuple[float, int] | None = None, out_dtype: str | None = None,
              in_range: tuple[float, float] = (1e-3, 0.5)) -> Example:
    """A quantized single-input example: random codes of ``dtype`` (by default a random
    multi-dimensional shape with a batch of 2 or more), random scales and zero points unless
    given (int16 zero points are 0), the output scale within a factor e of the input's."""
    if x is None:
        if shape is None:
            shape = (int(rng.integers(2, 4)),) + tuple(int(d) for d in rng.integers(1, 7, 2))
        x = qrand(rng, shape, dtype)
    zp = (lambda: 0) if dtype == "int16" else (lambda: int(rng.integers(-100, 101)))
    if q_in is None:
        q_in = (rand_scale(rng, *in_range), zp())
    if q_out is None:
        q_out = (float(np.float32(q_in[0] * np.exp(rng.uniform(-1, 1)))), zp())
    return Example([x], dict(options or {}), name, quant={"in0": q_in, "out0": q_out},
                   output_dtypes=[out_dtype] if out_dtype else None)
