"""DEQUANTIZE: float16 / int8 / uint8 / int16 / int4 (also uint4, int2) -> float32
(tflite/kernels/dequantize.cc, reference_ops::Dequantize and PerChannelDequantize).

Integer input: float32(scale * (q - zero_point)). The reference kernel forms that product in
double per tensor and in float per channel; both round the exact product once, because a
float32 scale times a 17-bit integer is exact in double, so one float64 product cast to
float32 reproduces both. LiteRT has no per-channel int16 kernel and requires zero point 0 for
int16. float16 input is widened exactly.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._quant import tensor_quant, unpack_low_bits

OP = "DEQUANTIZE"
OPTIONS = None


def _values(ctx: OpContext, q: np.ndarray) -> np.ndarray:
    """Integer codes as int64; packed uint4/int2 buffers arrive as raw bytes."""
    t = ctx.op.inputs[0]
    if t.dtype in ("uint4", "int2") and q.dtype == np.uint8 and q.size != int(np.prod(t.shape)):
        bits = 4 if t.dtype == "uint4" else 2
        count = int(np.prod(t.shape))
        q = unpack_low_bits(q, count, bits, signed=t.dtype == "int2").reshape(t.shape)
    return q.astype(np.int64)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.dtype == np.float16:
        return x.astype(np.float32)
    t = ctx.op.inputs[0]
    if t.dtype not in ("int8", "uint8", "int16", "int4", "uint4", "int2"):
        raise TypeError(f"DEQUANTIZE does not take {t.dtype} input")
    qp = tensor_quant(t, "DEQUANTIZE input")
    if t.dtype == "int16":
        if qp.per_channel:
            raise TypeError("DEQUANTIZE has no per-channel int16 kernel")
        if qp.zero_point[0] != 0:
            raise ValueError("DEQUANTIZE int16 input needs zero point 0")
    v = _values(ctx, x)
    if qp.per_channel and not 0 <= qp.axis < v.ndim:
        raise ValueError(f"DEQUANTIZE: quantized_dimension {qp.axis} out of range")
    scale, zp = qp.broadcast(v.ndim)
    return (scale.astype(np.float64) * (v - zp)).astype(np.float32)



def version(op: Operator) -> int:
    t = op.inputs[0]
    dt = t.dtype
    if dt.startswith("float8"):
        return 9
    fixed = {"uint4": 8, "int2": 7, "int4": 6, "int16": 3, "float16": 3}
    if dt in fixed:
        return fixed[dt]
    if dt == "int8":
        q = t.quantization
        if (q is not None and q.scale is not None and q.scale.size > 1
                and 0 <= q.quantized_dimension < len(t.shape)
                and t.shape[q.quantized_dimension] == q.scale.size):
            return 5
        return 2
    return 1


def _fp16(rng: np.random.Generator, *shape: int) -> np.ndarray:
    x = randn(rng, *shape, scale=100.0).astype(np.float16)
    x.ravel()[:3] = [np.float16(65504), np.float16(6e-8), np.float16(-0.0)]
    return x


EXAMPLES = [
    lambda rng: Example([Const(_fp16(rng, 4, 3, 3, 2))], {}, "float16 constant",
                        output_dtypes=["float32"]),
    lambda rng: Example([_fp16(rng, 2, 7)], {}, "float16 runtime", output_dtypes=["float32"]),
    lambda rng: Example([rng.integers(-128, 128, (3, 5, 4)).astype(np.int8)], {}, "int8",
                        output_dtypes=["float32"], quant={"in0": (0.0172, -9)}),
    lambda rng: Example([rng.integers(0, 256, (6, 5)).astype(np.uint8)], {}, "uint8",
                        output_dtypes=["float32"], quant={"in0": (0.5, 128)}),
    lambda rng: Example([rng.integers(-32768, 32768, (4, 9)).astype(np.int16)], {}, "int16",
                        output_dtypes=["float32"], quant={"in0": (1 / 3000, 0)}),
    lambda rng: Example([Const(rng.integers(-127, 128, (4, 3, 3, 2)).astype(np.int8))], {},
                        "int8 per-axis constant", output_dtypes=["float32"],
                        quant={"in0": ([0.1, 0.02, 0.003, 0.4], [0, 0, 0, 0], 0)}),
]
