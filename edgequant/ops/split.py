"""SPLIT: cut ``data`` into ``num_splits`` equal parts along ``axis`` (tflite/kernels/split.cc).

Inputs are (axis, data): the axis comes first. LiteRT reads the axis buffer as int32
without checking its type, so an int64 axis works too (its low word, on little-endian
hosts). It may be negative and may be a run-time tensor. The axis size must divide evenly.
No bool kernel. Quantized data is split as raw codes (``run_int``); LiteRT checks no
quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import KEEP, SHARED, Quant
from ._shape import dims, in_dtype, norm_axis, qspec, rand, require_dtype, scalar_int, with_quant

OP = "SPLIT"
OPTIONS = "SplitOptions"
# The data is input 1.
QUANT = Quant(inputs=(KEEP, SHARED), outputs=SHARED)


def run_float(ctx: OpContext, axis: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    require_dtype(x, "float32 uint8 int8 int16 int32 int64", OP)
    if np.asarray(axis).dtype not in (np.int32, np.int64):
        raise TypeError(f"SPLIT axis must be int32 or int64, got {np.asarray(axis).dtype}")
    a = norm_axis(scalar_int(axis, "SPLIT axis"), x.ndim)
    n = ctx.options.get("num_splits", 0)
    if n <= 0 or x.shape[a] % n:
        raise ValueError(f"SPLIT: axis size {x.shape[a]} does not split into {n} parts")
    return tuple(p.copy() for p in np.split(x, n, axis=a))


run_int = run_float


def version(op: Operator) -> int:
    return {"int16": 4, "int32": 3, "int8": 2}.get(in_dtype(op, 1), 1)


def _ex(rng: np.random.Generator, rank: int, axis: int, n: int, dtype: str, name: str,
        runtime_axis: bool = False, axis_dtype: str = "int32") -> Example:
    shape = dims(rng, rank)
    shape[axis] = n * int(rng.integers(1, 4))
    ax = np.array(axis, axis_dtype)
    return Example([ax if runtime_axis else Const(ax), rand(rng, shape, dtype)],
                   {"num_splits": n}, name, output_dtypes=[dtype] * n, num_outputs=n)


EXAMPLES = [
    lambda rng: _ex(rng, 4, 3, 2, "float32", "channels"),
    lambda rng: _ex(rng, 3, -2, 3, "int32", "negative int64 axis, int32", axis_dtype="int64"),
    lambda rng: _ex(rng, 2, 0, 4, "int64", "runtime axis int64", runtime_axis=True),
    lambda rng: _ex(rng, 3, 1, 1, "int8", "one part int8"),
    lambda rng: _ex(rng, 2, -1, 3, "int16", "int16"),
    lambda rng: with_quant(_ex(rng, 4, 3, 2, "int8", ""), qspec(rng), (1,), "quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, 0, 3, "int16", "", runtime_axis=True),
                           qspec(rng, "int16"), (1,), "quantized int16 runtime axis"),
]
