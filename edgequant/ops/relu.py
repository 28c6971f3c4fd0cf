"""RELU: max(x, 0) (tflite/kernels/activations.cc ReluEval; float path is Eigen cwiseMax)."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "RELU"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0), dtype=np.float32)


def version(op: Operator) -> int:
    # op_version.cc: int16 -> 3, int8 or uint8 -> 2.
    return activation_version(op, int16=3, int8=2, uint8=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 5, 5, 3)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=3.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 7)], {}, "1-D"),
]
