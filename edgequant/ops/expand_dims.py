"""EXPAND_DIMS: insert a size-1 dimension at ``axis`` (tflite/kernels/expand_dims.cc).

The axis is a one-element int32 or int64 tensor, constant or computed at run time; a
negative axis counts from the end of the *output* (axis + rank + 1), so -1 appends. A byte
copy, so every dtype works. LiteRT's Prepare requires equal input and output quantization
for every type, and a zero point of 0 for int16; ``run_int`` checks both.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import (
    dims,
    qspec,
    rand,
    require_same_quant,
    require_zero_point_0,
    scalar_int,
    with_quant,
)

OP = "EXPAND_DIMS"
OPTIONS = "ExpandDimsOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    a = scalar_int(axis, "EXPAND_DIMS axis")
    if a < 0:
        a += x.ndim + 1
    if not 0 <= a <= x.ndim:
        raise ValueError(f"EXPAND_DIMS axis {scalar_int(axis)} out of range for rank {x.ndim}")
    return x.reshape(x.shape[:a] + (1,) + x.shape[a:])


def run_int(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    require_same_quant(OP, ctx.op.inputs[0], ctx.op.outputs[0])
    require_zero_point_0(OP, ctx.op.inputs[0])
    return run_float(ctx, x, axis)


def version(op: Operator) -> int:
    return 1


EXAMPLES = [
    lambda rng: Example([rand(rng, dims(rng, 3)), Const(np.array(0, np.int32))], {}, "front"),
    lambda rng: Example([rand(rng, dims(rng, 2), "int32"), Const(np.array([-1], np.int64))],
                        {}, "negative int64 axis"),
    lambda rng: Example([rand(rng, dims(rng, 4), "bool"), Const(np.array([2], np.int32))],
                        {}, "middle bool"),
    lambda rng: Example([rand(rng, dims(rng, 3), "int8"), np.array([-2], np.int32)], {},
                        "runtime axis int8"),
    lambda rng: Example([rand(rng, [], "int64"), Const(np.array(0, np.int32))], {},
                        "scalar int64"),
    lambda rng: with_quant(Example([rand(rng, [2, 3, 4], "int8"), Const(np.array([-1], np.int32))],
                                   {}, "quantized int8 batch 2"), qspec(rng)),
    lambda rng: with_quant(Example([rand(rng, [3, 2], "int16"), np.array([1], np.int32)], {},
                                   "quantized int16 runtime axis"), qspec(rng, "int16")),
]
