"""LOG: elementwise natural log (tflite/kernels/elementwise.cc, std::log on float).

float32 only in the float kernel (int8/int16 need quantization). Negative input gives NaN and
0 gives -inf, as in C."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary, via_double

OP = "LOG"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, via_double(np.log), ("float32",))


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


def _pos(rng: np.random.Generator, *shape: int, hi: float = 10.0) -> np.ndarray:
    return rng.uniform(1e-3, hi, shape).astype(np.float32)


EXAMPLES = [
    lambda rng: Example([_pos(rng, 1, 4, 4, 3)], {}, "nhwc"),
    lambda rng: Example([_pos(rng, 9, hi=1e6)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, 0.0, 1.0, np.inf, np.nan, 1e-40], np.float32)], {},
                        "special values"),
]
