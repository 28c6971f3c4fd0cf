"""EXPAND_DIMS: insert a size-1 dimension at ``axis`` (tflite/kernels/expand_dims.cc).

The axis is a one-element int32 or int64 tensor, constant or computed at run time; a
negative axis counts from the end of the *output* (axis + rank + 1), so -1 appends. A byte
copy, so every dtype works.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._shape import dims, rand, scalar_int

OP = "EXPAND_DIMS"
OPTIONS = "ExpandDimsOptions"


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    a = scalar_int(axis, "EXPAND_DIMS axis")
    if a < 0:
        a += x.ndim + 1
    if not 0 <= a <= x.ndim:
        raise ValueError(f"EXPAND_DIMS axis {scalar_int(axis)} out of range for rank {x.ndim}")
    return x.reshape(x.shape[:a] + (1,) + x.shape[a:])


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
]
