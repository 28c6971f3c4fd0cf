"""RELU_N1_TO_1: clamp(x, -1, 1) (tflite/kernels/activations.cc Relu1Eval,
optimized_ops::Relu1)."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn

OP = "RELU_N1_TO_1"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.clip(x, np.float32(-1), np.float32(1)).astype(np.float32, copy=False)


def version(op: Operator) -> int:
    # op_version.cc has no case for it; the int8 kernel also runs at version 1.
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=2.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 11, scale=1.5)], {}, "1-D"),
]
