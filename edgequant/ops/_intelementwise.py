"""Integer (int8 / 16x8) arithmetic shared by the quantized elementwise kernels.

Everything here reproduces LiteRT's reference kernels bit for bit (ai-edge-litert 2.3.0,
``OpResolverType.BUILTIN_REF``):

* gemmlowp fixed point (``fixedpoint/fixedpoint.h``): SaturatingRoundingDoublingHighMul,
  RoundingDivideByPOT, saturating shifts, RoundingHalfSum and the Newton-Raphson reciprocal
  ``one_over_one_plus_x_for_x_in_0_1`` (DIV) — vectorised over int64 arrays that hold int32
  values, wrapping where C++ int32 arithmetic wraps;
* ``QuantizeMultiplierSmallerThanOneExp`` / ``GreaterThanOne`` (``quantization_util.cc``),
  whose TFLITE_CHECKs abort the LiteRT process: we raise ValueError instead;
* ``CalculateActivationRangeQuantized`` (``kernel_util.cc``) for fused activations;
* ``LUTPopulate`` / ``LUTLookup`` (``kernels/internal/common.h``) for EXP, LOG and int16 RSQRT,
  with the float math done in float32 through the C library's ``expf``/``logf`` (the functions
  LiteRT calls) when it can be loaded.

Kernels are tables wherever the result depends only on the input codes: a unary op becomes a
code -> code table (256 or 65536 entries) and a binary int8 op a 256 x 256 table, computed once
per interpreter plan. A lookup then costs one gather, whatever the batch size.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

import numpy as np

from ..qmath import quantize_multiplier, rdbpot, round_half_away, srdhm, wrap_int32
from ._base import OpContext
from ._elementwise import broadcast_shape, same_type

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

_TYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}
QUANT_TYPES = ("int8", "int16")


# --- tensor parameters ----------------------------------------------------------------------

def per_tensor(ctx: OpContext, t, what: str) -> tuple[np.float32, int]:
    """(scale, zero_point) of a per-tensor quantized tensor, as LiteRT's ``params`` holds them."""
    q = getattr(t, "quantization", None)
    if q is None or q.scale is None or q.scale.size == 0:
        raise ValueError(f"{ctx.op.type}: {what} {getattr(t, 'name', '?')!r} is not quantized")
    if q.scale.size > 1:
        raise ValueError(f"{ctx.op.type}: {what} {t.name!r} has {q.scale.size} scales; the "
                         "kernel takes per-tensor quantization only")
    zp = 0 if q.zero_point is None or q.zero_point.size == 0 else int(q.zero_point.ravel()[0])
    return np.float32(q.scale.ravel()[0]), zp


def check_types(ctx: OpContext, *xs: np.ndarray, allowed: tuple[str, ...] = QUANT_TYPES,
                out: bool = True) -> str:
    """The inputs' common dtype name, which must be in ``allowed`` (and equal the output's)."""
    op = ctx.op.type
    if len(xs) > 1:
        same_type(op, *xs)
    name = xs[0].dtype.name
    if name not in allowed:
        raise TypeError(f"{op}: no integer kernel for {name} inputs (LiteRT's reference "
                        f"kernels take {', '.join(allowed)})")
    if out and ctx.op.outputs[0].dtype != name:
        raise TypeError(f"{op}: output type {ctx.op.outputs[0].dtype} differs from input "
                        f"type {name}")
    return name


def require_zero_points(ctx: OpContext, zps: dict[str, int]) -> None:
    bad = {k: v for k, v in zps.items() if v != 0}
    if bad:
        raise ValueError(f"{ctx.op.type}: int16 tensors need zero point 0, got "
                         + ", ".join(f"{k} {v}" for k, v in bad.items()))


def type_range(dtype: str) -> tuple[int, int]:
    return _TYPE_RANGE[dtype]


def activation_range(ctx: OpContext, dtype: str, scale: np.float32, zp: int
                     ) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: bounds quantized in float32 with round half away,
    intersected with the type range. TANH and SIGN_BIT are not handled there: full range."""
    act = ctx.options.get("fused_activation_function", "NONE")
    qmin, qmax = type_range(dtype)

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


# --- multipliers (quantization_util.cc) ------------------------------------------------------

def multiplier_below_one(op: str, m: float, what: str) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp; LiteRT aborts unless 0 < m < 1."""
    if not 0.0 < m < 1.0:
        raise ValueError(f"{op}: {what} multiplier {m!r} is outside (0, 1); LiteRT's "
                         "QuantizeMultiplierSmallerThanOneExp aborts the process on it")
    return quantize_multiplier(m)


def mul_by_multiplier(x: np.ndarray, mult: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (double rounding). For shift <= 0 this is also
    MultiplyByQuantizedMultiplierSmallerThanOneExp."""
    x = np.asarray(x, np.int64)
    if shift > 0:
        x = wrap_int32(x << shift)
        shift = 0
    return rdbpot(srdhm(x, mult), -shift) if shift else srdhm(x, mult)


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


# --- gemmlowp fixed point on int64 arrays holding int32 ---------------------------------------

def sat_shl(x: np.ndarray, e: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<e> for e > 0: a saturating left shift."""
    thr = (1 << (31 - e)) - 1
    x = np.asarray(x, np.int64)
    return np.where(x > thr, INT32_MAX, np.where(x < -thr, INT32_MIN, x << e))


def rounding_half_sum(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    s = np.asarray(a, np.int64) + b
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s >> 1, -((-s) >> 1))  # C division truncates toward zero


def one_over_one_plus_x(a: np.ndarray) -> np.ndarray:
    """gemmlowp one_over_one_plus_x_for_x_in_0_1: F0 in, F0 out (three Newton steps in F2)."""
    half_den = rounding_half_sum(a, INT32_MAX)  # F0::One() is the saturated raw maximum
    x = wrap_int32(1515870810 + srdhm(half_den, -1010580540))  # 48/17 - 32/17 * d (F2)
    one_f2 = 1 << 29
    for _ in range(3):
        hdx = srdhm(half_den, x)
        x = wrap_int32(x + sat_shl(srdhm(x, wrap_int32(one_f2 - hdx)), 2))
    return sat_shl(x, 1)  # ExactMulByPot<-1> then Rescale<0>


def count_leading_zeros32(x: np.ndarray) -> np.ndarray:
    """clz of non-negative int32 values (32 for 0)."""
    # frexp of an integer below 2^53 is exact: its exponent is the bit length.
    _, bits = np.frexp(np.asarray(x, np.int64).astype(np.float64))
    return 32 - bits.astype(np.int64)


def count_leading_sign_bits32(x: np.ndarray) -> np.ndarray:
    """CountLeadingSignBits of int32 values (31 for 0 and -1)."""
    x = np.asarray(x, np.int64)
    return count_leading_zeros32(np.where(x < 0, ~x, x)) - 1


# --- binary kernels ---------------------------------------------------------------------------

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
    key = ("binary", dtype)
    kernel = ctx.state.get(key)
    if kernel is None:
        kernel = ctx.state[key] = prepare(ctx, dtype)
    return kernel(a, b)


def rescale_inputs(op: str, s1: np.float32, s2: np.float32
                   ) -> tuple[float, tuple[int, int], tuple[int, int]]:
    """ADD/SUB/SQUARED_DIFFERENCE input stage: both inputs move to 2 * max(s1, s2) (exact in
    float32), each multiplier via QuantizeMultiplierSmallerThanOneExp."""
    twice_max = float(np.float32(2) * max(s1, s2))
    m1 = multiplier_below_one(op, float(s1) / twice_max, "input 1")
    m2 = multiplier_below_one(op, float(s2) / twice_max, "input 2")
    return twice_max, m1, m2


def scaled_input(q: np.ndarray, zp: int, left_shift: int, m: tuple[int, int]) -> np.ndarray:
    # (q - zp) << left_shift cannot overflow int32 for 8/16-bit codes and shifts 20/15/8/7.
    return mul_by_multiplier((q - zp) << left_shift, *m)


def input_table(dtype: str, zp: int, left_shift: int, m: tuple[int, int]
                ) -> Callable[[np.ndarray], np.ndarray]:
    """``scaled_input`` as a lookup over every code of ``dtype`` (it depends on the code only)."""
    lo = type_range(dtype)[0]
    table = scaled_input(all_codes(dtype), zp, left_shift, m)
    return lambda q: table[q - lo]


def pot_log2(x: np.float32) -> tuple[bool, int]:
    """CheckedLog2: log2 in float32 through logf, rounded half away; "power of two" when the
    fractional part is below 1e-3 (so nearly-POT scales count too)."""
    lg = np.float32(libm_f32("log", np.array([x], np.float32))[0])
    inv_ln2 = np.float32(np.float32(1.0) / libm_f32("log", np.array([2.0], np.float32))[0])
    x_log2 = np.float32(lg * inv_ln2)
    rounded = np.float32(round_half_away(x_log2))
    frac = np.float32(x_log2 - rounded)
    return bool(abs(frac) < np.float32(1e-3)), int(rounded)


def rdbpot_int16(x: np.ndarray, e: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT on int16 values: the mask ``(1ll << e) - 1`` truncates to
    int16, so from e = 16 on it is -1 and non-negative inputs gain 1 (as LiteRT computes)."""
    x = np.asarray(x, np.int64)
    if e <= 15:
        return rdbpot(x, e)
    if e > 31:
        raise ValueError(f"int16 rounding shift by {e} is undefined in LiteRT")
    return (x >> e) + (x >= 0)


# --- unary kernels ------------------------------------------------------------------------------

class CodeTable:
    """A unary kernel as a table over every input code, plus codes LiteRT rejects at Eval."""

    def __init__(self, dtype: str, values: np.ndarray, invalid: np.ndarray | None = None,
                 why: str = ""):
        self.offset = -type_range(dtype)[0]
        self.values = values
        self.invalid = invalid if invalid is not None and invalid.any() else None
        self.why = why

    def __call__(self, x: np.ndarray) -> np.ndarray:
        idx = x.astype(np.intp) + self.offset
        if self.invalid is not None and self.invalid[idx].any():
            raise ValueError(self.why)
        return np.asarray(self.values[idx])


def all_codes(dtype: str) -> np.ndarray:
    lo, hi = type_range(dtype)
    return np.arange(lo, hi + 1, dtype=np.int64)


def run_unary(ctx: OpContext, x: np.ndarray,
              prepare: Callable[[OpContext, str], CodeTable],
              allowed: tuple[str, ...] = QUANT_TYPES) -> np.ndarray:
    dtype = check_types(ctx, x, allowed=allowed)
    key = ("unary", dtype)
    table = ctx.state.get(key)
    if table is None:
        table = ctx.state[key] = prepare(ctx, dtype)
    return table(x)


# --- float math through libm -------------------------------------------------------------------

_LIBM: ctypes.CDLL | None | bool = False


def _libm() -> ctypes.CDLL | None:
    global _LIBM
    if _LIBM is False:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
            for name in ("expf", "logf"):
                fn = getattr(lib, name)
                fn.restype = ctypes.c_float
                fn.argtypes = [ctypes.c_float]
            _LIBM = lib
        except (OSError, AttributeError):  # pragma: no cover - no C math library
            _LIBM = None
    return _LIBM  # type: ignore[return-value]


def libm_f32(name: str, x: np.ndarray) -> np.ndarray:
    """``expf``/``logf`` of float32 values as LiteRT gets them from the C library. Without a
    loadable libm, float64 rounded to float32 (differs in the last ulp for ~0.1% of inputs)."""
    x = np.asarray(x, np.float32)
    lib = _libm()
    if lib is None:  # pragma: no cover
        with np.errstate(all="ignore"):
            return getattr(np, name)(x.astype(np.float64)).astype(np.float32)
    fn = getattr(lib, name + "f")
    return np.array([fn(float(v)) for v in x.ravel()], np.float32).reshape(x.shape)


def cast_f32_to_int32(x: np.ndarray) -> np.ndarray:
    """static_cast<int32_t>(float) on x86: truncation; NaN and out of range give INT32_MIN."""
    x = np.asarray(x, np.float64)
    bad = ~(np.abs(x) < 2.0**31)
    return np.where(bad, INT32_MIN, np.trunc(np.where(bad, 0.0, x))).astype(np.int64)


def lut_int8(s_in: np.float32, zp_in: int, s_out: np.float32, zp_out: int,
             fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """LUTPopulateInt8 as a table indexed by code + 128."""
    codes = all_codes("int8")
    inverse = np.float32(np.float32(1) / s_out)
    deq = (s_in * (codes - zp_in).astype(np.float32)).astype(np.float32)
    with np.errstate(all="ignore"):
        transformed = np.asarray(fn(deq), np.float32)
        rescaled = round_half_away((transformed * inverse).astype(np.float32)).astype(np.float32)
        q = (rescaled + np.float32(zp_out)).astype(np.float32)
    # The C++ casts to int32 before clamping, which is undefined past 2^31; the LiteRT build
    # saturates there (measured: exp overflowing to 3.6e9 or inf gives 127, not the x86
    # cvttss2si INT32_MIN), i.e. behaves as a clamp in float.
    return np.clip(np.nan_to_num(q, nan=-128.0), -128, 127).astype(np.int8)


def lut_int16(s_in: np.float32, zp_in: int, s_out: np.float32, zp_out: int,
              fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """LUTPopulateInt16<float> (513 samples with midpoint error correction) evaluated through
    LUTLookup for every int16 code: a 65536-entry table indexed by code + 32768."""
    f32 = np.float32
    input_min = f32(s_in * f32(-32768 - zp_in))
    input_max = f32(s_in * f32(32767 - zp_in))
    output_min = f32(s_out * f32(-32768 - zp_out))
    output_max = f32(s_out * f32(32767 - zp_out))
    step = f32((input_max - input_min) / f32(512))
    half_step = f32(step / f32(2))
    inv = f32(f32(65536) / f32(output_max - output_min))
    i = np.arange(512, dtype=np.float32)
    base_x = (input_min + (i * step).astype(f32)).astype(f32)
    next_x = (input_min + ((i + 1) * step).astype(f32)).astype(f32)
    mid_x = (base_x + half_step).astype(f32)

    def r(v: np.ndarray) -> np.ndarray:
        return round_half_away(np.asarray(v, f32)).astype(f32)

    with np.errstate(all="ignore"):
        val = np.asarray(fn(base_x), f32)
        val_mid = np.asarray(fn(mid_x), f32)
        val_next = np.asarray(fn(next_x), f32)
        sample = r(val * inv)
        interp = r(((val_next * inv).astype(f32) + sample).astype(f32) / f32(2))
        mid = r(val_mid * inv)
        bias = r((interp - mid).astype(f32) / f32(2))
        lut = np.empty(513, np.int64)
        lut[:512] = np.clip((sample - bias).astype(f32), -32768, 32767).astype(np.int64)
        last = r(np.asarray(fn(np.array([input_max], f32)), f32) * inv)
        lut[512] = int(np.clip(last, -32768, 32767)[0])
    codes = all_codes("int16")
    index = 256 + (codes >> 7)
    offset = codes & 0x7F
    base = lut[index]
    slope = ((lut[index + 1] - base + 32768) & 0xFFFF) - 32768  # stored as int16
    delta = (slope * offset + 64) >> 7
    return (((base + delta + 32768) & 0xFFFF) - 32768).astype(np.int16)


# --- ADD / SUB (add.cc, sub.cc) -------------------------------------------------------------------

def add_sub_kernel(ctx: OpContext, dtype: str, sign: int) -> BinaryKernel:
    """Prepare ADD (sign +1) or SUB (sign -1) for int8 or int16 tensors.

    General path (int8, and int16 unless the power-of-two path applies): both inputs are
    rescaled to 2 * max(s1, s2) after a left shift of 20 (int8) or 15 (int16), summed, and the
    sum rescaled to the output. int16 power-of-two path (``pot_scale_int16`` true, the schema
    default, and all three scales powers of two within 1e-3 in log2): one input is rounded right
    by the scale ratio and added with int16 saturation.
    """
    op = ctx.op.type
    t1, t2, to = ctx.op.inputs[0], ctx.op.inputs[1], ctx.op.outputs[0]
    s1, z1 = per_tensor(ctx, t1, "input 1")
    s2, z2 = per_tensor(ctx, t2, "input 2")
    so, zo = per_tensor(ctx, to, "output")
    lo, hi = activation_range(ctx, dtype, so, zo)
    if dtype == "int16":
        require_zero_points(ctx, {"input 1": z1, "input 2": z2, "output": zo})
        if ctx.options.get("pot_scale_int16", True):
            pots = [pot_log2(s) for s in (s1, s2, so)]
            if all(p for p, _ in pots):
                return _pot_int16_kernel(op, sign, pots[0][1] - pots[2][1],
                                         pots[1][1] - pots[2][1], lo, hi)
    elif op == "SUB":
        tmin, tmax = type_range(dtype)
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

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raw = in1(a) + sign * in2(b)
        return np.clip(mul_by_multiplier(raw, *mo) + zo, lo, hi)

    return BinaryKernel(fn, dtype)


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
            a2, b2 = a, rdbpot_int16(b, -shift2)
        else:
            a2, b2 = rdbpot_int16(a, -shift1), b
        # gemmlowp SaturatingAdd/Sub on int16, then the activation clamp (which lies within
        # the int16 range, so saturating first changes nothing).
        return np.clip(a2 + sign * b2, lo, hi)

    return BinaryKernel(fn, np.int16)


# --- XNNPACK (the default AUTO resolver) ---------------------------------------------------------

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


# --- MUL / DIV / SQUARED_DIFFERENCE / comparisons ----------------------------------------------

def _three(ctx: OpContext) -> tuple[np.float32, int, np.float32, int, np.float32, int]:
    s1, z1 = per_tensor(ctx, ctx.op.inputs[0], "input 1")
    s2, z2 = per_tensor(ctx, ctx.op.inputs[1], "input 2")
    so, zo = per_tensor(ctx, ctx.op.outputs[0], "output")
    return s1, z1, s2, z2, so, zo


def mul_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """MUL (mul.cc, reference_integer_ops::Mul / BroadcastMul6DSlow): one multiplier
    s1 * s2 / s_out, formed in float32 as LiteRT does, applied to (q1 - z1) * (q2 - z2)."""
    s1, z1, s2, z2, so, zo = _three(ctx)
    if dtype == "int16":  # checked at Eval in LiteRT (the int16 product needs zp 0)
        require_zero_points(ctx, {"input 1": z1, "input 2": z2, "output": zo})
    ratio = np.float32(np.float32(s1 * s2) / so)
    if xnn_delegates(ctx, dtype, (ratio,), 2.0**-16, 256.0):
        return xnn_mul_kernel(ctx, s1, z1, s2, z2, so, zo)
    mult, shift = quantize_multiplier(float(ratio))
    lo, hi = activation_range(ctx, dtype, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.clip(mul_by_multiplier((a - z1) * (b - z2), mult, shift) + zo, lo, hi)

    return BinaryKernel(fn, dtype)


def div_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """DIV (div.cc, reference_ops::DivElementwise / BroadcastDivSlowQuantized): the divisor's
    reciprocal by gemmlowp Newton-Raphson (GetReciprocal), the dividend normalised by its
    leading sign bits, then one multiplier s1 / (s2 * s_out) (float32) and a combined shift.
    A shift of 32 or more is undefined C++; we reproduce what the x86 build computes."""
    op = ctx.op.type
    s1, z1, s2, z2, so, zo = _three(ctx)
    mult, shift = quantize_multiplier(float(np.float32(s1 / np.float32(s2 * so))))
    lo, hi = activation_range(ctx, dtype, so, zo)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        v1, v2 = np.broadcast_arrays(a - z1, b - z2)
        v2 = np.where(v2 == 0, 1, v2)  # never used: a zero divisor is refused at Eval
        v1 = np.where(v2 < 0, -v1, v1)
        v2 = np.abs(v2)
        clz = count_leading_zeros32(v2)
        recip = one_over_one_plus_x(((v2 << clz) & 0xFFFFFFFF) - (1 << 31))
        headroom = count_leading_sign_bits32(v1)
        unscaled = srdhm(v1 << headroom, recip)
        exponent = headroom + (31 - clz) - shift
        if np.any(exponent < 0):
            raise ValueError(f"{op}: output multiplier {mult}*2^{shift} is too large for "
                             "LiteRT's DIV (negative shift count)")
        return np.clip(mul_below_one_ub(unscaled, mult, exponent) + zo, lo, hi)

    return BinaryKernel(fn, dtype)


def check_divisor(ctx: OpContext, b: np.ndarray) -> None:
    """div.cc CheckNonZero: a divisor code equal to its zero point fails the invoke."""
    zp = per_tensor(ctx, ctx.op.inputs[1], "input 2")[1]
    if np.any(b == zp):
        raise ZeroDivisionError(f"{ctx.op.type}: divisor contains its zero point {zp} "
                                "(real 0); LiteRT fails at invoke")


def squared_difference_kernel(ctx: OpContext, dtype: str) -> BinaryKernel:
    """SQUARED_DIFFERENCE int8 (squared_difference.cc): inputs shifted left by 7 and rescaled
    to 2 * max(s1, s2); the squared difference is rescaled by (2 max)^2 / (2^14 s_out) and
    clamped to int8 (no fused activation)."""
    op = ctx.op.type
    s1, z1, s2, z2, so, zo = _three(ctx)
    if not all(-128 <= z <= 127 for z in (z1, z2, zo)):
        raise ValueError(f"{op}: zero points {z1}, {z2}, {zo} outside the int8 range")
    twice_max, m1, m2 = rescale_inputs(op, s1, s2)
    mo = multiplier_below_one(op, twice_max * twice_max / float(np.float32(16384) * so),
                              "output")

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = scaled_input(a, z1, 7, m1) - scaled_input(b, z2, 7, m2)
        return np.clip(mul_by_multiplier(d * d, *mo) + zo, -128, 127)

    return BinaryKernel(fn, dtype)


def comparison_kernel(ctx: OpContext, dtype: str, cmp: PairFn, raw_int16: bool
                      ) -> BinaryKernel:
    """Comparisons (comparisons.cc ComparisonQuantized): both sides, less their zero points,
    shifted left by 8 and multiplied by their own scale (QuantizeMultiplierSmallerThanOneExp of
    the scale itself), then compared. LESS/GREATER(_EQUAL) compare int16 codes raw, quantized
    or not (``raw_int16``)."""
    if dtype == "int16" and raw_int16:
        return BinaryKernel(cmp, np.bool_)
    op = ctx.op.type
    s1, z1 = per_tensor(ctx, ctx.op.inputs[0], "input 1")
    s2, z2 = per_tensor(ctx, ctx.op.inputs[1], "input 2")
    for s, what in ((s1, "input 1"), (s2, "input 2")):
        if s >= 1:
            # A scale of exactly 1 fails QuantizeMultiplierGreaterThanOne's check (abort);
            # above 1 the multiplier is applied with a negative shift count (undefined).
            raise ValueError(f"{op}: {what} scale {s} >= 1 is not supported by LiteRT's "
                             "quantized comparison (it aborts or computes garbage)")
    m1 = multiplier_below_one(op, float(s1), "input 1")
    m2 = multiplier_below_one(op, float(s2), "input 2")

    in1, in2 = input_table(dtype, z1, 8, m1), input_table(dtype, z2, 8, m2)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cmp(in1(a), in2(b))

    return BinaryKernel(fn, np.bool_)


# --- ABS / SQRT / RSQRT / EXP / LOG (elementwise.cc, exp.cc) -------------------------------------

def _unary_params(ctx: OpContext, dtype: str) -> tuple[np.float32, int, np.float32, int]:
    si, zi = per_tensor(ctx, ctx.op.inputs[0], "input")
    so, zo = per_tensor(ctx, ctx.op.outputs[0], "output")
    if dtype == "int16":
        require_zero_points(ctx, {"input": zi, "output": zo})
    return si, zi, so, zo


def abs_table(ctx: OpContext, dtype: str) -> CodeTable:
    """ABS (AbsEvalQuantized): |q - zp_in|, rescaled by QuantizeMultiplier(s_in / s_out) only
    when the two float32 scales differ, plus zp_out, clamped to the type."""
    si, zi, so, zo = _unary_params(ctx, dtype)
    value = np.abs(all_codes(dtype) - zi)
    if si != so:
        value = mul_by_multiplier(value, *quantize_multiplier(float(np.float32(si / so))))
    return CodeTable(dtype, np.clip(value + zo, *type_range(dtype)).astype(dtype))


def sqrt_table(ctx: OpContext, dtype: str) -> CodeTable:
    """SQRT (SqrtEvalQuantized): dequantize in float32, sqrtf, divide by s_out and *truncate*
    (a C cast, not a rounding), add zp_out, clamp. A negative input fails the invoke."""
    si, zi, so, zo = _unary_params(ctx, dtype)
    deq = (si * (all_codes(dtype) - zi).astype(np.float32)).astype(np.float32)
    with np.errstate(invalid="ignore"):
        root = np.sqrt(deq)
    q = wrap_int32(cast_f32_to_int32((root / so).astype(np.float32)) + zo)
    return CodeTable(dtype, np.clip(q, *type_range(dtype)).astype(dtype), deq < 0,
                     f"{ctx.op.type}: input has negative values (LiteRT fails at invoke: Sqrt is "
                     "only defined for non-negative values)")


def inv_sqrt_multiplier(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GetInvSqrtQuantizedMultiplierExp(v, kReverseShift) for 0 <= v < 2^29 (gemmlowp
    Newton-Raphson in Q3.28, five steps): (multiplier, left shift)."""
    v = np.asarray(v, np.int64)
    small = v <= 1
    v = np.where(small, 2, v)
    pairs = (count_leading_zeros32(v) - 1) // 2 - 1
    shift = 11 - pairs
    v = v << (2 * pairs)
    half_input = rdbpot(v >> 1, 1)
    half_three = (1 << 28) + (1 << 27)
    x = np.full(v.shape, 1 << 28, np.int64)
    for _ in range(5):
        x3 = sat_shl(srdhm(srdhm(x, x), x), 6)
        x = sat_shl(wrap_int32(srdhm(half_three, x) - srdhm(half_input, x3)), 3)
    x = srdhm(x, 1518500250)  # sqrt(2) / 2
    x = np.where(shift < 0, wrap_int32(x << np.maximum(-shift, 0)), x)
    shift = np.maximum(shift, 0)
    return np.where(small, INT32_MAX, x), np.where(small, 0, -shift)


def rsqrt_table(ctx: OpContext, dtype: str) -> CodeTable:
    """RSQRT. int8 (RsqrtEvalQuantizedInt8): the fixed-point inverse square root of q - zp_in
    applied to 1 with a 20-bit headroom, then the multiplier 1 / (sqrtf(s_in) * s_out); q == zp_in
    gives 127. int16: LUTPopulate of 1 / sqrtf(x) (x <= 0 -> 32767 * s_out). Codes below zp_in
    fail the invoke in both."""
    si, zi, so, zo = _unary_params(ctx, dtype)
    c = all_codes(dtype)
    invalid = c < zi
    why = f"{ctx.op.type}: input below its zero point (LiteRT fails at invoke: Rsqrt is only " \
          "defined for positive values)"
    if dtype == "int16":
        def f(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                r = (np.float32(1) / np.sqrt(x)).astype(np.float32)
            return np.where(x <= 0, np.float32(np.float32(32767) * so), r)
        return CodeTable(dtype, lut_int16(si, zi, so, zo, f), invalid, why)
    value = np.maximum(c - zi, 0)
    inv, inv_shift = inv_sqrt_multiplier(value)
    mult, shift = quantize_multiplier(1.0 / float(np.float32(np.sqrt(si) * so)))
    data = np.array([mul_by_multiplier(1, int(m), int(s) + 20) for m, s in zip(inv, inv_shift)])
    out = np.clip(mul_by_multiplier(data, mult, shift - 20) + zo, -128, 127)
    return CodeTable(dtype, np.where(value == 0, 127, out).astype(np.int8), invalid, why)


def exp_table(ctx: OpContext, dtype: str) -> CodeTable:
    """EXP (exp.cc): LUTPopulate of expf."""
    si, zi, so, zo = _unary_params(ctx, dtype)
    lut = lut_int8 if dtype == "int8" else lut_int16
    return CodeTable(dtype, lut(si, zi, so, zo, lambda x: libm_f32("exp", x)))


def log_table(ctx: OpContext, dtype: str) -> CodeTable:
    """LOG (LogLUTPrepare): LUTPopulate of logf, with inputs <= 0 mapped to the real value of
    the type's lowest code."""
    si, zi, so, zo = _unary_params(ctx, dtype)
    out_min = np.float32(np.float32(type_range(dtype)[0] - zo) * so)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        return np.where(x <= 0, out_min, libm_f32("log", np.where(x <= 0, 1, x)))

    lut = lut_int8 if dtype == "int8" else lut_int16
    return CodeTable(dtype, lut(si, zi, so, zo, f))


# --- examples shared by the op files ------------------------------------------------------------

def codes(rng: np.random.Generator, dtype: str, *shape: int, lim: int | None = None
          ) -> np.ndarray:
    """Random integer codes over the type's range (or +-lim)."""
    lo, hi = type_range(dtype)
    if lim is not None:
        lo, hi = max(lo, -lim), min(hi, lim)
    return rng.integers(lo, hi + 1, shape).astype(dtype)


def rand_q(rng: np.random.Generator, dtype: str, lo: float = 0.005, hi: float = 0.2
           ) -> tuple[float, int]:
    """Random (scale, zero point): log-uniform scale, zero point 0 for int16."""
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return scale, (0 if dtype == "int16" else int(rng.integers(-100, 101)))


def binary_int_examples(*, int16: bool = True, act: bool = True, pot: bool = False,
                        nonzero_b: bool = False, bool_out: bool = False,
                        int16_scale: tuple[float, float] = (1e-4, 3e-3)) -> list:
    """Integer EXAMPLES for a binary op: random scales, exact ties (dyadic multipliers),
    broadcasting up to 6-D, fused activations, int8 and (optionally) int16 16x8.

    ``nonzero_b`` keeps input 2 away from its zero point (DIV refuses a zero divisor);
    ``bool_out`` makes the output a bool (comparisons, no output quantization); ``pot`` adds
    ADD/SUB's int16 power-of-two cases."""
    from ._base import Example

    def make(rng: np.random.Generator, dtype: str, sa: tuple, sb: tuple, qa: tuple,
             qb: tuple, qo: tuple, opts: dict, name: str) -> Example:
        lim = 3000 if dtype == "int16" else None
        a, b = codes(rng, dtype, *sa, lim=lim), codes(rng, dtype, *sb, lim=lim)
        if nonzero_b:
            b = np.where(b == qb[1], b + (1 if qb[1] < 0 else -1), b).astype(dtype)
        quant = {"in0": qa, "in1": qb}
        if not bool_out:
            quant["out0"] = qo
        if not act:
            opts = {k: v for k, v in opts.items() if k != "fused_activation_function"}
        return Example([a, b], opts, name, quant=quant,
                       output_dtypes=["bool"] if bool_out else None)

    def rnd(dtype: str, sa: tuple, sb: tuple, act_fn: str, name: str, **extra):
        def ex(rng: np.random.Generator) -> Example:
            lo, hi = int16_scale if dtype == "int16" else (0.005, 0.2)
            qa, qb, qo = (rand_q(rng, dtype, lo, hi) for _ in range(3))
            opts = {"fused_activation_function": act_fn, **extra}
            return make(rng, dtype, sa, sb, qa, qb, qo, opts, name)
        return ex

    def fixed(dtype: str, sa: tuple, sb: tuple, qa: tuple, qb: tuple, qo: tuple,
              act_fn: str, name: str, **extra):
        def ex(rng: np.random.Generator) -> Example:
            opts = {"fused_activation_function": act_fn, **extra}
            return make(rng, dtype, sa, sb, qa, qb, qo, opts, name)
        return ex

    out = [
        rnd("int8", (2, 4, 4, 3), (2, 4, 4, 3), "NONE", "int8 random scales"),
        rnd("int8", (2, 1, 3, 5), (3, 1), "RELU", "int8 broadcast relu"),
        rnd("int8", (1,), (3, 4), "RELU6", "int8 scalar-like broadcast relu6"),
        rnd("int8", (2, 1, 3, 1, 2, 1), (2, 1, 4, 1, 3), "RELU_N1_TO_1",
            "int8 6-D broadcast relu_n1_to_1"),
        # Dyadic scales: many exact rounding ties in every multiplier stage.
        fixed("int8", (16, 16), (16, 16), (0.5, 3), (0.25, -7), (0.375, 1), "NONE",
              "int8 ties"),
        fixed("int8", (8, 1, 16), (16,), (0.0625, -128), (0.125, 127), (0.5, 0), "RELU",
              "int8 ties broadcast"),
        fixed("int8", (16, 16), (16, 16), (1 / 32, 0), (1 / 32, 0), (3 / 64, -1), "NONE",
              "int8 equal input scales"),
    ]
    if int16:
        extra = {"pot_scale_int16": False} if pot else {}
        out += [
            rnd("int16", (2, 3, 8), (2, 3, 8), "NONE", "int16 random scales", **extra),
            rnd("int16", (2, 1, 8), (3, 1), "RELU", "int16 broadcast relu", **extra),
            fixed("int16", (16, 16), (16, 16), (2**-9, 0), (2**-11, 0), (3 * 2**-10, 0),
                  "RELU6", "int16 ties", **extra),
        ]
    if int16 and pot:
        out += [
            rnd("int16", (3, 8), (3, 8), "NONE", "int16 pot_scale_int16 true, general scales"),
            fixed("int16", (4, 16), (4, 16), (2**-10, 0), (2**-12, 0), (2**-10, 0), "NONE",
                  "int16 power-of-two path"),
            fixed("int16", (4, 16), (4, 16), (2**-14, 0), (2**-8, 0), (2**-8, 0), "RELU",
                  "int16 power-of-two path, input 1 shifted"),
        ]
    return out


def shared_binary_examples() -> list:
    """Integer EXAMPLES for MAXIMUM/MINIMUM: codes compared raw, with shared quantization
    (the planned case), different quantization (what LiteRT really computes), broadcasting."""
    from ._base import Example

    def ex(dtype: str, sa: tuple, sb: tuple, qa: tuple, qb: tuple, name: str):
        def make(rng: np.random.Generator) -> Example:
            a, b = codes(rng, dtype, *sa), codes(rng, dtype, *sb)
            return Example([a, b], {}, name, quant={"in0": qa, "in1": qb, "out0": qa})
        return make

    return [
        ex("int8", (2, 4, 4, 3), (2, 4, 4, 3), (0.05, -3), (0.05, -3), "int8 shared"),
        ex("int8", (2, 1, 3, 1, 2), (4, 1, 1, 1), (0.1, 10), (0.1, 10),
           "int8 5-D broadcast"),
        ex("int8", (3, 5), (5,), (0.05, -3), (0.02, 7), "int8 different (raw codes)"),
        ex("int16", (2, 3, 8), (3, 1), (1e-3, 0), (1e-3, 0), "int16 shared broadcast"),
    ]


def select_examples(v2: bool) -> list:
    """Integer EXAMPLES for SELECT / SELECT_V2: int8 and int16 values sharing quantization."""
    from ._base import Example

    def ex(dtype: str, sc: tuple, sx: tuple, sy: tuple, q: tuple, name: str):
        def make(rng: np.random.Generator) -> Example:
            cond = rng.random(sc) < 0.5
            x, y = codes(rng, dtype, *sx), codes(rng, dtype, *sy)
            return Example([cond, x, y], {}, name, quant={"in1": q, "in2": q, "out0": q})
        return make

    if v2:
        return [ex("int8", (2, 1, 4), (3, 1), (2, 3, 4), (0.05, -3), "int8 broadcast"),
                ex("int16", (4,), (2, 4), (2, 4), (1e-3, 0), "int16")]
    return [ex("int8", (3,), (3, 2, 4), (3, 2, 4), (0.05, -3), "int8 rank-1 condition"),
            ex("int16", (2, 4), (2, 4), (2, 4), (1e-3, 0), "int16")]


def unary_int_examples(*, nonneg: bool = False, int16: bool = True,
                       in_scale: tuple[float, float] = (0.005, 0.2),
                       out_scale: tuple[float, float] = (0.005, 0.2),
                       fixed: list[tuple[str, tuple, tuple, str]] = ()) -> list:
    """Integer EXAMPLES for a unary op: every int8 code with random scales, random int16 codes,
    and ``fixed`` (dtype, (s_in, zp_in), (s_out, zp_out), name) cases for ties and extremes.
    ``nonneg`` keeps inputs at or above the input zero point (SQRT and RSQRT refuse below)."""
    from ._base import Example

    def make(rng: np.random.Generator, dtype: str, qi: tuple, qo: tuple, name: str) -> Example:
        if dtype == "int8":
            x = np.arange(-128, 128).reshape(2, 8, 16)
        else:
            x = np.concatenate([rng.integers(-32768, 32768, 500), [-32768, -1, 0, 1, 32767]])
        if nonneg:
            x = np.maximum(x, qi[1])
        return Example([x.astype(dtype)], {}, name, quant={"in0": qi, "out0": qo})

    def rnd(dtype: str):
        def ex(rng: np.random.Generator) -> Example:
            k = 0.01 if dtype == "int16" else 1.0
            qi = rand_q(rng, dtype, in_scale[0] * k, in_scale[1] * k)
            qo = rand_q(rng, dtype, out_scale[0] * k, out_scale[1] * k)
            return make(rng, dtype, qi, qo, f"{dtype} random scales")
        return ex

    def fix(dtype: str, qi: tuple, qo: tuple, name: str):
        return lambda rng: make(rng, dtype, qi, qo, name)

    out = [rnd("int8")] + [fix(*f) for f in fixed]
    if int16:
        out.append(rnd("int16"))
    return out
