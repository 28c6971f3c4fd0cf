"""SUM: sum over the axes in input 1 (tflite/kernels/reduce.cc EvalSum -> EvalGeneric kSum).

Float sums are folded one element at a time in row-major order, exactly like the reference
``ReduceGeneric`` / ``ReduceAllDims`` (see ``_reduce``); integer sums wrap on overflow.
LiteRT splits an all-axes reduction of more than 1024 x threads elements across threads, which
changes float rounding slightly; we always fold sequentially.

int8 / int16 (``run_int``, see ``_reduce.quantized_mean_or_sum``): BUILTIN_REF's int8 SUM
reads the codes as uint8 (reduce.cc instantiates QuantizedMeanOrSum<uint8_t> in its reference
branch), which we reproduce under the 'reference' profile: the result is garbage for any
negative code, but it is what that resolver computes. Its int16 SUM reads uninitialised
memory, so int16 follows the optimized kernel under every profile: float32
round(sum * s_in / s_out - zp_in * count * s_in / s_out) + zp_out, which is also the int8
'optimized' profile. The 'xnnpack' profile follows XNNPACK's int8 reduction (ties to even)
for constant, non-empty axes. int16 needs zero points of 0.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import quantized_mean_or_sum, reducer_inputs, sequential_sum
from ._rules import ACT, KEEP, Quant
from ._shape import qrand, qspec

OP = "SUM"
OPTIONS = "ReducerOptions"
# SUM rescales, so the output gets its own range.
QUANT = Quant(inputs=(ACT, KEEP), outputs=ACT)


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axes, out_shape = reducer_inputs(ctx, x, axis)
    if x.dtype in (np.float32, np.int32, np.int64):
        return sequential_sum(x, axes, x.dtype).astype(x.dtype).reshape(out_shape)
    # LiteRT always takes the quantized path for 8/16-bit integers (the integer kernel).
    raise TypeError(f"SUM float kernel does not take {x.dtype} input")


def run_int(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return quantized_mean_or_sum(ctx, x, axis, compute_sum=True)


def _q(rng: np.random.Generator, shape: tuple[int, ...], axes: list[int], keep: bool,
       name: str, specs: tuple | None = None) -> Example:
    specs = specs or (qspec(rng), qspec(rng))
    return Example([qrand(rng, shape), Const(np.array(axes, np.int32))], {"keep_dims": keep},
                   name, quant={"in0": specs[0], "out0": specs[1]})


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
    # int8 (BUILTIN_REF's uint8 reading, see above). int16 is checked against LiteRT's
    # default resolver in tests/test_int_movement.py instead.
    lambda rng: _q(rng, (2, 5, 5, 8), [1, 2], True, "int8 spatial keep_dims"),
    lambda rng: _q(rng, (3, 4, 6), [-2, 0], False, "int8 two axes"),
    lambda rng: _q(rng, (2, 3, 4), [0, 1, 2], False, "int8 all axes"),
    lambda rng: _q(rng, (4, 3), [1], False, "int8 ties", ((0.25, -3), (0.5, 7))),
    lambda rng: _q(rng, (3, 6), [1], True, "int8 small sums", ((0.01, 0), (0.5, -128))),
]
