"""ADD: elementwise sum with broadcasting and a fused activation (tflite/kernels/add.cc)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._binary import binary

OP = "ADD"
OPTIONS = "AddOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return binary(ctx, a, b, np.add)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)],
                        {"fused_activation_function": "NONE"}, "same shape"),
    lambda rng: Example([randn(rng, 2, 3, 5), randn(rng, 5)],
                        {"fused_activation_function": "RELU6"}, "broadcast relu6"),
    lambda rng: Example([randn(rng, 1, 3, 1), randn(rng, 4, 1, 2)],
                        {"fused_activation_function": "RELU"}, "two-sided broadcast"),
    lambda rng: Example([rng.integers(-100, 100, (3, 4)).astype(np.int32),
                         rng.integers(-100, 100, (4,)).astype(np.int32)], {}, "int32"),
]
