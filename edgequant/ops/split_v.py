"""SPLIT_V: cut ``data`` along ``axis`` into parts of the given sizes (tflite/kernels/split_v.cc).

Inputs are (data, size_splits, axis). ``size_splits`` is int32 or int64 and may hold one -1,
which takes what is left; otherwise the sizes must sum to the axis size. Zero-sized parts are
allowed. The axis buffer is read as int32 unchecked, so an int64 axis works too (low word,
little-endian); it may be negative. Sizes and axis may be run-time tensors. No bool kernel.
Quantized data is split as raw codes (``run_int``); LiteRT checks no quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import (
    dims,
    in_dtype,
    ints,
    norm_axis,
    qspec,
    rand,
    require_dtype,
    scalar_int,
    with_quant,
)

OP = "SPLIT_V"
OPTIONS = "SplitVOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, size_splits: np.ndarray, axis: np.ndarray
              ) -> tuple[np.ndarray, ...]:
    require_dtype(x, "float32 uint8 int8 int16 int32 int64", OP)
    if np.asarray(axis).dtype not in (np.int32, np.int64):
        raise TypeError(f"SPLIT_V axis must be int32 or int64, got {np.asarray(axis).dtype}")
    a = norm_axis(scalar_int(axis, "SPLIT_V axis"), x.ndim)
    sizes = ints(size_splits, "SPLIT_V size_splits")
    n = ctx.options.get("num_splits", len(sizes))
    if n != len(sizes):
        raise ValueError(f"SPLIT_V: num_splits {n} but {len(sizes)} sizes")
    if sizes.count(-1) > 1:
        raise ValueError("SPLIT_V: size_splits contains more than one -1")
    known = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if known > x.shape[a]:
            raise ValueError(f"SPLIT_V: sizes {sizes} exceed axis size {x.shape[a]}")
        sizes[sizes.index(-1)] = x.shape[a] - known
    elif known != x.shape[a]:
        raise ValueError(f"SPLIT_V: sizes {sizes} do not sum to axis size {x.shape[a]}")
    if any(s < 0 for s in sizes):
        raise ValueError(f"SPLIT_V: negative size in {sizes}")
    return tuple(p.copy() for p in np.split(x, np.cumsum(sizes)[:-1], axis=a))


run_int = run_float


def version(op: Operator) -> int:
    return 2 if in_dtype(op) == "int8" else 1


def _ex(rng: np.random.Generator, rank: int, axis: int, sizes: list[int], dtype: str,
        name: str, size_dtype: str = "int32", runtime: bool = False,
        minus_one: bool = False, axis_dtype: str = "int32") -> Example:
    shape = dims(rng, rank)
    shape[axis] = sum(sizes)
    s = np.array(sizes, size_dtype)
    if minus_one:
        s[int(rng.integers(len(sizes)))] = -1
    ax = np.array([axis], axis_dtype)
    ins: list = [rand(rng, shape, dtype), s, ax] if runtime else [
        rand(rng, shape, dtype), Const(s), Const(ax)]
    return Example(ins, {"num_splits": len(sizes)}, name, num_outputs=len(sizes))


EXAMPLES = [
    lambda rng: _ex(rng, 4, 3, [1, 3, 2], "float32", "channels"),
    lambda rng: _ex(rng, 3, -1, [2, 0, 3], "int32", "zero part, int64 sizes", "int64"),
    lambda rng: _ex(rng, 2, 0, [3, 1, 2, 2], "int64", "minus one, int64 axis", minus_one=True,
                    axis_dtype="int64"),
    lambda rng: _ex(rng, 3, 1, [2, 3], "int8", "runtime sizes and axis int8", runtime=True),
    lambda rng: _ex(rng, 2, -2, [4, 1], "float32", "runtime minus one", runtime=True,
                    minus_one=True),
    lambda rng: with_quant(_ex(rng, 4, 3, [1, 3, 2], "int8", ""), qspec(rng),
                           name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, 0, [2, 1], "int16", "", runtime=True, minus_one=True),
                           qspec(rng, "int16"), name="quantized int16 runtime minus one"),
]
