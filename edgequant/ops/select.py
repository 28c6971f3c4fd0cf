"""SELECT: pick x where the condition is true, else y (tflite/kernels/select.cc, kVersionOne).

Restricted broadcasting, unlike SELECT_V2: either all three shapes are equal, or x and y have
the same shape and the condition is a scalar or a rank-1 vector matching x's first dimension
(one choice per row, RankOneSelect). When every input has a single element, the output keeps
the shape declared in the model. Values of any 8/16/32/64-bit type are copied as bytes.

Quantized int8 / int16 values (``run_int``) are copied as stored codes, so x, y and the output
must share scale and zero point (QUANT: condition KEEP, x and y SHARED with the output)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import in_type, select_common
from ._intexamples import select_examples
from ._rules import KEEP, SHARED, Quant

OP = "SELECT"
OPTIONS = "SelectOptions"


def run_float(ctx: OpContext, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    single = select_common(ctx, cond, x, y)
    if single is not None:
        return single
    if cond.shape == x.shape == y.shape:
        return np.where(cond, x, y)
    rank_one = cond.ndim == 1 and x.ndim >= 1 and cond.shape[0] == x.shape[0]
    if not (cond.ndim == 0 or rank_one) or x.shape != y.shape:
        raise ValueError(f"SELECT: condition {list(cond.shape)} with x {list(x.shape)} and y "
                         f"{list(y.shape)}: needs equal shapes, or x == y and a scalar or "
                         "rank-1 condition over x's first dimension (use SELECT_V2 to "
                         "broadcast)")
    return np.where(cond.reshape(cond.shape + (1,) * (x.ndim - cond.ndim)), x, y)


QUANT = Quant(inputs=(KEEP, SHARED, SHARED), outputs=SHARED)


def run_int(ctx: OpContext, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return run_float(ctx, cond, x, y)


def version(op) -> int:
    t = in_type(op, 0)
    if t == "uint32":
        return 4
    if any(x is not None and len(x.shape) == 5 for x in op.inputs[:3]):
        return 3
    return 2 if t == "int8" else 1


def _cond(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.random(shape) < 0.5


EXAMPLES = [
    lambda rng: Example([_cond(rng, 2, 3, 4), randn(rng, 2, 3, 4), randn(rng, 2, 3, 4)], {},
                        "same shape"),
    lambda rng: Example([_cond(rng, 3), randn(rng, 3, 2, 4), randn(rng, 3, 2, 4)], {},
                        "rank-1 condition over dim 0"),
    lambda rng: Example([np.array(rng.random() < 0.5),
                         rng.integers(-9, 9, (2, 5)).astype(np.int32),
                         rng.integers(-9, 9, (2, 5)).astype(np.int32)], {}, "scalar condition"),
    lambda rng: Example([_cond(rng, 2, 1, 3, 2, 2), _cond(rng, 2, 1, 3, 2, 2),
                         _cond(rng, 2, 1, 3, 2, 2)], {}, "5-D bool values"),
    lambda rng: Example([_cond(rng, 4), rng.integers(-2**40, 2**40, (4, 3)).astype(np.int64),
                         rng.integers(-2**40, 2**40, (4, 3)).astype(np.int64)], {}, "int64"),
    # All single-element, mixed ranks: allowed, the declared output shape wins.
    lambda rng: Example([np.array([True]), np.array([[1.5]], np.float32),
                         np.array(2.5, np.float32)], {}, "single elements"),
] + select_examples(v2=False)
