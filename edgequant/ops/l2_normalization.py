"""L2_NORMALIZATION over the last axis: x / max(sqrt(sum(x^2)), 1e-6)
(tflite/kernels/l2norm.cc, reference_ops::L2Normalization). The epsilon is hard-coded in the
kernel (1e-6f, clamping the norm, not added to the sum of squares); a fused activation other
than NONE is rejected at Prepare."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import out_type

OP = "L2_NORMALIZATION"
OPTIONS = "L2NormOptions"

_EPSILON = np.float32(1e-6)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    act = ctx.options.get("fused_activation_function", "NONE")
    if act not in ("NONE", 0):
        raise ValueError(f"L2_NORMALIZATION supports no fused activation, got {act}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("L2_NORMALIZATION needs an input of rank >= 1")
    norm = np.sqrt(np.einsum("...i,...i->...", x, x)[..., None])
    return x / np.maximum(norm, _EPSILON)


def version(op: Operator) -> int:
    # op_version.cc: an int8 output -> 2.
    return 2 if out_type(op) == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 8)], {}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 3, int(rng.integers(1, 20)), scale=5.0)], {},
                        "4-D random depth"),
    lambda rng: Example([randn(rng, 7)], {}, "1-D"),
    # Rows whose norm falls below epsilon are divided by epsilon, not normalized.
    lambda rng: Example([np.concatenate([randn(rng, 2, 4, scale=1e-8),
                                         np.zeros((1, 4), np.float32),
                                         randn(rng, 1, 4)])], {}, "tiny norms"),
]
