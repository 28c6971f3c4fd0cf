"""RSQRT: elementwise 1/sqrt(x) (tflite/kernels/elementwise.cc: ``1.f / std::sqrt(f)``).

float32 only in the float kernel (int8/int16 need quantization). Two float32 roundings (sqrt,
then divide), which we reproduce exactly; 0 gives inf, negative input NaN."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary

OP = "RSQRT"
OPTIONS = None


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.float32(1) / np.sqrt(x)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, _rsqrt, ("float32",))


def version(op) -> int:
    t = in_type(op)
    return 3 if t == "int16" else 2 if t == "int8" else 1


EXAMPLES = [
    lambda rng: Example([rng.uniform(1e-3, 10, (1, 4, 4, 3)).astype(np.float32)], {}, "nhwc"),
    lambda rng: Example([rng.uniform(1e-30, 1e30, (9,)).astype(np.float32)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, -0.0, 0.0, np.inf, np.nan, 1e-42], np.float32)], {},
                        "special values"),
]
