"""TANH: std::tanh in float (tflite/kernels/activations.cc TanhEval, reference_ops::Tanh)."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "TANH"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # float16 inputs (LiteRT has a half kernel) compute in float32 and round back.
    return np.tanh(np.asarray(x, dtype=np.float32)).astype(x.dtype, copy=False)


def version(op: Operator) -> int:
    # op_version.cc (shared case with LOGISTIC): int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=3.0)], {}, "2-D random shape"),
    lambda rng: Example([np.linspace(-12, 12, 97, dtype=np.float32)], {}, "saturation"),
]
