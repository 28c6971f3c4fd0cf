"""FLOOR: elementwise floor (tflite/kernels/floor.cc, std::floor).

float32 and float16 (bfloat16 too in LiteRT, which NumPy lacks); no integer kernel."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import unary

OP = "FLOOR"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.floor, ("float32", "float16"))


def version(op) -> int:
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=5.0)], {}, "float32"),
    lambda rng: Example([np.array([-0.5, -0.0, 2.0, -2.0, 1e30, -np.inf, np.nan, 8388607.5],
                                  np.float32)], {}, "special values"),
    lambda rng: Example([randn(rng, 3, 5, scale=10.0).astype(np.float16)], {}, "float16"),
]
