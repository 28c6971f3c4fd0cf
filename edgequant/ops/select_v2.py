"""SELECT_V2: pick x where the condition is true, else y, with full NumPy broadcasting of all
three inputs up to 8-D (tflite/kernels/select.cc, kVersionTwo, BroadcastSelect5DSlow).

When every input has a single element, the output keeps the shape declared in the model.
Values of any 8/16/32/64-bit type are copied as bytes.

Quantized int8 / int16 values (``run_int``) are copied as stored codes, so x, y and the output
must share scale and zero point (QUANT: condition KEEP, x and y SHARED with the output)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import broadcast_shape, in_type, select_common
from ._intexamples import select_examples
from ._rules import KEEP, SHARED, Quant

OP = "SELECT_V2"
OPTIONS = "SelectV2Options"


def run_float(ctx: OpContext, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    single = select_common(ctx, cond, x, y)
    if single is not None:
        return single
    broadcast_shape(OP, cond, x, y)
    return np.where(cond, x, y)


QUANT = Quant(inputs=(KEEP, SHARED, SHARED), outputs=SHARED)


def run_int(ctx: OpContext, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return run_float(ctx, cond, x, y)


def version(op) -> int:
    return 2 if in_type(op, 0) == "uint32" else 1


def _cond(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.random(shape) < 0.5


EXAMPLES = [
    lambda rng: Example([_cond(rng, 2, 3, 4), randn(rng, 2, 3, 4), randn(rng, 2, 3, 4)], {},
                        "same shape"),
    # A rank-1 condition broadcasts over the last dimension here (SELECT would need dim 0).
    lambda rng: Example([_cond(rng, 4), randn(rng, 3, 4), randn(rng, 3, 4)], {},
                        "condition over last dim"),
    lambda rng: Example([_cond(rng, 3, 1), randn(rng, 1, 5), np.array(0.5, np.float32)], {},
                        "three-way broadcast"),
    lambda rng: Example([_cond(rng, 2, 1, 3, 1, 2), rng.integers(-9, 9, (4, 1, 1, 1)).astype(
        np.int32), rng.integers(-9, 9, (1, 2)).astype(np.int32)], {}, "5-D int32"),
    lambda rng: Example([_cond(rng, 2, 3), _cond(rng, 3), _cond(rng, 2, 1)], {}, "bool values"),
    lambda rng: Example([np.array([True]), np.array([[1.5]], np.float32),
                         np.array(2.5, np.float32)], {}, "single elements"),
] + select_examples(v2=True)
