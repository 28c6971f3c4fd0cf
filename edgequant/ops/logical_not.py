"""LOGICAL_NOT: elementwise negation of a bool tensor (tflite/kernels/elementwise.cc)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import unary

OP = "LOGICAL_NOT"
OPTIONS = "LogicalNotOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.logical_not, ("bool",))


def version(op) -> int:
    return 1


EXAMPLES = [
    lambda rng: Example([rng.random((2, 3, 4)) < 0.5], {}, "3-D"),
    lambda rng: Example([np.array(True)], {}, "scalar"),
    lambda rng: Example([rng.random((7,)) < 0.3], {}, "1-D"),
]
