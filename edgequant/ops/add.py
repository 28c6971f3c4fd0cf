"""ADD: elementwise sum with broadcasting and a fused activation (tflite/kernels/add.cc).

float32, int32, int64 (and int16 without a quantization table). As in SUB/MUL, the activation
clamp applies to integer results too, and a float overflow saturates to +-FLT_MAX (see
_elementwise.arithmetic)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, has_quant_table, in_type

OP = "ADD"
OPTIONS = "AddOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return arithmetic(ctx, a, b, np.add, ("float32", "int32", "int64"))


def version(op) -> int:
    t = in_type(op)
    if t == "int16" and not has_quant_table(op.inputs[0]):
        return 5
    if t == "int64":
        return 4
    if t == "int16":
        # pot_scale_int16 defaults to true in the schema; the general 16x8 path needs false.
        return 1 if op.options.get("pot_scale_int16", True) else 3
    return 2 if t == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)],
                        {"fused_activation_function": "NONE"}, "same shape"),
    lambda rng: Example([randn(rng, 2, 3, 5), randn(rng, 5)],
                        {"fused_activation_function": "RELU6"}, "broadcast relu6"),
    lambda rng: Example([randn(rng, 1, 3, 1), randn(rng, 4, 1, 2)],
                        {"fused_activation_function": "RELU"}, "two-sided broadcast"),
    lambda rng: Example([randn(rng, 2, 3), randn(rng, 2, 3)],
                        {"fused_activation_function": "TANH"}, "tanh is ignored by LiteRT"),
    lambda rng: Example([rng.integers(-100, 100, (3, 4)).astype(np.int32),
                         rng.integers(-100, 100, (4,)).astype(np.int32)],
                        {"fused_activation_function": "RELU"}, "int32 relu clamps"),
    lambda rng: Example([rng.integers(-2**40, 2**40, (5,)).astype(np.int64),
                         rng.integers(-2**40, 2**40, (5,)).astype(np.int64)], {}, "int64"),
    lambda rng: Example([np.array([3e38, -3e38, 1.0], np.float32),
                         np.array([3e38, -3e38, np.nan], np.float32)], {},
                        "overflow saturates, NaN passes"),
]
