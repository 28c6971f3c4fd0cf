"""MIRROR_PAD: pad by mirroring the edges (tflite/kernels/mirror_pad.cc).

REFLECT excludes the edge element (widths at most dim - 1), SYMMETRIC repeats it (widths at
most dim); wider paddings are refused. Paddings: [rank, 2], int32 or int64, constant or
run-time. Dispatch is by element size, so every dtype works, quantized codes included
(``run_int``): LiteRT's Prepare then requires identical input and output quantization, and a
zero point of 0 for int16.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import (
    dims,
    in_dtype,
    pad_widths,
    qspec,
    rand,
    rand_pads,
    require_same_quant,
    require_zero_point_0,
    with_quant,
)

OP = "MIRROR_PAD"
OPTIONS = "MirrorPadOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
    mode = ctx.options.get("mode", "REFLECT")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"MIRROR_PAD: unknown mode {mode!r}")
    if np.asarray(paddings).dtype not in (np.int32, np.int64):
        raise TypeError("MIRROR_PAD paddings must be int32 or int64")
    pads = pad_widths(paddings, x.ndim, OP)
    off = 1 if mode == "REFLECT" else 0
    for d, (a, b) in zip(x.shape, pads):
        if max(a, b) > d - off:
            raise ValueError(f"MIRROR_PAD {mode}: padding ({a}, {b}) too wide for size {d}")
    return np.pad(x, pads, mode="reflect" if off else "symmetric")


def run_int(ctx: OpContext, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
    if x.dtype in (np.int8, np.uint8, np.int16):
        require_same_quant(OP, ctx.op.inputs[0], ctx.op.outputs[0])
        require_zero_point_0(OP, ctx.op.inputs[0], ctx.op.outputs[0])
    return run_float(ctx, x, paddings)


def version(op: Operator) -> int:
    return {"int16": 3, "int8": 2}.get(in_dtype(op), 1)


def _ex(rng: np.random.Generator, rank: int, mode: str, dtype: str, name: str,
        pad_dtype: str = "int32", runtime: bool = False) -> Example:
    shape = dims(rng, rank, 2, 5)
    p = rand_pads(rng, shape, dtype=pad_dtype)
    if mode == "REFLECT":
        p = np.minimum(p, np.array(shape)[:, None] - 1).astype(pad_dtype)
    return Example([rand(rng, shape, dtype), p if runtime else Const(p)], {"mode": mode}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 4, "REFLECT", "float32", "reflect"),
    lambda rng: _ex(rng, 3, "SYMMETRIC", "int32", "symmetric int32, int64 paddings", "int64"),
    lambda rng: _ex(rng, 2, "REFLECT", "int8", "runtime paddings int8", runtime=True),
    lambda rng: _ex(rng, 3, "SYMMETRIC", "bool", "symmetric bool"),
    lambda rng: _ex(rng, 5, "SYMMETRIC", "int64", "5-D symmetric int64"),
    lambda rng: with_quant(_ex(rng, 4, "REFLECT", "int8", ""), qspec(rng),
                           name="quantized int8 reflect"),
    lambda rng: with_quant(_ex(rng, 3, "SYMMETRIC", "int16", "", runtime=True),
                           qspec(rng, "int16"), name="quantized int16 symmetric"),
]
