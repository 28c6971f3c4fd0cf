"""SLICE: take ``size`` elements from ``begin`` in every dimension (tflite/kernels/slice.cc).

``begin`` and ``size`` are int32 or int64 and may be run-time tensors; LiteRT reads both with
begin's type, so we refuse a mismatched pair rather than guess what it would misread. A size
of -1 means "to the end"; any other negative size, or a slice past the end, is an error.
Byte copy, so every dtype works; more than 5 dimensions use LiteRT's generic path (same
result). Quantized tensors are sliced as raw codes (``run_int``); LiteRT checks no
quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, in_rank, ints, qspec, rand, with_quant

OP = "SLICE"
OPTIONS = "SliceOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, begin: np.ndarray, size: np.ndarray
              ) -> np.ndarray:
    if np.asarray(begin).dtype != np.asarray(size).dtype:
        raise TypeError("SLICE begin and size must share one dtype (int32 or int64)")
    b, s = ints(begin, "SLICE begin"), ints(size, "SLICE size")
    if len(b) != len(s) or len(b) < x.ndim:
        raise ValueError(f"SLICE: begin {b} and size {s} do not fit rank {x.ndim}")
    idx = []
    for d, (lo, n) in enumerate(zip(b[:x.ndim], s[:x.ndim])):
        if n == -1:
            n = x.shape[d] - lo
        elif n < 0 or lo + n > x.shape[d]:
            raise ValueError(f"SLICE: begin {lo} size {n} invalid for dim {d} of "
                             f"{list(x.shape)}")
        if lo < 0 or n < 0:
            raise ValueError(f"SLICE: begin {lo} out of range for dim {d} of {list(x.shape)}")
        idx.append(slice(lo, lo + n))
    return x[tuple(idx)].copy()


run_int = run_float


def version(op: Operator) -> int:
    t = in_dtype(op)
    if in_rank(op) > 4:
        return 5
    return {"int16": 4, "string": 3, "int8": 2}.get(t, 1)


def _ex(rng: np.random.Generator, rank: int, dtype: str, name: str, idx: str = "int32",
        runtime: bool = False, to_end: bool = True) -> Example:
    shape = dims(rng, rank, 1, 6)
    begin = np.array([int(rng.integers(0, d)) for d in shape], idx)
    size = np.array([int(rng.integers(1, d - b + 1)) for d, b in zip(shape, begin)], idx)
    if to_end:
        size[rng.random(rank) < 0.4] = -1
    ins: list = [rand(rng, shape, dtype)]
    ins += [begin, size] if runtime else [Const(begin), Const(size)]
    return Example(ins, {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 4, "float32", "4-D with -1"),
    lambda rng: _ex(rng, 2, "int32", "int64 begin/size", idx="int64"),
    lambda rng: _ex(rng, 3, "bool", "bool"),
    lambda rng: _ex(rng, 3, "int8", "runtime begin/size int8", runtime=True),
    lambda rng: _ex(rng, 6, "int64", "6-D int64"),
    lambda rng: _ex(rng, 5, "float32", "5-D runtime int64 begin", idx="int64", runtime=True),
    lambda rng: with_quant(_ex(rng, 4, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, "int16", "", runtime=True), qspec(rng, "int16"),
                           name="quantized int16 runtime begin/size"),
]
