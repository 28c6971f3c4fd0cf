"""HARD_SWISH: x * min(6, max(0, x + 3)) / 6, evaluated in that order in float32 as
tflite/kernels/internal/reference/hard_swish.h does (multiply first, then divide by 6: not
x * relu6(x + 3) * (1/6), which rounds differently)."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn

OP = "HARD_SWISH"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    relu6 = np.minimum(np.float32(6), np.maximum(np.float32(0), x + np.float32(3)))
    return (x * relu6) / np.float32(6)


def version(op: Operator) -> int:
    # op_version.cc has no case for HARD_SWISH: version 1 for float and int8.
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 5, 5, 3, scale=4.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=4.0)], {}, "2-D random shape"),
    lambda rng: Example([np.linspace(-5, 5, 81, dtype=np.float32)], {}, "knees at -3 and 3"),
]
