"""NEG: elementwise -x (tflite/kernels/neg.cc, reference_ops::Negate).

float32, float16, int32, int64, and int8/int16 negated as stored integers (quantized or not:
valid only for zero point 0; -128 wraps to -128)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import unary

OP = "NEG"
OPTIONS = "NegOptions"

_TYPES = ("float32", "float16", "int32", "int64", "int8", "int16")


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.negative, _TYPES)


def version(op) -> int:
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3)], {}, "float32"),
    lambda rng: Example([randn(rng, 3, 5).astype(np.float16)], {}, "float16"),
    lambda rng: Example([np.concatenate([rng.integers(-1000, 1000, 9),
                                         [-2**31, 2**31 - 1]]).astype(np.int32)], {}, "int32"),
    lambda rng: Example([rng.integers(-2**40, 2**40, (2, 3)).astype(np.int64)], {}, "int64"),
    lambda rng: Example([np.concatenate([rng.integers(-100, 100, 5), [-128, 127]]).astype(np.int8)],
                        {}, "raw int8 wraps"),
]
