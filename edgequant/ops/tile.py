"""TILE: repeat the input ``multiples[i]`` times along each dim (tflite/kernels/tile.cc).

``multiples`` is int32 or int64 with one entry per input dim (constant or run-time); a zero
multiple gives an empty output. Dispatch is by element size, so bool works too, and quantized
codes are tiled as they are (``run_int``; LiteRT checks no quantization). BUILTIN_REF registers
TILE only up to version 2, below op_version.cc's 3 for int8, so ``version`` caps it.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, ints, qspec, rand, with_quant

OP = "TILE"
OPTIONS = "TileOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, multiples: np.ndarray) -> np.ndarray:
    if np.asarray(multiples).dtype not in (np.int32, np.int64):
        raise TypeError("TILE multiples must be int32 or int64")
    m = ints(multiples, "TILE multiples")
    if len(m) != x.ndim or any(v < 0 for v in m):
        raise ValueError(f"TILE: multiples {m} do not fit rank {x.ndim}")
    return np.tile(x, m).reshape([d * k for d, k in zip(x.shape, m)])


run_int = run_float


def version(op: Operator) -> int:
    t = in_dtype(op)
    v = 3 if t == "int8" else 2 if t == "string" else 1
    return min(v, 2)  # BUILTIN_REF registers TILE up to v2


def _ex(rng: np.random.Generator, rank: int, dtype: str, name: str, m_dtype: str = "int32",
        runtime: bool = False) -> Example:
    m = rng.integers(1, 4, rank).astype(m_dtype)
    x = rand(rng, dims(rng, rank, 1, 4), dtype)
    return Example([x, m if runtime else Const(m)], {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 2, "float32", "2-D"),
    lambda rng: _ex(rng, 3, "int32", "int64 multiples", "int64"),
    lambda rng: _ex(rng, 2, "bool", "bool"),
    lambda rng: _ex(rng, 4, "int8", "runtime multiples int8", runtime=True),
    lambda rng: _ex(rng, 1, "int64", "runtime int64 multiples", "int64", runtime=True),
    lambda rng: with_quant(_ex(rng, 4, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, "int16", "", runtime=True), qspec(rng, "int16"),
                           name="quantized int16 runtime multiples"),
]
