"""MEAN: average over the axes in input 1 (tflite/kernels/reduce.cc EvalMean, reference_ops::Mean).

Float: a float32 sum folded in row-major order (see ``_reduce``) divided by the element count
in float32. int32/int64: an int64 sum divided with C++ truncation toward zero. An empty input
gives NaN (float) like ``InitializeMeanOutput``. Quantized int8/int16 inputs use the integer
kernel, not this one.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import reducer_inputs, sequential_sum

OP = "MEAN"
OPTIONS = "ReducerOptions"


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axes, out_shape = reducer_inputs(ctx, x, axis)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if x.dtype == np.float32:
        if x.size == 0:
            return np.full(out_shape, np.nan, np.float32)
        s = sequential_sum(x, axes, np.float32)
        return (s / np.float32(count) if count else s).astype(np.float32).reshape(out_shape)
    if x.dtype in (np.int32, np.int64):
        if x.size == 0:
            # quiet_NaN() of an integer type is 0.
            return np.zeros(out_shape, x.dtype)
        s = sequential_sum(x, axes, np.int64)
        if count:
            s = np.where(s < 0, -((-s) // count), s // count)
        return s.astype(x.dtype).reshape(out_shape)
    raise TypeError(f"MEAN float kernel does not take {x.dtype} input")


def version(op: Operator) -> int:
    dt = op.inputs[0].dtype
    return 3 if dt == "int16" else 2 if dt == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 7, 7, 16), Const(np.array([1, 2], np.int32))],
                        {"keep_dims": True}, "global pool keep_dims"),
    lambda rng: Example([randn(rng, 3, 5, 4), Const(np.array([-1], np.int32))],
                        {"keep_dims": False}, "negative axis"),
    lambda rng: Example([randn(rng, 2, 3, 4, 5), Const(np.array([3, 0, -1], np.int32))],
                        {"keep_dims": False}, "multiple axes with duplicate"),
    lambda rng: Example([randn(rng, 4, 6), Const(np.array([0, 1], np.int32))],
                        {"keep_dims": True}, "all axes"),
    lambda rng: Example([rng.integers(-50, 50, (3, 4, 5)).astype(np.int32),
                         Const(np.array([1], np.int32))], {"keep_dims": False},
                        "int32 truncating division"),
    lambda rng: Example([randn(rng, 2, 3, 4), np.array([2, 0], np.int32)],
                        {"keep_dims": True}, "runtime axis"),
]
