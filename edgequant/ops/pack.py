"""PACK: stack ``values_count`` equal-shaped tensors along a new ``axis`` (tflite/kernels/pack.cc).

The axis may be negative (counted on the output rank). LiteRT's pack has no bool kernel
(float32, int8, uint8, int16, int32, uint32, int64 only). Quantized inputs are stacked as raw
codes (``run_int``); LiteRT's Prepare requires every input to carry exactly the output's
scale and zero point, and so do we.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
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

OP = "PACK"
OPTIONS = "PackOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)


def run_float(ctx: OpContext, *xs: np.ndarray) -> np.ndarray:
    o = ctx.options
    if o.get("values_count", len(xs)) != len(xs):
        raise ValueError(f"PACK: values_count {o.get('values_count')} but {len(xs)} inputs")
    require_dtype(xs[0], "float32 int8 uint8 int16 int32 uint32 int64", OP)
    if any(x.dtype != xs[0].dtype or x.shape != xs[0].shape for x in xs):
        raise ValueError("PACK inputs must share one dtype and shape")
    return np.stack(xs, axis=norm_axis(o.get("axis", 0), xs[0].ndim + 1))


def run_int(ctx: OpContext, *xs: np.ndarray) -> np.ndarray:
    for t in ctx.op.inputs:
        require_same_quant(OP, t, ctx.op.outputs[0])
    return run_float(ctx, *xs)


def version(op: Operator) -> int:
    return {"int8": 2, "int16": 3, "uint32": 4}.get(in_dtype(op), 1)


def _ex(rng: np.random.Generator, rank: int, n: int, axis: int, dtype: str, name: str,
        const: bool = False) -> Example:
    shape = dims(rng, rank)
    xs: list = [rand(rng, shape, dtype) for _ in range(n)]
    if const:
        xs[-1] = Const(xs[-1])
    return Example(xs, {"values_count": n, "axis": axis}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 2, 3, 0, "float32", "axis 0"),
    lambda rng: _ex(rng, 3, 2, -1, "int32", "axis -1 int32"),
    lambda rng: _ex(rng, 2, 4, 1, "int64", "middle int64"),
    lambda rng: _ex(rng, 3, 3, -2, "int8", "const input int8", const=True),
    lambda rng: _ex(rng, 0, 5, 0, "float32", "scalars"),
    lambda rng: with_quant(_ex(rng, 3, 3, 1, "int8", ""), qspec(rng), (0, 1, 2),
                           "quantized int8 axis 1"),
    lambda rng: with_quant(_ex(rng, 2, 2, -1, "int16", "", const=True), qspec(rng, "int16"),
                           (0, 1), "quantized int16 const input"),
]
