"""Integer arithmetic shared by the GEMM-family kernels (CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED, TRANSPOSE_CONV, BATCH_MATMUL) with int8 or int16 ("16x8") activations.

Sources (google-ai-edge/LiteRT, ``tflite/kernels/``; shared SPEC_NOTES §4):

* ``kernel_util.cc`` PopulateConvolutionQuantizationParams: one (multiplier, shift) per output
  channel from QuantizeMultiplier(double(s_in) * double(s_w[c]) / double(s_out)), even for a
  per-tensor filter; GetQuantizedConvolutionMultipler (BATCH_MATMUL): the product
  s_in * s_w is formed in float32 first; its bias overload (per-tensor FULLY_CONNECTED) checks
  |s_in * s_w - s_bias| / s_out <= 0.02; CalculateActivationRangeQuantized: the fused
  activation's bounds quantized in float32 (TfLiteRound, ties away) and intersected with the
  type's range. TANH, SIGN_BIT and the like clamp to the type's range only.
* ``internal/common.cc`` MultiplyByQuantizedMultiplier: the int32 overload is gemmlowp's
  double rounding (SRDHM, ties up, then RoundingDivideByPOT, ties away); the int64 overload
  (int16 kernels with an int64 accumulator) first reduces the multiplier to 15 bits,
  (M + 2^15) >> 16, then rounds once, ties up, and truncates the result to int32.
* ``reference/integer_ops/fully_connected.h``: since 2025 the reference FULLY_CONNECTED
  requantizes in double, std::round(double(acc) * s_in * s_w / s_out) (ties away), cast to
  int32 (x86: out of range -> INT32_MIN) before the zero point is added.

XNNPACK (the 'xnnpack' profile, LiteRT's default AUTO resolver; SPEC_NOTES §4.3; measured
on ai-edge-litert 2.3.0, tests/test_int_conv.py): int8 CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED and TRANSPOSE_CONV requantize in float32, float(acc) * float32(s_in * s_w /
s_out), rounded to nearest even, bit for bit. Int8 BATCH_MATMUL under AUTO gives exactly the
reference results (XNNPACK does not take it), and neither does XNNPACK take 16x8 ops or ops
with a TANH / SIGN_BIT fused activation (those run LiteRT's optimized builtin kernels, here
emulated with the reference arithmetic: within 1 LSB).

How the sums are formed: exactly, in floating-point BLAS. Products of an activation minus its
zero point and an int8 weight are integers, and so is every partial sum, whatever order BLAS
adds them in. While the largest possible partial sum (sum of |w| over one filter times the
largest |x - zp|) stays below 2^24 (float32) or 2^53 (float64) nothing is ever rounded;
``gemm_dtype`` picks the cheaper type that is exact for the actual input.

How the requantization is evaluated (OutputStage): the fixed-point formulas are also computed
in floating point where that provably gives the same integers, with the few elements near a
rounding boundary redone in int64 (see OutputStage._float_path); the int64 path alone handles
the cases where LiteRT's int32 accumulator could wrap (never for sane models), with the wrap
reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..qmath import cast_float_to_int32, quantize_multiplier, wrap_int32
from ._quant import TensorQuant, tensor_quant

if TYPE_CHECKING:
    from ._base import OpContext

_F32_EXACT = float(2**24)
_F64_EXACT = float(2**53)
_INT32_LIMIT = float(2**31)
_TYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}
_F32 = np.float32


# -- Prepare-time parameters -------------------------------------------------------------------

def type_range(dtype: str) -> tuple[int, int]:
    return _TYPE_RANGE[dtype]


def activation_range(act: Any, scale: float, zero_point: int, dtype: str) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: RELU -> [q(0), qmax], RELU6 -> [q(0), q(6)],
    RELU_N1_TO_1 -> [q(-1), q(1)], anything else -> the type's range, with
    q(f) = zp + TfLiteRound(f / scale) computed in float32."""
    qmin, qmax = type_range(dtype)

    def q(f: float) -> int:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            t = float(_F32(f) / _F32(scale))
        r = float(np.copysign(np.floor(abs(t) + 0.5), t))  # t is a float32: exact
        if not -_INT32_LIMIT <= r <= _INT32_LIMIT - 1:
            raise ValueError(f"fused activation bound {f} / output scale {scale} overflows int32")
        return int(zero_point) + int(r)

    if act in ("RELU", 1):
        return max(qmin, q(0.0)), qmax
    if act in ("RELU6", 3):
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act in ("RELU_N1_TO_1", 2):
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    return qmin, qmax


def per_channel_multipliers(s_in: float, s_w: np.ndarray, s_out: float
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PopulateConvolutionQuantizationParams: (multiplier, shift, real multiplier) per entry
    of ``s_w``, from double(s_in) * double(s_w[c]) / double(s_out)."""
    real = np.float64(s_in) * np.asarray(s_w, np.float32).astype(np.float64) / np.float64(s_out)
    pairs = [quantize_multiplier(float(m)) for m in real]
    return (np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64),
            real)


def check_bias_scale(op: str, s_in: float, s_w: float, bias: Any, s_out: float) -> None:
    """GetQuantizedConvolutionMultipler's bias check (per-tensor FULLY_CONNECTED): the bias
    scale must be within 2% of an output step of s_in * s_w (an unquantized bias reads as
    scale 0, so it fails)."""
    q = getattr(bias, "quantization", None)
    # The kernel reads the legacy per-tensor scale, which is 0 unless there is exactly one.
    s_b = 0.0 if q is None or q.scale is None or q.scale.size != 1 else float(
        np.float32(q.scale.ravel()[0]))
    diff = abs(float(np.float32(s_in)) * float(np.float32(s_w)) - s_b)
    if not diff / float(np.float32(s_out)) <= 0.02:
        raise ValueError(f"{op}: bias scale {s_b:g} differs from input scale x weight scale "
                         f"{float(s_in) * float(s_w):g} by more than 2% of the output scale "
                         f"{float(s_out):g} (LiteRT refuses this in Prepare)")


def quant(op: str, t: Any, what: str) -> TensorQuant:
    try:
        return tensor_quant(t, f"{op} {what}")
    except ValueError as e:
        raise ValueError(f"{e}: the integer kernel needs quantized tensors") from None


def act_zero_point(op: str, t: Any, what: str, dtype: str) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor activation; int16 activations need zero point 0
    (LiteRT checks it in Prepare)."""
    q = quant(op, t, what)
    zp = int(q.zero_point[0])
    if dtype == "int16" and zp != 0:
        raise ValueError(f"{op}: int16 {what} {t.name!r} has zero point {zp}; LiteRT's 16x8 "
                         f"kernels need 0")
    return float(q.scale[0]), zp


def filter_scales(op: str, w: Any, channels: int, axis: int, *, strict: bool = False
                  ) -> np.ndarray:
    """The weight scales broadcast to ``channels`` (a per-tensor scale is repeated), after
    LiteRT's Prepare checks: one scale, or one per output channel with as many along the
    quantized dimension (PopulateConvolutionQuantizationParams does not insist on ``axis``;
    FULLY_CONNECTED does: ``strict``)."""
    q = quant(op, w, "weights")
    n = q.scale.size
    if n == 1:
        return np.repeat(q.scale, channels)
    shape = tuple(getattr(w, "shape", ()))
    ok = n == channels and 0 <= q.axis < len(shape) and shape[q.axis] == n
    if not ok or (strict and q.axis != axis):
        raise ValueError(f"{op}: weights {w.name!r} have {n} scales along axis {q.axis}; "
                         f"expected 1 or {channels} along axis {axis}")
    return q.scale


def bias_kind(op: str, x_dtype: str, bias: Any, options: dict, *, int16_bias32: bool = True,
              ) -> str:
    """The accumulator LiteRT uses: 'int32' or 'int64'. int8 kernels take an int32 bias;
    16x8 kernels an int64 bias, or an int32 bias when ``quantized_bias_type`` says INT32 (the
    Eval reads the bias as int64 unless that option is set, so an int32 bias without it is
    refused here rather than misread)."""
    qbt = options.get("quantized_bias_type", "float32")
    qbt = {0: "float32", 2: "int32", 4: "int64"}.get(qbt, qbt)
    bdt = None if bias is None else bias.dtype
    if x_dtype == "int8":
        if bdt not in (None, "int32"):
            raise TypeError(f"{op}: int8 kernels need an int32 bias, got {bdt}")
        return "int32"
    if qbt not in ("float32", None, "int32", "int64"):
        raise ValueError(f"{op}: quantized_bias_type must be INT32 or INT64, got {qbt}")
    if qbt in ("int32", "int64") and bdt is not None and bdt != qbt:
        raise TypeError(f"{op}: bias is {bdt} but quantized_bias_type is {qbt}")
    if bdt not in (None, "int32", "int64") or (not int16_bias32 and bdt == "int32"):
        raise TypeError(f"{op}: the 16x8 kernel needs an int64 bias"
                        f"{' (or int32)' if int16_bias32 else ''}, got {bdt}")
    if qbt == "int32":
        return "int32"
    if bdt == "int32":
        raise TypeError(f"{op}: an int32 bias in 16x8 needs quantized_bias_type INT32 (LiteRT "
                        f"otherwise reads it as int64)")
    return "int64"


def bias_zero_point(op: str, bias: Any) -> None:
    q = getattr(bias, "quantization", None)
    if q is not None and q.zero_point is not None and q.zero_point.size and q.zero_point[0]:
        raise ValueError(f"{op}: bias {bias.name!r} has zero point {int(q.zero_point[0])}; "
                         f"LiteRT needs 0")


def check_types(op: str, x: Any, w: Any, out: Any, *, w_types: tuple[str, ...] = ("int8",)
                ) -> str:
    """Activation dtype ('int8' or 'int16') after the type checks the kernels share."""
    dt = x.dtype
    if dt not in ("int8", "int16"):
        raise TypeError(f"{op}: integer kernel needs int8 or int16 input, got {dt}")
    if out.dtype != dt:
        raise TypeError(f"{op}: output is {out.dtype}, input is {dt}; they must match")
    if w is not None and w.dtype not in w_types:
        raise TypeError(f"{op}: weights are {w.dtype}; the {dt} kernel takes "
                        f"{' or '.join(w_types)}")
    return dt


def constant(ctx: OpContext, value: np.ndarray | None) -> bool:
    """Whether ``value`` is the data of one of the op's constant input tensors."""
    return value is not None and any(t is not None and t.data is value for t in ctx.op.inputs)


# Fused activations the XNNPACK delegate turns into an output range; with any other it leaves
# the op to LiteRT's builtin kernel (delegates/xnnpack/xnnpack_delegate.cc).
_XNN_ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1", 0, 1, 2, 3)


def xnnpack(ctx: OpContext) -> bool:
    """Whether the runner emulates LiteRT's default resolver (the XNNPACK delegate) and the
    delegate takes this op's fused activation. Other profiles ('optimized' included, whose
    ruy kernels are CPU-dependent) use the reference arithmetic."""
    return (getattr(ctx.runner, "profile", "reference") == "xnnpack"
            and ctx.options.get("fused_activation_function", "NONE") in _XNN_ACTS)


# -- exact sums --------------------------------------------------------------------------------

def gemm_dtype(bound: float) -> type:
    """The float type in which sums bounded by ``bound`` are exact (see the module
    docstring)."""
    if bound < _F32_EXACT:
        return np.float32
    if bound < _F64_EXACT:
        return np.float64
    raise ValueError(f"integer sums up to {bound:.3g} cannot be formed exactly "
                     f"(limit 2^53)")


def max_abs_offset(x: np.ndarray, zp: int) -> int:
    """max |x - zp| over a (non-empty) integer array."""
    if x.size == 0:
        return 0
    return int(max(abs(int(x.max()) - zp), abs(int(x.min()) - zp)))


def centered(x: np.ndarray, zp: int, dtype: type) -> np.ndarray:
    """x - zp as a new float array (the kernels' input_offset applied)."""
    out = x.astype(dtype)
    if zp:
        out -= dtype(zp)
    return out


# -- output stage ------------------------------------------------------------------------------

@dataclass
class OutputStage:
    """Requantization, zero point and clamp of one op, computed at Prepare time.

    ``kind``: 'gemmlowp' (int32 MultiplyByQuantizedMultiplier), 'reduced' (int64 overload),
    'double' (reference FULLY_CONNECTED) or 'fp32' (XNNPACK). Per-channel arrays broadcast
    along the last axis of the accumulators."""

    kind: str
    mult: np.ndarray
    shift: np.ndarray
    real: np.ndarray  # float64 real multiplier per channel
    zp: int
    lo: int
    hi: int
    acc_bits: int  # width of LiteRT's accumulator: 32 wraps, 64 does not
    dtype: np.dtype
    scale32: np.ndarray | None = None

    def __call__(self, acc: np.ndarray, bias: np.ndarray | None, bound: float,
                 const_bias: bool = False) -> np.ndarray:
        """Accumulators (float holding exact integers, or int64; channels last; the array
        may be overwritten) plus ``bias`` -> output codes. ``bound``: the largest possible
        |acc| before the bias; ``const_bias``: the bias is a constant tensor's array (its
        conversions may be cached)."""
        shape = acc.shape
        if self.kind in ("gemmlowp", "reduced") and acc.dtype.kind == "f":
            out = self._float_path(acc, bias, bound, const_bias)
            if out is not None:
                return out
        a = np.ascontiguousarray(acc, dtype=np.int64)
        # Per-channel vectors broadcast along the last axis make NumPy's inner loop run C
        # elements at a time (several times slower for C < 64): view the accumulators as
        # rows of k * C and tile the vectors k times instead.
        c = self.mult.size
        k = self._rows_per_tile(a.size // c, c) if c > 1 else 1
        a = a.reshape(-1, k * c)
        total = bound
        if bias is not None and bias.size:
            b = bias.astype(np.int64).reshape(-1)
            a += np.tile(b, k) if b.size > 1 else b
            total += float(np.abs(b).max())
        if self.acc_bits == 32 and total >= _INT32_LIMIT:
            a = wrap_int32(a)
            total = _INT32_LIMIT
        if self.kind == "gemmlowp":
            v = _gemmlowp(a, self._vec("mult", k), self._vec("shift", k))
        elif self.kind == "reduced":
            v = _reduced(a, self._vec("mult", k), self._vec("shift", k))
        elif self.kind == "double":
            v = cast_float_to_int32(_round_away(a.astype(np.float64) * self._vec("real", k)))
        else:
            y = a.astype(np.float32)
            y *= self._vec("scale32", k)
            np.rint(y, out=y)
            np.clip(y, np.float32(self.lo - self.zp), np.float32(self.hi - self.zp), out=y)
            v = y.astype(np.int64)
        if self.zp:
            v += self.zp
            # int32 addition in C: only a result near +-2^31 can wrap.
            if self.kind == "double" or total * float(self.real.max()) + 2 >= (
                    _INT32_LIMIT - abs(self.zp)):
                v = wrap_int32(v)
        np.clip(v, self.lo, self.hi, out=v)
        return v.astype(self.dtype).reshape(shape)

    def _float_path(self, acc: np.ndarray, bias: np.ndarray | None, bound: float,
                    const_bias: bool = False) -> np.ndarray | None:
        """The fixed-point requantization evaluated in floating point, exactly.

        The fixed-point result is a rounding of v = acc * m with m = M * 2^(shift - 31)
        ('gemmlowp') or rm * 2^(shift - 15) ('reduced'). 'reduced' rounds once (ties up), so
        round(v) is right unless v is a tie. 'gemmlowp' rounds twice, to 2^-e (e = right
        shift) and then to an integer, which can only differ from round(v) when v lies within
        2^-(e+1) of a half-integer. So: y = acc * m in float (error ``err``, see below), and
        the elements whose y lies within that window plus err of a half-integer (a small
        fraction, or all of them for exact-tie scales) are recomputed with the integer code.
        Returns None when the shortcut does not apply (an int32 wrap could occur)."""
        c = self.mult.size
        cache = self.__dict__.setdefault("_fp", {})
        prep = cache.get("prep")
        if prep is None:
            if self.kind == "gemmlowp":
                m = self.mult.astype(np.float64) * np.exp2(self.shift - 31.0)
                e = np.maximum(-self.shift, 0)
                window = float(np.max(np.where(e >= 1, np.exp2(-(e + 1.0)), 0.0)))
                lshift = float(np.exp2(np.maximum(self.shift, 0).max()))
            else:
                rm = np.where(self.mult < 0x7FFF0000, (self.mult + (1 << 15)) >> 16, 0x7FFF)
                m = rm.astype(np.float64) * np.exp2(self.shift - 15.0)
                window, lshift = 0.0, 1.0
            span = 2.0 * (self.hi - self.lo + 1) if self.dtype == np.int8 else 2.0**17
            prep = cache["prep"] = (m, window, lshift, span, float(np.abs(m).max()))
        m, window, lshift, span, m_max = prep
        total = bound
        b = None
        if bias is not None and bias.size:
            hit = cache.get("bias") if const_bias else None
            if hit is None or hit[0] is not bias:
                hit = (bias, float(np.abs(bias.astype(np.int64)).max()), {})
                if const_bias:
                    cache["bias"] = hit
            b = hit
            total += hit[1]
        if (total * lshift >= _INT32_LIMIT or total * m_max + 2 + abs(self.zp) >= 2.0**30):
            return None
        # float32 while the sums with bias stay exact in it and the outputs are int8.
        dt = np.float32 if (acc.dtype == np.float32 and total < _F32_EXACT
                            and self.dtype == np.int8) else np.float64
        # |y - v| <= |v| * 2^-22.9 (float32: m and the product rounded) or |v| * 2^-52, and
        # only |v| < span matters: anything larger saturates either way.
        err = span * (2.0**-21 if dt is np.float32 else 2.0**-50)
        thr = 0.5 - window - err
        if thr <= 0.0:
            return None
        shape = acc.shape
        k = self._rows_per_tile(acc.size // c, c) if c > 1 else 1
        a = np.ascontiguousarray(acc, dtype=dt).reshape(-1, k * c)
        if b is not None:
            tiled = b[2].get((k, dt))
            if tiled is None:
                flat = b[0].reshape(-1).astype(dt)
                tiled = b[2][(k, dt)] = np.tile(flat, k) if flat.size > 1 else flat[0]
            a += tiled
        mt = cache.get(("m", k, dt))
        if mt is None:
            mt = cache[("m", k, dt)] = (np.tile(m, k) if c > 1 else m).astype(dt)
        y = a * mt
        r = np.rint(y)
        y -= r
        np.abs(y, out=y)
        near = y >= dt(thr)
        if near.any():
            idx = np.flatnonzero(near)
            ai = a.reshape(-1)[idx].astype(np.int64)
            col = idx % (k * c)
            mult, shift = self._vec("mult", k), self._vec("shift", k)
            mult = mult[col] if np.ndim(mult) else mult
            shift = shift[col] if np.ndim(shift) else shift
            exact = (_gemmlowp if self.kind == "gemmlowp" else _reduced)(ai, mult, shift)
            r.reshape(-1)[idx] = exact
        # Clamp before adding the zero point, which then cannot overflow the output type.
        np.clip(r, dt(self.lo - self.zp), dt(self.hi - self.zp), out=r)
        out = r.astype(self.dtype)
        if self.zp:
            out += self.dtype.type(self.zp)
        return out.reshape(shape)

    def _vec(self, name: str, k: int) -> Any:
        """A per-channel parameter as a scalar (one value, or all equal) or tiled k times."""
        cache = self.__dict__.setdefault("_tiles", {})
        hit = cache.get((name, k))
        if hit is None:
            v = getattr(self, name)
            hit = v.reshape(-1)[0] if v.size == 1 or np.all(v == v.reshape(-1)[0]) else (
                np.tile(v, k))
            cache[(name, k)] = hit
        return hit

    def _rows_per_tile(self, rows: int, c: int) -> int:
        """The largest k <= 512 / C dividing ``rows`` (1 for wide layers)."""
        cache = self.__dict__.setdefault("_ks", {})
        k = cache.get((rows, c))
        if k is None:
            k = max(1, min(rows, 512 // c))
            while rows % k:
                k -= 1
            cache[(rows, c)] = k
        return k


def output_stage(kind: str, s_in: float, s_w: np.ndarray, s_out: float, zp: int,
                 act_range: tuple[int, int], acc_bits: int, dtype: str, *,
                 float32_product: bool = False
                 ) -> OutputStage:
    """An OutputStage with per-channel multipliers (``s_w`` has one scale per channel, or
    one). ``float32_product``: form s_in * s_w in float32 first (BATCH_MATMUL)."""
    s_w = np.asarray(s_w, np.float32).ravel()
    if float32_product:
        real = (s_w * _F32(s_in)).astype(np.float64) / np.float64(s_out)
        pairs = [quantize_multiplier(float(m)) for m in real]
        mult = np.array([p[0] for p in pairs], np.int64)
        shift = np.array([p[1] for p in pairs], np.int64)
    else:
        mult, shift, real = per_channel_multipliers(s_in, s_w, s_out)
    if kind == "reduced" and np.any(shift >= 15):
        raise ValueError(f"requantization multiplier {float(real.max()):g} is too large for "
                         f"LiteRT's 64-bit accumulator path (shift >= 15)")
    stage = OutputStage(kind, mult, shift, real, int(zp), act_range[0], act_range[1], acc_bits,
                        np.dtype(dtype))
    if kind == "fp32":
        # XNNPACK: requantization scale = input_scale * kernel_scale / output_scale in float.
        stage.scale32 = (_F32(s_in) * s_w) / _F32(s_out)
    return stage


def _round_away(y: np.ndarray) -> np.ndarray:
    """std::round on float64: ties away from zero, exactly (floor(|y| + 0.5) can round up
    0.49999999999999994)."""
    r = np.rint(y)
    t = np.trunc(y)
    tie = np.abs(y - t) == 0.5
    if tie.any():
        r = np.where(tie, t + np.sign(y), r)
    return r


def _gemmlowp(x: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (int32 overload, double rounding) on int64 values in the
    int32 range. SRDHM(x, M) = floor((x * M + 2^30) / 2^31) (its nudge-then-truncate is
    exactly ties toward +inf); RDBPOT(q, e) = floor((q + 2^(e-1) - [q < 0]) / 2^e) (ties
    away from zero). Same results as qmath.multiply_by_quantized_multiplier, fewer passes."""
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    if left.any():
        x = wrap_int32(x << left)  # x * (1 << left) on int32 wraps in C
    q = x * mult
    q += 1 << 30
    q >>= 31
    if right.any():
        neg = q < 0
        if not right.all():
            neg &= right > 0
        q += np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
        q -= neg
        q >>= right
    return q


def _reduced(x: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """MultiplyByQuantizedMultiplier's int64 overload: the multiplier rounded to 15 bits,
    one rounding (ties up), and the int64 result truncated to int32."""
    rm = np.where(mult < 0x7FFF0000, (mult + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - shift
    q = x * rm
    q += np.int64(1) << (total - 1)
    q >>= total
    return wrap_int32(q)


# -- test examples -----------------------------------------------------------------------------
# Builders for the integer Examples of the op files (random codes and scales, or dyadic scales
# whose requantization multipliers are 1/2, 1/4, 3/8, 1/8 so that many results are exact
# rounding ties).

TIE_MULTIPLIERS = (0.5, 0.25, 0.375, 0.125)
# Typical real output size for examples whose fused activation clamps at a fixed bound.
CLAMP_TYPICAL = {"RELU6": 4.0, "RELU_N1_TO_1": 0.7}


def example_act(rng: np.random.Generator, shape: tuple[int, ...], dtype: str = "int8", *,
                small: bool = False, scale: float | None = None, zp: int | None = None
                ) -> tuple[np.ndarray, float, int]:
    """(codes, scale, zero point) of a random activation: int8 with a random zero point,
    int16 with zero point 0; ``small`` keeps codes within +-3 of the zero point (so that the
    sums stay small and rounding ties are common)."""
    qmin, qmax = type_range(dtype)
    if zp is None:
        zp = int(rng.integers(-40, 41)) if dtype == "int8" else 0
    if small:
        codes = zp + rng.integers(-3, 4, shape)
    elif dtype == "int16":
        codes = rng.integers(-32000, 32001, shape)
    else:  # around the zero point, so that sums of products do not drift to saturation
        codes = zp + rng.integers(-110, 111, shape)
    if scale is None:
        scale = float(np.float32(rng.uniform(0.005, 0.05) * (1.0 if dtype == "int8" else 1e-2)))
    return np.clip(codes, qmin, qmax).astype(dtype), scale, int(zp)


def example_weights(rng: np.random.Generator, shape: tuple[int, ...], axis: int | None, *,
                    small: bool = False, scales: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(int8 symmetric narrow-range weights, float32 scales): per channel along ``axis`` or
    per tensor (axis None)."""
    w = rng.integers(-3, 4, shape) if small else rng.integers(-127, 128, shape)
    n = 1 if axis is None else shape[axis]
    if scales is None:
        scales = rng.uniform(0.002, 0.02, n)
    return w.astype(np.int8), np.asarray(scales, np.float32).reshape(n)


def example_bias(rng: np.random.Generator, n: int, s_in: float, s_w: np.ndarray,
                 dtype: str = "int32", magnitude: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """(bias codes, float32 scales s_in * s_w)."""
    s = (np.float32(s_in) * np.asarray(s_w, np.float32)).astype(np.float32)
    if s.size == 1 and n > 1:
        s = np.repeat(s, n)
    return rng.integers(-magnitude, magnitude + 1, n).astype(dtype), s


def example_out_scale(s_in: float, s_w: np.ndarray, terms: int, x_spread: float,
                      w_spread: float, dtype: str = "int8") -> float:
    """An output scale under which a sum of ``terms`` random products spans a good part of
    the output type (some outputs saturate, most do not)."""
    typical = float(np.median(s_w)) * s_in * x_spread * w_spread * np.sqrt(terms)
    return float(np.float32(typical / (40.0 if dtype == "int8" else 8000.0)))


def example_tie_scales(rng: np.random.Generator, n: int, s_in: float, s_out: float
                       ) -> np.ndarray:
    """Weight scales giving the per-channel real multipliers s_in * s_w / s_out of
    TIE_MULTIPLIERS exactly (all three scales powers of two times small integers)."""
    return (np.asarray(rng.choice(TIE_MULTIPLIERS, n)) * s_out / s_in).astype(np.float32)


def example_gemm(rng: np.random.Generator, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                 w_axis: int, terms: int, *, dtype: str = "int8", per_channel: bool = True,
                 ties: bool = False, bias: str | None = "int32",
                 slots: tuple[int, int, int] = (0, 1, 2), typical: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict[str, tuple]]:
    """Codes and quantization for an (input, weights, bias) -> output GEMM-family example:
    (x, w, bias or None, quant dict keyed 'in<slot>' / 'out0'). ``terms``: products per
    output (for the output scale); ``slots``: input positions of x, w and the bias; ``bias``:
    its dtype, or None for no bias; ``ties``: small codes and dyadic scales (exact ties);
    ``typical``: the input scale is picked so that a typical real output has this size (so
    that a RELU6 or RELU_N1_TO_1 clamp bites)."""
    cout = w_shape[w_axis]
    nscale = cout if per_channel else 1
    axis = w_axis if per_channel else None
    zp_out = int(rng.integers(-20, 21)) if dtype == "int8" else 0
    if ties:
        s_in, s_out = 0.25, (0.125 if dtype == "int8" else 2.0**-6)
        x, s_in, zp_in = example_act(rng, x_shape, dtype, small=True, scale=s_in)
        w, s_w = example_weights(rng, w_shape, axis, small=True,
                                 scales=example_tie_scales(rng, nscale, s_in, s_out))
        magnitude = 20
    else:
        x, s_in, zp_in = example_act(rng, x_shape, dtype)
        w, s_w = example_weights(rng, w_shape, axis)
        spread = 74.0 if dtype == "int8" else 18000.0
        if typical is not None:
            now = example_out_scale(s_in, s_w, terms, spread, 73.0, "int8") * 40.0
            s_in = float(np.float32(s_in * typical / now))
        s_out = example_out_scale(s_in, s_w, terms, spread, 73.0, dtype)
        magnitude = int(spread * 73 * np.sqrt(terms))
    quant: dict[str, tuple] = {f"in{slots[0]}": (s_in, zp_in), "out0": (s_out, zp_out)}
    quant[f"in{slots[1]}"] = ((s_w, np.zeros(nscale, np.int64), w_axis) if per_channel
                              else (float(s_w[0]), 0))
    b = None
    if bias is not None:
        b, s_b = example_bias(rng, cout, s_in, s_w, bias, magnitude)
        quant[f"in{slots[2]}"] = ((s_b, np.zeros(cout, np.int64), 0) if per_channel
                                  else (float(s_b[0]), 0))
    return x, w, b, quant
