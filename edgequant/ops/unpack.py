"""UNPACK: split a tensor into ``num`` tensors along ``axis``, dropping that axis
(tflite/kernels/unpack.cc).

``num`` must equal the axis size; the axis may be negative. LiteRT has no int64 kernel for
unpack, but does take bool. Quantized tensors are split as raw codes (``run_int``); LiteRT's
Prepare requires every output to carry exactly the input's scale and zero point, and so do we.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext
from ._rules import SHARED, Quant
from ._shape import (
    dims,
    in_dtype,
    norm_axis,
    qspec,
    rand,
    require_dtype,
    require_same_quant,
    with_quant,
)

OP = "UNPACK"
OPTIONS = "UnpackOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray) -> tuple[np.ndarray, ...]:
    require_dtype(x, "float32 float16 uint8 int8 int16 int32 bool", OP)
    if x.size == 0:
        raise ValueError("UNPACK of an empty tensor")
    axis = norm_axis(ctx.options.get("axis", 0), x.ndim)
    num = ctx.options.get("num", 0)
    if num != x.shape[axis]:
        raise ValueError(f"UNPACK: num {num} but axis {axis} has size {x.shape[axis]}")
    return tuple(p.copy() for p in np.moveaxis(x, axis, 0))


def run_int(ctx: OpContext, x: np.ndarray) -> tuple[np.ndarray, ...]:
    for t in ctx.op.outputs:
        require_same_quant(OP, ctx.op.inputs[0], t)
    return run_float(ctx, x)


def version(op: Operator) -> int:
    return {"int8": 2, "uint8": 2, "bool": 3, "int16": 4}.get(in_dtype(op), 1)


def _ex(rng: np.random.Generator, rank: int, axis: int, dtype: str, name: str) -> Example:
    shape = dims(rng, rank)
    num = shape[axis]
    return Example([rand(rng, shape, dtype)], {"num": num, "axis": axis}, name,
                   num_outputs=num)


EXAMPLES = [
    lambda rng: _ex(rng, 3, 0, "float32", "axis 0"),
    lambda rng: _ex(rng, 2, -1, "int32", "axis -1 int32"),
    lambda rng: _ex(rng, 4, 2, "bool", "bool"),
    lambda rng: _ex(rng, 3, 1, "int8", "int8"),
    lambda rng: _ex(rng, 1, 0, "float32", "vector to scalars"),
    lambda rng: with_quant(_ex(rng, 3, 1, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, -1, "int16", ""), qspec(rng, "int16"),
                           name="quantized int16 last axis"),
]
