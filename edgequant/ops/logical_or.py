"""LOGICAL_OR: elementwise logical or of two bool tensors with broadcasting
(tflite/kernels/logical.cc). Only bool inputs are accepted."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import binary

OP = "LOGICAL_OR"
OPTIONS = "LogicalOrOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return binary(ctx, a, b, np.logical_or, ("bool",))


def version(op) -> int:
    return 1


def _bools(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.random(shape) < 0.5


EXAMPLES = [
    lambda rng: Example([_bools(rng, 2, 3, 4), _bools(rng, 2, 3, 4)], {}, "same shape"),
    lambda rng: Example([_bools(rng, 2, 1, 4), _bools(rng, 3, 1)], {}, "two-sided broadcast"),
    lambda rng: Example([_bools(rng, 5), np.array(rng.random() < 0.5)], {}, "scalar"),
    lambda rng: Example([_bools(rng, 2, 1, 3, 1, 2), _bools(rng, 4, 1, 1, 1)], {},
                        "5-D broadcast"),
]
