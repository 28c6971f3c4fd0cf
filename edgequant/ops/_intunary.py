"""Integer (int8 / 16x8) unary elementwise kernels: ABS, SQRT, RSQRT, EXP and LOG, as tables
over every input code, bit-exact with LiteRT's reference kernels (ai-edge-litert 2.3.0).

* ABS, SQRT, RSQRT: tflite/kernels/elementwise.cc (AbsEvalQuantized, SqrtEvalQuantized,
  RsqrtEvalQuantizedInt8, and for int16 RSQRT a LUTPopulate of 1 / sqrtf); RSQRT int8 uses
  GetInvSqrtQuantizedMultiplierExp (``_fixedpoint``).
* EXP: tflite/kernels/exp.cc, LOG: elementwise.cc LogLUTPrepare: LUTPopulate
  (internal/common.h) of the C library's ``expf`` / ``logf`` (``edgequant.libm``).

Codes LiteRT refuses at Eval (SQRT / RSQRT below the zero point) make the kernel raise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import libm
from ..dtypes import qrange
from ..qmath import cast_float_to_int32, quantize_multiplier, wrap_int32
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ._base import OpContext
from ._fixedpoint import inv_sqrt_multiplier_exp
from ._intparams import QUANT_TYPES, cached, check_types, io_params
from ._lut import CodeTable, all_codes, lut_int8, lut_int16, lut_lookup_int16


def run_unary(ctx: OpContext, x: np.ndarray,
              prepare: Callable[[OpContext, str], CodeTable],
              allowed: tuple[str, ...] = QUANT_TYPES) -> np.ndarray:
    """run_int of a unary op: type checks, then the cached table ``prepare(ctx, dtype)``."""
    dtype = check_types(ctx, x, allowed=allowed)
    return cached(ctx, lambda: prepare(ctx, dtype), ("unary", dtype))(x)


def _lut_int16_codes(fn: Callable[[np.ndarray], np.ndarray], si: np.float32, zi: int,
                     so: np.float32, zo: int) -> np.ndarray:
    """LUTPopulate<int16> looked up (LUTLookup) at every int16 code, in code order."""
    lut = lut_int16(fn, si, zi, so, zo)
    return lut_lookup_int16(all_codes("int16"), lut).astype(np.int16)


def _lut_codes(dtype: str, fn: Callable[[np.ndarray], np.ndarray], si: np.float32, zi: int,
               so: np.float32, zo: int) -> np.ndarray:
    """LUTPopulate of ``fn`` for ``dtype``, evaluated at every code, in code order. int8:
    values past the int32 range saturate (measured on EXP: +inf gives 127)."""
    if dtype == "int8":
        return lut_int8(fn, si, zi, so, zo, saturate=True).astype(np.int8)
    return _lut_int16_codes(fn, si, zi, so, zo)


def abs_table(ctx: OpContext, dtype: str) -> CodeTable:
    """ABS (AbsEvalQuantized): |q - zp_in|, rescaled by QuantizeMultiplier(s_in / s_out) only
    when the two float32 scales differ, plus zp_out, clamped to the type."""
    si, zi, so, zo = io_params(ctx, ctx.op.type, dtype)
    value = np.abs(all_codes(dtype) - zi)
    if si != so:
        value = mbqm(value, *quantize_multiplier(float(np.float32(si / so))))
    return CodeTable(dtype, np.clip(value + zo, *qrange(dtype)).astype(dtype))


def sqrt_table(ctx: OpContext, dtype: str) -> CodeTable:
    """SQRT (SqrtEvalQuantized): dequantize in float32, sqrtf, divide by s_out and *truncate*
    (a C cast, not a rounding), add zp_out, clamp. A negative input fails the invoke."""
    si, zi, so, zo = io_params(ctx, ctx.op.type, dtype)
    deq = (si * (all_codes(dtype) - zi).astype(np.float32)).astype(np.float32)
    with np.errstate(invalid="ignore"):
        root = np.sqrt(deq)
    q = wrap_int32(cast_float_to_int32((root / so).astype(np.float32)) + zo)
    return CodeTable(dtype, np.clip(q, *qrange(dtype)).astype(dtype), deq < 0,
                     f"{ctx.op.type}: input has negative values (LiteRT fails at invoke: Sqrt is "
                     "only defined for non-negative values)")


def rsqrt_table(ctx: OpContext, dtype: str) -> CodeTable:
    """RSQRT. int8 (RsqrtEvalQuantizedInt8): the fixed-point inverse square root of q - zp_in
    applied to 1 with a 20-bit headroom, then the multiplier 1 / (sqrtf(s_in) * s_out); q == zp_in
    gives 127. int16: LUTPopulate of 1 / sqrtf(x) (x <= 0 -> 32767 * s_out). Codes below zp_in
    fail the invoke in both."""
    si, zi, so, zo = io_params(ctx, ctx.op.type, dtype)
    c = all_codes(dtype)
    invalid = c < zi
    why = f"{ctx.op.type}: input below its zero point (LiteRT fails at invoke: Rsqrt is only " \
          "defined for positive values)"
    if dtype == "int16":
        def f(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                r = (np.float32(1) / np.sqrt(x)).astype(np.float32)
            return np.where(x <= 0, np.float32(np.float32(32767) * so), r)
        return CodeTable(dtype, _lut_int16_codes(f, si, zi, so, zo), invalid, why)
    value = np.maximum(c - zi, 0)
    inv, inv_shift = inv_sqrt_multiplier_exp(value, -1)
    mult, shift = quantize_multiplier(1.0 / float(np.float32(np.sqrt(si) * so)))
    data = mbqm(np.ones_like(inv), inv, inv_shift + 20)
    out = np.clip(mbqm(data, mult, shift - 20) + zo, -128, 127)
    return CodeTable(dtype, np.where(value == 0, 127, out).astype(np.int8), invalid, why)


def exp_table(ctx: OpContext, dtype: str) -> CodeTable:
    """EXP (exp.cc): LUTPopulate of expf."""
    si, zi, so, zo = io_params(ctx, ctx.op.type, dtype)
    return CodeTable(dtype, _lut_codes(dtype, libm.expf, si, zi, so, zo))


def log_table(ctx: OpContext, dtype: str) -> CodeTable:
    """LOG (LogLUTPrepare): LUTPopulate of logf, with inputs <= 0 mapped to the real value of
    the type's lowest code."""
    si, zi, so, zo = io_params(ctx, ctx.op.type, dtype)
    out_min = np.float32(np.float32(qrange(dtype)[0] - zo) * so)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        return np.where(x <= 0, out_min, libm.logf(np.where(x <= 0, 1, x)))

    return CodeTable(dtype, _lut_codes(dtype, f, si, zi, so, zo))
