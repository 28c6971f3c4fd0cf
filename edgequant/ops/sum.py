"""SUM: sum over the axes in input 1 (tflite/kernels/reduce.cc EvalSum -> EvalGeneric kSum).

Float sums are folded one element at a time in row-major order, exactly like the reference
``ReduceGeneric`` / ``ReduceAllDims`` (see ``_reduce``); integer sums wrap on overflow.
LiteRT splits an all-axes reduction of more than 1024 x threads elements across threads, which
changes float rounding slightly; we always fold sequentially.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import reducer_inputs, sequential_sum

OP = "SUM"
OPTIONS = "ReducerOptions"


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axes, out_shape = reducer_inputs(ctx, x, axis)
    if x.dtype in (np.float32, np.int32, np.int64):
        return sequential_sum(x, axes, x.dtype).astype(x.dtype).reshape(out_shape)
    # LiteRT always takes the quantized path for 8/16-bit integers (the integer kernel).
    raise TypeError(f"SUM float kernel does not take {x.dtype} input")


def version(op: Operator) -> int:
    return 2 if op.inputs[0].dtype == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 5, 5, 8), Const(np.array([1, 2], np.int32))],
                        {"keep_dims": True}, "spatial keep_dims"),
    lambda rng: Example([randn(rng, 3, 4, 6), Const(np.array([-2], np.int32))],
                        {"keep_dims": False}, "negative axis"),
    lambda rng: Example([randn(rng, 2, 3, 4, 5), Const(np.array([0, 2, -4], np.int32))],
                        {"keep_dims": False}, "multiple axes with duplicate"),
    lambda rng: Example([randn(rng, 5, 7), Const(np.array([1, 0], np.int32))],
                        {"keep_dims": False}, "all axes"),
    lambda rng: Example([rng.integers(-2**30, 2**30, (4, 6)).astype(np.int32),
                         Const(np.array([0], np.int32))], {"keep_dims": True},
                        "int32 wrapping"),
]
