"""Integer (int8 / 16x8) arithmetic elementwise kernels: ADD, SUB, MUL, DIV and
SQUARED_DIFFERENCE, bit-exact with LiteRT's reference kernels (ai-edge-litert 2.3.0,
BUILTIN_REF), and XNNPACK's int8 ADD / SUB / MUL for the 'xnnpack' profile.

* ADD / SUB: tflite/kernels/add.cc, sub.cc (reference_integer_ops::Add,
  reference_ops::SubWithActivation, BroadcastAdd6DSlow / BroadcastSubSlow): inputs rescaled to
  twice the larger input scale after a left shift, summed, rescaled to the output; and the
  int16 power-of-two path (``pot_scale_int16``).
* MUL: mul.cc (reference_integer_ops::Mul / BroadcastMul6DSlow).
* DIV: div.cc (reference_ops::DivElementwise / BroadcastDivSlowQuantized): gemmlowp
  reciprocal (GetReciprocal), with what the x86 build computes for shift counts of 32 and more.
* SQUARED_DIFFERENCE: squared_difference.cc (int8 only).
* Fused activations: CalculateActivationRangeQuantized (kernel_util.cc).
* XNNPACK: xnn_init_qs8_add_minmax_scalar_params and the qs8 vmul fp32 requantization, with
  the delegate's node checks (xnnpack_delegate.cc VisitBinaryNode).

Kernels are tables wherever the result depends only on the input codes: an int8 binary op is a
256 x 256 table computed once per interpreter plan (``BinaryKernel``); int16 computes directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..dtypes import qrange
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ..qmath import quantize_multiplier, rdbpot, round_half_away, srdhm, wrap_int32
from ._base import OpContext
from ._elementwise import broadcast_shape
from ._fixedpoint import count_leading_sign_bits32, get_reciprocal, rdbpot16
from ._intparams import (
    QUANT_TYPES,
    cached,
    check_types,
    checked_log2,
    multiplier_below_one,
    per_tensor,
    require_zero_points,
)
from ._lut import all_codes

# -- binary kernels ----------------------------------------------------------------------------

PairFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


class BinaryKernel:
    """A binary integer kernel: ``fn`` maps broadcast int64 code arrays to results. int8 runs
    through a 256 x 256 table built on first use; int16 computes directly."""

    def __init__(self, fn: PairFn, out_dtype: np.dtype | type):
        self.fn = fn
        self.out_dtype = np.dtype(out_dtype)
        self._table: np.ndarray | None = None

    def table(self) -> np.ndarray:
        if self._table is None:
            # Entry (a & 0xff) << 8 | (b & 0xff): codes in uint8 order 0..127, -128..-1.
            codes = np.arange(256, dtype=np.uint8).view(np.int8).astype(np.int64)
            self._table = self.fn(np.repeat(codes, 256), np.tile(codes, 256)).astype(
                self.out_dtype)
        return self._table

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype == np.int8:
            # uint16 indices: a third of the memory traffic of intp ones.
            idx = np.left_shift(a.view(np.uint8), 8, dtype=np.uint16)
            return np.asarray(self.table()[np.bitwise_or(idx, b.view(np.uint8))])
        return np.asarray(self.fn(a.astype(np.int64), b.astype(np.int64)), self.out_dtype)


def run_binary(ctx: OpContext, a: np.ndarray, b: np.ndarray,
               prepare: Callable[[OpContext, str], BinaryKernel],
               allowed: tuple[str, ...] = QUANT_TYPES, out: bool = True) -> np.ndarray:
    """Type and broadcast checks, then the cached kernel ``prepare(ctx, dtype)``."""
    dtype = check_types(ctx, a, b, allowed=allowed, out=out)
    if a.shape != b.shape:
        broadcast_shape(ctx.op.type, a, b)
    return cached(ctx, lambda: prepare(ctx, dtype), ("binary", dtype))(a, b)


def rescale_inputs(op: str, s1: np.float32, s2: np.float32
                   ) -> tuple[float, tuple[int, int], tuple[int, int]]:
    """ADD/SUB/SQUARED_DIFFERENCE input stage: both inputs move to 2 * max(s1, s2) (exact in
    float32), each multiplier via QuantizeMultiplierSmallerThanOneExp."""
    twice_max = float(np.float32(2) * max(s1, s2))
    m1 = multiplier_below_one(op, float(s1) / twice_max, "input 1")
    m2 = multiplier_below_one(op, float(s2) / twice_max, "input 2")
    return twice_max, m1, m2


def scaled_input(q: np.ndarray, zp: int, left_shift: int, m: tuple[int, int]) -> np.ndarray:
    # (q - zp) << left_shift is int32 arithmetic in C++: it fits for zero points within the
    # type's range (shifts 20/15/8/7), and wraps, as mbqm's does, for zero points beyond it.
    return mbqm((q - zp) << left_shift, *m)


def input_table(dtype: str, zp: int, left_shift: int, m: tuple[int, int]
                ) -> Callable[[np.ndarray], np.ndarray]:
    """``scaled_input`` as a lookup over every code of ``dtype`` (it depends on the code only)."""
    lo = qrange(dtype)[0]
    table = scaled_input(all_codes(dtype), zp, left_shift, m)
    return lambda q: table[q - lo]


def binary_params(ctx: OpContext
                  ) -> tuple[np.float32, int, np.float32, int, np.float32, int]:
    """(s1, z1, s2, z2, s_out, z_out) of a binary op's per-tensor quantization."""
    op = ctx.op.type
    s1, z1 = per_tensor(ctx.op.inputs[0], op, "input 1")
    s2, z2 = per_tensor(ctx.op.inputs[1], op, "input 2")
    so, zo = per_tensor(ctx.op.outputs[0], op, "output")
    return s1, z1, s2, z2, so, zo


def activation_range(ctx: OpContext, dtype: str, scale: np.float32, zp: int
                     ) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: bounds quantized in float32 with round half away,
    intersected with the type range. TANH and SIGN_BIT are not handled there: full range."""
    act = ctx.options.get("fused_activation_function", "NONE")
    qmin, qmax = qrange(dtype)

    def q(f: float) -> int:
        tmp = float(round_half_away(np.float32(f) / scale))
        if not -(2.0**31) <= tmp <= 2.0**31:
            raise ValueError(f"{ctx.op.type}: {act} bound {f} overflows int32 at output "
                             f"scale {scale}")
        return int(wrap_int32(zp + int(tmp)))

    if act in ("RELU", 1):
        return max(qmin, q(0.0)), qmax
    if act in ("RELU6", 3):
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act in ("RELU_N1_TO_1", 2):
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    return qmin, qmax


# -- ADD / SUB (add.cc, sub.cc) ----------------------------------------------------------------


def add_sub_kernel(ctx: OpContext, dtype: str, sign: int) -> BinaryKernel:
    """Prepare ADD (sign +1) or SUB (sign -1) for int8 or int16 tensors.

    General path (int8, and int16 unless the power-of-two path applies): both inputs are
    rescaled to 2 * max(s1, s2) after a left shift of 20 (int8) or 15 (int16), summed, and the
    sum rescaled to the output. int16 power-of-two path (``pot_scale_int16`` true, the schema
    default, and all three scales powers of two within 1e-3 in log2): one input is rounded right
    by the scale ratio and added with int16 saturation.
    """
    op = ctx.op.type
    s1, z1, s2, z2, so, zo = binary_params(ctx)
    lo, hi = activation_range(ctx, dtype, so, zo)
    if dtype == "int16":
        require_zero_points(op, {"input 1": z1, "input 2": z2, "output": zo})
        if ctx.options.get("pot_scale_int16", True):
            pots = [checked_log2(s) for s in (s1, s2, so)]
            if all(p for p, _ in pots):
                return _pot_int16_kernel(op, sign, pots[0][1] - pots[2][1],
                                         pots[1][1] - pots[2][1], lo, hi)
    elif op == "SUB":
        tmin, tmax = qrange(dtype)
        if not all(tmin <= z <= tmax for z in (z1, z2, zo)):
            raise ValueError(f"{op}: zero points {z1}, {z2}, {zo} outside the {dtype} range")
    if xnn_delegates(ctx, dtype, (np.float32(s1 / so), np.float32(s2 / so)), 2.0**-10, 256.0):
        return xnn_add_kernel(ctx, sign, s1, z1, s2, z2, so, zo)
    left = 20 if dtype == "int8" else 15
    twice_max, m1, m2 = rescale_inputs(op, s1, s2)
    real_out = twice_max / float(np.float32(np.float32(1 << left) * so))
    if op == "SUB" and real_out > 1.0:
        # sub.cc takes QuantizeMultiplierGreaterThanOne here but then applies the multiplier
        # with MultiplyByQuantizedMultiplierSmallerThanOneExp: a negative shift count, whose
        # result is undefined (measured: garbage). ADD aborts instead.
        raise ValueError(f"{op}: output multiplier {real_out!r} > 1 (output scale {so} is "
                         f"below 2^-{left - 1} of the input scales); LiteRT's result is "
                         "undefined there")
    mo = multiplier_below_one(op, real_out, "output")

    in1, in2 = input_table(dtype, z1, left, m1), input_table(dtype, z2, left, m2)
    neon = (op == "ADD" and dtype == "int16"
            and getattr(ctx.runner, "profile", "reference") in ("optimized", "xnnpack"))

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raw = in1(a) + sign * in2(b)
        out = np.clip(mbqm(raw, *mo) + zo, lo, hi)
        if neon and a.shape == b.shape and a.size >= 16:
            # LiteRT's optimized int16 ADD (what its default path runs: XNNPACK takes no
            # int16) handles 16 elements at a time with NEON intrinsics (emulated with SSE on
            # x86: NEON_2_SSE) and the rest with the reference formula
            # (optimized_integer_ops AddElementwiseInt16).
            n = a.size // 16 * 16
            x1 = _vqrdmulh(_neon_shift(a.reshape(-1)[:n] - z1, left + m1[1]), m1[0])
            x2 = _vqrdmulh(_neon_shift(b.reshape(-1)[:n] - z2, left + m2[1]), m2[0])
            v = rdbpot(_vqrdmulh(wrap_int32(x1 + x2), mo[0]), -mo[1]) + zo
            flat = out.reshape(-1)
            flat[:n] = np.clip(v, lo, hi)
        return out

    return BinaryKernel(fn, dtype)


def _vqrdmulh(a: np.ndarray, b: int) -> np.ndarray:
    """NEON vqrdmulhq_n_s32: (2ab + 2^31) >> 32, ties toward +inf (gemmlowp's SRDHM rounds
    ties away from zero), saturating the single overflow case."""
    a = np.asarray(a, np.int64)
    r = (a * np.int64(b) * 2 + (np.int64(1) << 31)) >> 32
    return np.minimum(r, 0x7FFFFFFF)


def _neon_shift(x: np.ndarray, shift: int) -> np.ndarray:
    """NEON vshlq_s32: a left shift (int32 wrap), or a truncating arithmetic right shift."""
    x = np.asarray(x, np.int64)
    return wrap_int32(x << shift) if shift >= 0 else x >> -shift


def _rdbpot_int16(x: np.ndarray, e: int) -> np.ndarray:
    """RoundingDivideByPOT on int16 codes; shifts past 31 are undefined in LiteRT."""
    if e > 31:
        raise ValueError(f"int16 rounding shift by {e} is undefined in LiteRT")
    return rdbpot16(x, e)


def _pot_int16_kernel(op: str, sign: int, shift1: int, shift2: int, lo: int, hi: int
                      ) -> BinaryKernel:
    # Prepare's checks: one input must already be at the output scale, the other finer.
    if not (shift1 == 0 or shift2 == 0) or shift1 > 0 or shift2 > 0:
        raise ValueError(f"{op}: int16 power-of-two path needs one input at the output scale "
                         f"and the other at a finer one (log2 ratios {shift1}, {shift2}); "
                         "LiteRT refuses this, write pot_scale_int16=false for general scales")

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if sign > 0 and not a.size == b.size == np.broadcast(a, b).size:
            # add.cc runs this path through the non-broadcasting Add, whose
            # MatchingElementsSize check aborts the LiteRT process.
            raise ValueError(f"{op}: LiteRT's int16 power-of-two ADD cannot broadcast "
                             f"{list(a.shape)} with {list(b.shape)} (it aborts); write "
                             "pot_scale_int16=false")
        if shift1 == 0:
            a2, b2 = a, _rdbpot_int16(b, -shift2)
        else:
            a2, b2 = _rdbpot_int16(a, -shift1), b
        # gemmlowp SaturatingAdd/Sub on int16, then the activation clamp (which lies within
        # the int16 range, so saturating first changes nothing).
        return np.clip(a2 + sign * b2, lo, hi)

    return BinaryKernel(fn, np.int16)


# -- XNNPACK (the default AUTO resolver) -------------------------------------------------------


XNN_MAX_DIMS = 6  # XNN_MAX_TENSOR_DIMS: higher ranks stay on the builtin kernel


def xnn_delegates(ctx: OpContext, dtype: str, ratios: tuple[np.float32, ...], lo: float,
                  hi: float) -> bool:
    """Whether LiteRT's XNNPACK delegate takes this int8 ADD/SUB/MUL (xnnpack_delegate.cc
    VisitBinaryNode): profile 'xnnpack', int8, scale ratios in [lo, hi), no TANH/SIGN_BIT."""
    if getattr(ctx.runner, "profile", "reference") != "xnnpack" or dtype != "int8":
        return False
    if any(t is not None and len(t.shape) > XNN_MAX_DIMS for t in ctx.op.inputs[:2]):
        return False
    act = ctx.options.get("fused_activation_function", "NONE")
    if act in ("TANH", "SIGN_BIT", 4, 5):
        return False
    return all(lo <= r < hi for r in ratios)


def xnn_activation_range(ctx: OpContext, so: np.float32, zo: int) -> tuple[int, int]:
    """The delegate's float output range quantized by xnn_qs8_quantize: v / scale + zp in
    float32, rounded to nearest even (lrintf), clamped to int8."""
    act = ctx.options.get("fused_activation_function", "NONE")
    bounds = {"RELU": (0.0, np.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}
    fmin, fmax = bounds.get(act, (-np.inf, np.inf))

    def q(v: float) -> int:
        with np.errstate(over="ignore"):
            x = np.float32(np.float32(v) / so) + np.float32(zo)
        return int(np.rint(np.clip(x, -128, 127)))

    return q(fmin), q(fmax)


def xnn_add_kernel(ctx: OpContext, sign: int, s1: np.float32, z1: int, s2: np.float32,
                   z2: int, so: np.float32, zo: int) -> BinaryKernel:
    """XNNPACK qs8 add/subtract (xnn_init_qs8_add_minmax_scalar_params): both scale ratios
    become ~21-bit integer multipliers sharing one shift, the zero points fold into a bias with
    the rounding term, and the sum is shifted right (ties toward +inf), offset and clamped."""
    ra = np.float32(s1 / so)
    rb = np.float32(s2 / so)
    exponent = int(np.array(max(ra, rb), np.float32).view(np.uint32) >> 23) - 127
    shift = 20 - exponent

    def multiplier(r: np.float32) -> int:
        bits = np.array(r, np.float32).view(np.uint32) + np.uint32(shift << 23)
        return int(np.rint(bits.view(np.float32)))

    am, bm = multiplier(ra), sign * multiplier(rb)
    bias = (1 << (shift - 1)) - am * z1 - bm * z2
    lo, hi = xnn_activation_range(ctx, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        acc = bias + a * am + b * bm
        return np.clip(np.clip((acc >> shift) + zo, -128, 127), lo, hi)

    return BinaryKernel(fn, np.int8)


def xnn_mul_kernel(ctx: OpContext, s1: np.float32, z1: int, s2: np.float32, z2: int,
                   so: np.float32, zo: int) -> BinaryKernel:
    """XNNPACK qs8 multiply (fp32 requantization): (a - za)(b - zb) times the float32 scale
    s1 * s2 / so, rounded to nearest even, offset, clamped."""
    scale = np.float32(np.float32(s1 * s2) / so)
    lo, hi = xnn_activation_range(ctx, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        acc = ((a - z1) * (b - z2)).astype(np.float32)
        q = np.rint((acc * scale).astype(np.float32)).astype(np.int64) + zo
        return np.clip(np.clip(q, -128, 127), lo, hi)

    return BinaryKernel(fn, np.int8)


# -- MUL / DIV / SQUARED_DIFFERENCE (mul.cc, div.cc, squared_difference.cc) --------------------


def mul_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """MUL (mul.cc, reference_integer_ops::Mul / BroadcastMul6DSlow): one multiplier
    s1 * s2 / s_out, formed in float32 as LiteRT does, applied to (q1 - z1) * (q2 - z2)."""
    s1, z1, s2, z2, so, zo = binary_params(ctx)
    if dtype == "int16":  # checked at Eval in LiteRT (the int16 product needs zp 0)
        require_zero_points(ctx.op.type, {"input 1": z1, "input 2": z2, "output": zo})
    ratio = np.float32(np.float32(s1 * s2) / so)
    if xnn_delegates(ctx, dtype, (ratio,), 2.0**-16, 256.0):
        return xnn_mul_kernel(ctx, s1, z1, s2, z2, so, zo)
    mult, shift = quantize_multiplier(float(ratio))
    lo, hi = activation_range(ctx, dtype, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.clip(mbqm((a - z1) * (b - z2), mult, shift) + zo, lo, hi)

    return BinaryKernel(fn, dtype)


def mul_below_one_ub(x: np.ndarray, mult: int, exponent: np.ndarray) -> np.ndarray:
    """RDBPOT(SRDHM(x, M), exponent) with exponents that may reach 32..63, as the x86 build
    computes them (measured on DIV int8): the mask ``(1ll << e) - 1`` truncates to int32 -1 and
    ``x >> e`` uses the shift count modulo 32."""
    y = srdhm(x, mult)
    e = np.asarray(exponent, np.int64)
    big = e >= 32
    if not np.any(big):
        return rdbpot(y, e)
    mask = np.where(big, -1, (np.int64(1) << np.minimum(e, 31)) - 1)
    threshold = (mask >> 1) + (y < 0)
    return (y >> (e & 31)) + ((y & mask) > threshold)


def div_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """DIV (div.cc, reference_ops::DivElementwise / BroadcastDivSlowQuantized): the divisor's
    reciprocal by gemmlowp Newton-Raphson (GetReciprocal), the dividend normalised by its
    leading sign bits, then one multiplier s1 / (s2 * s_out) (float32) and a combined shift.
    A shift of 32 or more is undefined C++; we reproduce what the x86 build computes."""
    op = ctx.op.type
    s1, z1, s2, z2, so, zo = binary_params(ctx)
    mult, shift = quantize_multiplier(float(np.float32(s1 / np.float32(s2 * so))))
    lo, hi = activation_range(ctx, dtype, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        v1, v2 = np.broadcast_arrays(a - z1, b - z2)
        v2 = np.where(v2 == 0, 1, v2)  # never used: a zero divisor is refused at Eval
        v1 = np.where(v2 < 0, -v1, v1)
        v2 = np.abs(v2)
        recip, recip_shift = get_reciprocal(v2, 31)
        headroom = count_leading_sign_bits32(v1)
        unscaled = srdhm(v1 << headroom, recip)
        exponent = headroom + recip_shift - shift
        if np.any(exponent < 0):
            raise ValueError(f"{op}: output multiplier {mult}*2^{shift} is too large for "
                             "LiteRT's DIV (negative shift count)")
        return np.clip(mul_below_one_ub(unscaled, mult, exponent) + zo, lo, hi)

    return BinaryKernel(fn, dtype)


def check_divisor(ctx: OpContext, b: np.ndarray) -> None:
    """div.cc CheckNonZero: a divisor code equal to its zero point fails the invoke."""
    zp = per_tensor(ctx.op.inputs[1], ctx.op.type, "input 2")[1]
    if np.any(b == zp):
        raise ZeroDivisionError(f"{ctx.op.type}: divisor contains its zero point {zp} "
                                "(real 0); LiteRT fails at invoke")


def squared_difference_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """SQUARED_DIFFERENCE int8 (squared_difference.cc): inputs shifted left by 7 and rescaled
    to 2 * max(s1, s2); the squared difference is rescaled by (2 max)^2 / (2^14 s_out) and
    clamped to int8 (no fused activation)."""
    op = ctx.op.type
    s1, z1, s2, z2, so, zo = binary_params(ctx)
    if not all(-128 <= z <= 127 for z in (z1, z2, zo)):
        raise ValueError(f"{op}: zero points {z1}, {z2}, {zo} outside the int8 range")
    twice_max, m1, m2 = rescale_inputs(op, s1, s2)
    mo = multiplier_below_one(op, twice_max * twice_max / float(np.float32(16384) * so),
                              "output")

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = scaled_input(a, z1, 7, m1) - scaled_input(b, z2, 7, m2)
        return np.clip(mbqm(d * d, *mo) + zo, -128, 127)

    return BinaryKernel(fn, dtype)
