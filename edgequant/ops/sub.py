"""SUB: elementwise difference with broadcasting and a fused activation
(tflite/kernels/sub.cc, reference_ops::SubWithActivation / BroadcastSubSlow).

float32, int32 and int64. The activation clamp also applies to integer outputs, and with
NONE a float overflow saturates to +-FLT_MAX instead of +-inf (see _elementwise).

Quantized int8 / int16 (``run_int``, reference_ops::Sub / BroadcastQuantSubSlow): as ADD
(left shift 20 for int8, 15 for int16, both inputs rescaled to 2 * max(s1, s2), difference
rescaled to the output, fused activation clamp), with zero points checked against the type
range. int16 needs zero points 0; with ``pot_scale_int16`` true (the schema default) and
power-of-two scales LiteRT uses Sub16 / BroadcastSub16POTSlow (rounding shift of one input,
saturating difference), which, unlike ADD's, broadcasts. When the output scale is so small that
the output multiplier exceeds 1, sub.cc applies it with a negative shift count, which is
undefined (LiteRT returns garbage): we raise ValueError. ``profile='xnnpack'`` reproduces
XNNPACK's int8 subtract (ADD's arithmetic with the second multiplier negated), which the
default resolver uses; it differs from the reference by 1 LSB in rare outputs."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, broadcast_over_4d, in_type, out_type
from ._intarith import add_sub_kernel, run_binary
from ._intexamples import binary_int_examples
from ._rules import ACT, Quant

OP = "SUB"
OPTIONS = "SubOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return arithmetic(ctx, a, b, np.subtract, ("float32", "int32", "int64"))


# 16x8 gets pot_scale_int16=false (the general-scale kernel), as TF's quantizer writes it.
QUANT = Quant(inputs=(ACT, ACT), outputs=ACT, set_options={"int16": {"pot_scale_int16": False}})


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_binary(ctx, a, b, lambda c, dt: add_sub_kernel(c, dt, -1))


def version(op) -> int:
    t = in_type(op)
    if t == "int16" and out_type(op) == "int16" and not op.options.get("pot_scale_int16", True):
        return 5
    if t == "int64":
        return 4
    if broadcast_over_4d(op):
        return 3
    return 2 if t == "int8" else 1


def _ints(rng: np.random.Generator, dtype: type, *shape: int, lim: int = 1000) -> np.ndarray:
    return rng.integers(-lim, lim, shape).astype(dtype)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)],
                        {"fused_activation_function": "NONE"}, "same shape"),
    lambda rng: Example([randn(rng, 2, 3, 5), randn(rng, 5)],
                        {"fused_activation_function": "RELU6"}, "broadcast relu6"),
    lambda rng: Example([randn(rng, 3, 1, 4), randn(rng, 2, 1)],
                        {"fused_activation_function": "RELU_N1_TO_1"}, "two-sided relu_n1_to_1"),
    # 5-D broadcast: version 3.
    lambda rng: Example([randn(rng, 2, 1, 3, 1, 4), randn(rng, 1, 2, 1, 5, 1)],
                        {"fused_activation_function": "RELU"}, "5-D broadcast relu"),
    # The activation clamps integers too.
    lambda rng: Example([_ints(rng, np.int32, 3, 4), _ints(rng, np.int32, 4)],
                        {"fused_activation_function": "RELU"}, "int32 relu"),
    lambda rng: Example([_ints(rng, np.int64, 2, 3, lim=2**40), _ints(rng, np.int64, 2, 1,
                                                                          lim=2**40)],
                        {"fused_activation_function": "NONE"}, "int64"),
] + binary_int_examples(pot=True)
