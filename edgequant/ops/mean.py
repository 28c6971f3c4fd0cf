"""MEAN: average over the axes in input 1 (tflite/kernels/reduce.cc EvalMean, reference_ops::Mean).

Float: a float32 sum folded in row-major order (see ``_reduce``) divided by the element count
in float32. int32/int64: an int64 sum divided with C++ truncation toward zero. An empty input
gives NaN (float) like ``InitializeMeanOutput``.

int8 / int16 (``run_int``, reference_ops::QuantizedMeanOrSum through EvalQuantizedMean; see
``_reduce.quantized_mean_or_sum``): the int32 sum of the codes minus zp_in * count, scaled by
s_in / (s_out * count) in gemmlowp fixed point, plus zp_out. BUILTIN_REF has no special case
for keep_dims or for the global-average-pool axes [1, 2], so every axis set takes that path.
The 'optimized' profile reproduces the optimized resolver's int8 keep_dims [1, 2] kernel
(optimized_integer_ops::Mean) and the 'xnnpack' profile XNNPACK's int8 mean over constant
axes; both differ from the reference in the last bit of some outputs. int16 needs zero points
of 0.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import quantized_mean_or_sum, reducer_inputs, sequential_sum
from ._rules import ACT, KEEP, Quant
from ._shape import qrand, qspec

OP = "MEAN"
OPTIONS = "ReducerOptions"
# MEAN rescales, so the output gets its own range.
QUANT = Quant(inputs=(ACT, KEEP), outputs=ACT)


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


def run_int(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return quantized_mean_or_sum(ctx, x, axis, compute_sum=False)


def _q(rng: np.random.Generator, shape: tuple[int, ...], axes: list[int] | Const,
       keep: bool, name: str, specs: tuple | None = None, dtype: str = "int8") -> Example:
    specs = specs or (qspec(rng, dtype), qspec(rng, dtype))
    ax = axes if isinstance(axes, Const) else Const(np.array(axes, np.int32))
    return Example([qrand(rng, shape, dtype), ax], {"keep_dims": keep}, name,
                   quant={"in0": specs[0], "out0": specs[1]})


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
    # Integer kernel.
    lambda rng: _q(rng, (2, 7, 7, 16), [1, 2], True, "int8 global pool keep_dims"),
    lambda rng: _q(rng, (3, 5, 6, 8), [2, 1], False, "int8 global pool, batch 3"),
    lambda rng: _q(rng, (2, 3, 4, 5), [3, 0, -1], False, "int8 axes with duplicate"),
    lambda rng: _q(rng, (4, 6), [0, 1], True, "int8 all axes"),
    lambda rng: _q(rng, (2, 5, 3), [-2], False, "int8 in scale < out scale",
                   ((0.01, 5), (0.3, -7))),
    lambda rng: _q(rng, (2, 5, 3), [1], True, "int8 in scale > out scale",
                   ((0.5, -3), (0.02, 11))),
    # Dyadic scales: sums over 2 and 4 elements land exactly on .5 (ties); over 3 not.
    lambda rng: _q(rng, (3, 2, 4), [1], False, "int8 ties, count 2", ((0.5, 1), (0.5, -1))),
    lambda rng: _q(rng, (2, 4, 3), [1], True, "int8 ties, count 4", ((0.25, 0), (0.375, 3))),
    lambda rng: _q(rng, (2, 3, 3), [1, 2], False, "int8 count 9", ((0.5, -128), (0.5, -128))),
    lambda rng: _q(rng, (2, 3, 4), Const(np.zeros(0, np.int32)), False, "int8 no axes"),
    lambda rng: _q(rng, (2, 7, 7, 8), [1, 2], True, "int16 global pool", dtype="int16"),
    lambda rng: _q(rng, (3, 4, 5), [0, 2], False, "int16 two axes", dtype="int16"),
    lambda rng: _q(rng, (2, 4, 3), [1], False, "int16 ties", ((0.5, 0), (0.25, 0)), "int16"),
]
