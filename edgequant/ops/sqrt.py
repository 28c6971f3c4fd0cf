"""SQRT: elementwise square root (tflite/kernels/elementwise.cc, std::sqrt on float).

float32 only in the float kernel (int8/int16 need quantization). Negative input gives NaN."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary

OP = "SQRT"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # IEEE sqrt is correctly rounded in both, so this is bit exact.
    return unary(ctx, x, np.sqrt, ("float32",))


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


EXAMPLES = [
    lambda rng: Example([rng.uniform(0, 10, (1, 4, 4, 3)).astype(np.float32)], {}, "nhwc"),
    lambda rng: Example([rng.uniform(0, 1e30, (9,)).astype(np.float32)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, -0.0, 0.0, np.inf, np.nan, 1e-42], np.float32)], {},
                        "special values"),
]
