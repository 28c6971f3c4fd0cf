"""SHAPE: the input's dimensions as a 1-D tensor (tflite/kernels/shape.cc).

``out_type`` picks int32 or int64 (anything else fails Prepare; note the schema default is
float32, so writers must set it). LiteRT computes the value once in Prepare. The input's
type and quantization do not matter (``run_int`` is the same kernel).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext
from ._rules import KEEP, Quant
from ._shape import dims, qspec, rand

OP = "SHAPE"
OPTIONS = "ShapeOptions"
# Only the input's shape is read: its quantization is whatever its producer chose.
QUANT = Quant(inputs=(KEEP,), outputs=KEEP)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    out_type = ctx.options.get("out_type", "int32")
    if out_type not in ("int32", "int64"):
        raise TypeError(f"SHAPE: out_type must be int32 or int64, got {out_type}")
    return np.array(x.shape, dtype=out_type).reshape(x.ndim)


run_int = run_float


def version(op: Operator) -> int:
    return 1


def _ex(rng: np.random.Generator, rank: int, dtype: str, out: str, name: str) -> Example:
    return Example([rand(rng, dims(rng, rank, 1, 7), dtype)], {"out_type": out}, name,
                   output_dtypes=[out])


def _q(ex: Example, spec: tuple[float, int]) -> Example:
    ex.quant = {"in0": spec}
    return ex


EXAMPLES = [
    lambda rng: _ex(rng, 4, "float32", "int32", "4-D to int32"),
    lambda rng: _ex(rng, 2, "int8", "int64", "int8 to int64"),
    lambda rng: _ex(rng, 5, "bool", "int32", "bool"),
    lambda rng: _ex(rng, 1, "int64", "int64", "vector int64"),
    lambda rng: _q(_ex(rng, 4, "int8", "int32", "quantized int8"), qspec(rng)),
    lambda rng: _q(_ex(rng, 3, "int16", "int64", "quantized int16"), qspec(rng, "int16")),
]
