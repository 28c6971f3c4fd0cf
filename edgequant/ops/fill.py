"""FILL: a tensor of shape ``dims`` filled with the scalar ``value`` (tflite/kernels/fill.cc).

Inputs (dims, value): dims a 1-D int32 or int64 tensor (constant or run-time, every entry
>= 0), value a rank-0 tensor whose dtype the output takes (float32, int8, int16, int32,
int64, bool, ...). A quantized int8 / int16 value fills as its raw code (``run_int``);
LiteRT's Prepare requires the value and the output to share scale and zero point exactly, and
an int16 value a zero point of 0.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import KEEP, SHARED, Quant
from ._shape import (
    dims,
    in_dtype,
    ints,
    qspec,
    rand,
    require_same_quant,
    require_zero_point_0,
    with_quant,
)

OP = "FILL"
OPTIONS = "FillOptions"
QUANT = Quant(inputs=(KEEP, SHARED), outputs=SHARED)


def run_float(ctx: OpContext, shape: np.ndarray, value: np.ndarray) -> np.ndarray:
    if np.asarray(shape).dtype not in (np.int32, np.int64) or np.asarray(shape).ndim != 1:
        raise TypeError("FILL dims must be a 1-D int32 or int64 tensor")
    d = ints(shape, "FILL dims")
    if any(v < 0 for v in d):
        raise ValueError(f"FILL dims must be >= 0, got {d}")
    if np.ndim(value) != 0:
        raise ValueError("FILL value must be a scalar (rank 0)")
    return np.full(d, value, dtype=np.asarray(value).dtype)


def run_int(ctx: OpContext, shape: np.ndarray, value: np.ndarray) -> np.ndarray:
    require_same_quant(OP, ctx.op.inputs[1], ctx.op.outputs[0])
    require_zero_point_0(OP, ctx.op.inputs[1])
    return run_float(ctx, shape, value)


def version(op: Operator) -> int:
    t = in_dtype(op, 1)
    if t == "float16":
        return 4
    if t in ("int8", "int16"):
        return 3
    return 2 if t in ("bool", "string") else 1


def _ex(rng: np.random.Generator, rank: int, dtype: str, name: str, dims_dtype: str = "int32",
        runtime: bool = False) -> Example:
    d = np.array(dims(rng, rank), dims_dtype)
    v = rand(rng, [], dtype)
    return Example([d if runtime else Const(d), v], {}, name, output_dtypes=[dtype])


EXAMPLES = [
    lambda rng: _ex(rng, 3, "float32", "float"),
    lambda rng: _ex(rng, 2, "int32", "runtime int64 dims", "int64", runtime=True),
    lambda rng: _ex(rng, 4, "bool", "bool"),
    lambda rng: _ex(rng, 2, "int8", "runtime dims int8", runtime=True),
    lambda rng: _ex(rng, 1, "int64", "int64"),
    lambda rng: _ex(rng, 0, "float32", "scalar output"),
    lambda rng: with_quant(_ex(rng, 3, "int8", ""), qspec(rng), (1,), "quantized int8"),
    lambda rng: with_quant(_ex(rng, 2, "int16", "", runtime=True), qspec(rng, "int16"), (1,),
                           "quantized int16 runtime dims"),
]
