"""ADD: elementwise sum with broadcasting and a fused activation (tflite/kernels/add.cc).

float32, int32, int64 (and int16 without a quantization table). As in SUB/MUL, the activation
clamp applies to integer results too, and a float overflow saturates to +-FLT_MAX (see
_elementwise.arithmetic).

Quantized int8 / int16 (``run_int``, reference_integer_ops::Add / reference_ops::Add):
each input, less its zero point, is shifted left by 20 (int8) or 15 (int16) and rescaled to
2 * max(s1, s2) by QuantizeMultiplierSmallerThanOneExp multipliers with gemmlowp double
rounding; the int32 sum is rescaled to the output, offset, and clamped to the fused
activation's range (CalculateActivationRangeQuantized). int16 needs zero points 0, and with
``pot_scale_int16`` true (the schema default) and all scales powers of two LiteRT switches to a
shift-and-saturating-add kernel that cannot broadcast (it aborts; we raise). An output scale so
small that the output multiplier reaches 1 aborts LiteRT too; we raise ValueError.
LiteRT's default resolver hands int8 ADD to XNNPACK, whose integer arithmetic (21-bit
multipliers on one shift, ties rounded up, ties-to-even activation bounds) differs from the
reference by 1 LSB in rare outputs; ``profile='xnnpack'`` reproduces it (_intarith)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, has_quant_table, in_type
from ._intarith import add_sub_kernel, run_binary
from ._intexamples import binary_int_examples
from ._rules import ACT, Quant

OP = "ADD"
OPTIONS = "AddOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return arithmetic(ctx, a, b, np.add, ("float32", "int32", "int64"))


# 16x8 gets pot_scale_int16=false, as TF's quantizer writes it: with the schema default true
# and power-of-two scales LiteRT takes a kernel that cannot broadcast.
QUANT = Quant(inputs=(ACT, ACT), outputs=ACT, set_options={"int16": {"pot_scale_int16": False}})


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_binary(ctx, a, b, lambda c, dt: add_sub_kernel(c, dt, 1))


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
] + binary_int_examples(pot=True)
