"""EXP: elementwise e^x (tflite/kernels/exp.cc, reference_ops::Exp = std::exp on float).

float32 only in the float kernel (int8/int16 are quantized lookup tables)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import in_type, unary, via_double

OP = "EXP"
OPTIONS = "ExpOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, via_double(np.exp), ("float32",))


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=3.0)], {}, "nhwc"),
    lambda rng: Example([randn(rng, 7, scale=30.0)], {}, "wide range"),
    lambda rng: Example([np.array([-np.inf, np.inf, np.nan, 89.0, -104.0, 0.0], np.float32)],
                        {}, "special values"),
]
