"""PRELU: x >= 0 ? x : x * alpha, alpha broadcast against x (tflite/kernels/activations.cc
PreluEval, reference path BroadcastBinaryFunction4DSlow). Note ``>= 0``, so -0.0 passes
through unscaled. The output must keep the input's shape: alpha may only broadcast into it."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn

OP = "PRELU"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, alpha.shape)
    if shape != x.shape:
        raise ValueError(f"alpha {list(alpha.shape)} must broadcast into the input "
                         f"{list(x.shape)} (PRELU keeps the input shape)")
    return np.where(x >= 0, x, x * alpha).astype(np.float32, copy=False)


def version(op: Operator) -> int:
    # op_version.cc has no case for PRELU: every type is version 1.
    return 1


EXAMPLES = [
    # The Keras layout: one alpha per channel, shared over the spatial axes.
    lambda rng: Example([randn(rng, 1, 5, 5, 4), Const(randn(rng, 1, 1, 4, scale=0.3))], {},
                        "per-channel alpha"),
    lambda rng: Example([randn(rng, 2, 3, 6), Const(randn(rng, 3, 6, scale=0.3))], {},
                        "alpha over all but batch"),
    lambda rng: Example([randn(rng, 1, 4, 4, 3), Const(randn(rng, 1, 4, 4, 3))], {},
                        "same shape"),
    lambda rng: Example([randn(rng, 2, int(rng.integers(2, 6)), 5), randn(rng, 5, scale=0.5)],
                        {}, "runtime alpha"),
]
