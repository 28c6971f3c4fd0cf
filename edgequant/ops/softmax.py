"""SOFTMAX over the last axis: exp((x - max) * beta) / sum (tflite/kernels/activations.cc
SoftmaxEval, reference/softmax.h). beta multiplies after the max is subtracted, in float32;
the schema default beta is 0.0 (a uniform output); converters write the model's beta,
normally 1.0."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version

OP = "SOFTMAX"
OPTIONS = "SoftmaxOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    dt = x.dtype  # float16 (LiteRT has a half kernel) computes in float32, rounds back
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("SOFTMAX needs an input of rank >= 1")
    beta = np.float32(ctx.options.get("beta", 1.0))
    e = np.exp((x - x.max(axis=-1, keepdims=True)) * beta)
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float32)).astype(dt, copy=False)


def version(op: Operator) -> int:
    # op_version.cc: float16 -> 4 (BUILTIN_REF max 3), int16 -> 3, int8 -> 2.
    if op.inputs and op.inputs[0] is not None and op.inputs[0].dtype == "float16":
        return 3
    return activation_version(op, int16=3, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 10, scale=3.0)], {"beta": 1.0}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 4, int(rng.integers(2, 20)), scale=2.0)],
                        {"beta": float(rng.uniform(0.2, 3.0))}, "4-D random beta"),
    lambda rng: Example([randn(rng, 5, scale=2.0)], {"beta": 1.0}, "1-D"),
    lambda rng: Example([randn(rng, 3, 7, scale=20.0)], {"beta": 0.5}, "wide range"),
]
