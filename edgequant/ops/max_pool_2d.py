"""MAX_POOL_2D: NHWC max over each window, padded taps ignored (tflite/kernels/pooling.cc,
reference_ops::MaxPool), then the fused activation."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version, clamp_activation, pool2d

OP = "MAX_POOL_2D"
OPTIONS = "Pool2DOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    o = ctx.options
    return clamp_activation(pool2d(x, o, average=False), o["fused_activation_function"])


def version(op: Operator) -> int:
    # op_version.cc: int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


def _opts(k: tuple[int, int], s: tuple[int, int], padding: str = "VALID", act: str = "NONE"
          ) -> dict:
    return {"filter_height": k[0], "filter_width": k[1], "stride_h": s[0], "stride_w": s[1],
            "padding": padding, "fused_activation_function": act}


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 8, 8, 3)], _opts((2, 2), (2, 2)), "2x2 s2 valid"),
    lambda rng: Example([randn(rng, 2, 9, 7, 4)], _opts((3, 3), (2, 2), "SAME", "RELU"),
                        "3x3 s2 same relu"),
    lambda rng: Example([randn(rng, 1, int(rng.integers(5, 12)), int(rng.integers(5, 12)), 2,
                               scale=4.0)],
                        _opts((3, 2), (1, 2), "SAME", "RELU6"), "random size same relu6"),
    lambda rng: Example([randn(rng, 1, 7, 6, 3, scale=2.0)],
                        _opts((2, 3), (3, 1), "VALID", "RELU_N1_TO_1"), "uneven valid relu1"),
    lambda rng: Example([randn(rng, 1, 5, 5, 2) - 5], _opts((4, 4), (1, 1), "SAME"),
                        "negative input, large window"),
]
