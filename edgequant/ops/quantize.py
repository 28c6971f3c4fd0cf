"""QUANTIZE: float32 -> int8/uint8/int16 (per-tensor or per-axis), or requantize between
integer types (tflite/kernels/quantize.cc with reference_ops::AffineQuantize,
PerChannelQuantize and Requantize).

Float input: q = round_half_away(x / scale) + zero_point with the division in float32, then
clamped to the output type. The float -> int32 conversion happens before the zero point is
added and the clamp, so NaN and |x / scale| >= 2**31 become INT32_MIN (the x86 conversion
result) and end up at the type's minimum (or wrap when a negative zero point is added).

Under the 'optimized' and 'xnnpack' profiles a per-tensor float input is multiplied by
float32(1 / scale) and rounded half to even instead, as LiteRT's optimized kernel and XNNPACK do.

Integer input (int8/uint8 -> int8/uint8/int16, int16 -> int8/int16/int32, int32 ->
int8/int16): q = MultiplyByQuantizedMultiplier(x - zp_in, M, shift) + zp_out, clamped, with
(M, shift) = QuantizeMultiplier(double(s_in) / double(s_out)) and gemmlowp double rounding.
Only the first scale/zero point of each side is used there, as in LiteRT.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ..qmath import (cast_float_to_int32, multiply_by_quantized_multiplier,
                     quantize_multiplier, round_half_away, wrap_int32)
from ..dtypes import qrange as type_range
from ._quant import tensor_quant

OP = "QUANTIZE"
OPTIONS = None

_REQUANT = {"int8": ("int8", "uint8", "int16"), "uint8": ("int8", "uint8", "int16"),
            "int16": ("int8", "int16", "int32"), "int32": ("int8", "int16")}


def _from_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    out_t = ctx.op.outputs[0]
    if out_t.dtype not in ("int8", "uint8", "int16", "int4", "uint4"):
        raise TypeError(f"QUANTIZE cannot produce {out_t.dtype} from float32")
    q = tensor_quant(out_t, "QUANTIZE output")
    if q.per_channel and out_t.dtype in ("int4", "uint4"):
        raise TypeError(f"QUANTIZE has no per-channel {out_t.dtype} kernel")
    if q.per_channel and not 0 <= q.axis < x.ndim:
        raise ValueError(f"QUANTIZE: quantized_dimension {q.axis} out of range")
    scale, zp = q.broadcast(x.ndim)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if ctx.runner.profile in ("optimized", "xnnpack") and not q.per_channel:
            # The optimized kernel and XNNPACK multiply by float32(1 / scale) and round
            # ties to even (SPEC_NOTES §4.3).
            inv = np.float32(1) / scale.astype(np.float32)
            r = np.rint(np.asarray(x, np.float32) * inv)
        else:
            r = round_half_away(np.asarray(x, np.float32) / scale)
    v = wrap_int32(cast_float_to_int32(r) + zp)
    lo, hi = type_range(out_t.dtype)
    out = np.clip(v, lo, hi)
    return out.astype(np.int8 if out_t.dtype in ("int4", "uint4") else out_t.dtype)


def _requantize(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    in_t, out_t = ctx.op.inputs[0], ctx.op.outputs[0]
    if out_t.dtype not in _REQUANT.get(in_t.dtype, ()):
        raise TypeError(f"QUANTIZE cannot requantize {in_t.dtype} to {out_t.dtype}")
    qi = tensor_quant(in_t, "QUANTIZE input")
    qo = tensor_quant(out_t, "QUANTIZE output")
    if in_t.dtype == out_t.dtype == "int16" and (qi.zero_point[0] or qo.zero_point[0]):
        raise ValueError("QUANTIZE int16 -> int16 needs zero points of 0")
    mult, shift = quantize_multiplier(float(np.float64(qi.scale[0]) / np.float64(qo.scale[0])))
    v = multiply_by_quantized_multiplier(wrap_int32(x.astype(np.int64) - qi.zero_point[0]),
                                         mult, shift)
    lo, hi = type_range(out_t.dtype)
    return np.clip(wrap_int32(v + qo.zero_point[0]), lo, hi).astype(out_t.dtype)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.dtype == np.float32:
        return _from_float(ctx, x)
    return _requantize(ctx, x)


def version(op: Operator) -> int:
    src, dst = op.inputs[0], op.outputs[0]
    if "uint4" in (src.dtype, dst.dtype):
        return 5
    if "int4" in (src.dtype, dst.dtype):
        return 4
    q = dst.quantization
    # op_signature.cc: per-channel when the scale count (> 1) equals the quantized dimension's
    # size; the output has the input's shape, which is known even before shapes are inferred.
    shape = src.shape
    if (q is not None and q.scale is not None and q.scale.size > 1
            and 0 <= q.quantized_dimension < len(shape)
            and shape[q.quantized_dimension] == q.scale.size):
        return 3
    return 2 if dst.dtype == "int16" else 1


def _ties(rng: np.random.Generator) -> np.ndarray:
    # Exact .5 ties of x / scale, plus values far outside the int8 range.
    k = rng.integers(-300, 300, (4, 16)).astype(np.float32)
    return (k + np.float32(0.5)) * np.float32(0.25)


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 3, 8, scale=3.0)], {}, "float->int8",
                        output_dtypes=["int8"], quant={"out0": (0.05, -3)}),
    lambda rng: Example([_ties(rng)], {}, "float->uint8 ties and clamping",
                        output_dtypes=["uint8"], quant={"out0": (0.25, 128)}),
    lambda rng: Example([randn(rng, 5, 33, scale=20.0)], {}, "float->int16",
                        output_dtypes=["int16"], quant={"out0": (1 / 1024, 0)}),
    lambda rng: Example([randn(rng, 2, 4, 3)], {}, "float->int8 per-axis",
                        output_dtypes=["int8"],
                        quant={"out0": ([0.01, 0.02, 0.03, 0.05], [0, -5, 3, 10], 1)}),
    lambda rng: Example([rng.integers(-128, 128, (3, 20)).astype(np.int8)], {},
                        "requantize int8->int8", output_dtypes=["int8"],
                        quant={"in0": (0.0371, 5), "out0": (0.0213, -7)}),
    lambda rng: Example([rng.integers(-128, 128, (6, 7)).astype(np.int8)], {},
                        "requantize int8->uint8 (+128)", output_dtypes=["uint8"],
                        quant={"in0": (0.1, -3), "out0": (0.1, 125)}),
]
