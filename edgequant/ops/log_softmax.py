"""LOG_SOFTMAX over the last axis: (x - max) - log(sum(exp(x - max)))
(tflite/kernels/activations.cc LogSoftmaxEval, reference/log_softmax.h). No beta option."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "LOG_SOFTMAX"
OPTIONS = "LogSoftmaxOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("LOG_SOFTMAX needs an input of rank >= 1")
    shifted = x - x.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True, dtype=np.float32))
    return shifted - log_sum


def version(op: Operator) -> int:
    # op_version.cc: int8 -> 2 (no int16 kernel).
    return activation_version(op, int16=1, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 10, scale=3.0)], {}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 4, int(rng.integers(2, 20)), scale=2.0)], {},
                        "4-D random depth"),
    lambda rng: Example([randn(rng, 6, scale=2.0)], {}, "1-D"),
    lambda rng: Example([randn(rng, 3, 7, scale=20.0)], {}, "wide range"),
]
