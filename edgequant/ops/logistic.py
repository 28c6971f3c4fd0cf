"""LOGISTIC: sigmoid, as tflite/kernels/internal/reference/logistic.h computes it in float:
1 above x = 16.619..., exp(x) below x = -9, else 1 / (1 + exp(-x)). The upper cutoff is where
the sigmoid rounds to 1 in float32 anyway, but the lower one is an approximation: just below
-9, exp(x) is about 1.2e-4 (relative) above the true sigmoid. We reproduce it."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "LOGISTIC"
OPTIONS = None

_UPPER = np.float32(16.619047164916992188)
_LOWER = np.float32(-9.0)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    dt = x.dtype  # float16 (LiteRT has a half kernel) computes in float32, rounds back
    x = np.asarray(x, dtype=np.float32)
    one = np.float32(1)
    with np.errstate(over="ignore"):
        out = one / (one + np.exp(-x))
    out = np.where(x < _LOWER, np.exp(np.minimum(x, _LOWER)), out)
    return np.where(x > _UPPER, one, out).astype(dt, copy=False)


def version(op: Operator) -> int:
    # op_version.cc: int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=3.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=4.0)], {}, "2-D random shape"),
    # Both cutoffs and the regions beyond them.
    lambda rng: Example([np.concatenate([np.linspace(-30, 30, 61, dtype=np.float32),
                                         np.array([-9, 16.619047, 16.62], np.float32),
                                         randn(rng, 16, scale=12.0)])], {}, "cutoffs"),
]
