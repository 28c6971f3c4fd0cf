"""REDUCE_MAX: maximum over the axes in input 1 (tflite/kernels/reduce.cc EvalGeneric kMax).

Quirks reproduced (see ``_reduce``): outputs start at the type's lowest finite value and NaN is
skipped, so an all -inf group yields -FLT_MAX; when every axis is reduced the fold starts from
the first element instead. Raw int8/int16 values reduce as they are (LiteRT requires equal
input/output quantization), and bool reduces as logical OR.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import quantized_extreme, reduce_extreme, reducer_inputs
from ._rules import KEEP, SHARED, Quant
from ._shape import qrand, qspec

OP = "REDUCE_MAX"
OPTIONS = "ReducerOptions"
QUANT = Quant(inputs=(SHARED, KEEP), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axes, out_shape = reducer_inputs(ctx, x, axis)
    return reduce_extreme(x, axes, out_shape, is_max=True)


def run_int(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Quantized input: the maximum of the raw codes, valid only because LiteRT insists on
    identical input and output quantization (checked at Eval, reduce.cc)."""
    return quantized_extreme(ctx, x, axis, is_max=True)


def version(op: Operator) -> int:
    dt = op.inputs[0].dtype
    return 3 if dt == "int16" else 2 if dt == "int8" else 1


def _q(rng: np.random.Generator, shape: tuple[int, ...], axes: list[int], keep: bool,
       name: str, dtype: str = "int8") -> Example:
    spec = qspec(rng, dtype)
    return Example([qrand(rng, shape, dtype), Const(np.array(axes, np.int32))],
                   {"keep_dims": keep}, name, quant={"in0": spec, "out0": spec})


def _with_specials(rng: np.random.Generator) -> np.ndarray:
    x = randn(rng, 3, 4, 5)
    x[0, :, 1] = -np.inf
    x[1, 2, :] = np.nan
    x[2, 0, 3] = np.nan
    return x


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 6, 6, 4), Const(np.array([1, 2], np.int32))],
                        {"keep_dims": True}, "spatial keep_dims"),
    lambda rng: Example([randn(rng, 3, 4, 5), Const(np.array([-1, 0], np.int32))],
                        {"keep_dims": False}, "negative and multiple axes"),
    lambda rng: Example([_with_specials(rng), Const(np.array([1], np.int32))],
                        {"keep_dims": False}, "NaN and -inf"),
    lambda rng: Example([randn(rng, 4, 5), Const(np.array([0, 1, -1], np.int32))],
                        {"keep_dims": True}, "all axes"),
    lambda rng: Example([rng.integers(-1000, 1000, (3, 4, 2)).astype(np.int32),
                         Const(np.array([2], np.int32))], {"keep_dims": False}, "int32"),
    lambda rng: _q(rng, (2, 6, 6, 4), [1, 2], True, "int8 spatial keep_dims"),
    lambda rng: _q(rng, (3, 4, 5), [-1, 0], False, "int8 two axes"),
    lambda rng: _q(rng, (4, 5), [0, 1], False, "int8 all axes"),
    lambda rng: _q(rng, (3, 4, 5), [1], True, "int16", "int16"),
    lambda rng: _q(rng, (2, 3, 4), [0, 1, 2], True, "int16 all axes", "int16"),
]
