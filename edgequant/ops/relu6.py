"""RELU6: clamp(x, 0, 6) (tflite/kernels/activations.cc Relu6Eval, reference_ops::Relu6)."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "RELU6"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.clip(x, np.float32(0), np.float32(6)).astype(np.float32, copy=False)


def version(op: Operator) -> int:
    # op_version.cc: int16 -> 3, int8 -> 2 (uint8 stays 1, unlike RELU).
    return activation_version(op, int16=3, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=5.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=8.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 2, 3, 4, 5, 2, scale=6.0)], {}, "5-D"),
]
