"""LEAKY_RELU: x > 0 ? x : alpha * x (tflite/kernels/activations.cc LeakyReluEval,
reference_ops::LeakyRelu). Not max(x, alpha * x): alpha may be negative or above 1."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "LEAKY_RELU"
OPTIONS = "LeakyReluOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    alpha = np.float32(ctx.options.get("alpha", 0.0))
    return np.where(x > 0, x, x * alpha).astype(np.float32, copy=False)


def version(op: Operator) -> int:
    # op_version.cc: only int16 bumps (-> 2); int8 stays at 1.
    return activation_version(op, int16=2, int8=1)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3)], {"alpha": 0.2}, "alpha 0.2"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)))],
                        {"alpha": float(rng.uniform(0.01, 0.5))}, "random alpha"),
    lambda rng: Example([randn(rng, 3, 7)], {"alpha": -0.5}, "negative alpha"),
    lambda rng: Example([randn(rng, 2, 5)], {"alpha": 1.5}, "alpha above 1"),
]
