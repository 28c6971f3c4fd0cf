"""DIV: elementwise quotient with broadcasting and a fused activation
(tflite/kernels/div.cc, reference_ops::Div / BroadcastDivSlow).

float32 and int32. int32 division truncates toward zero (C++ ``/``), unlike TF's FloorDiv,
and LiteRT refuses a divisor tensor containing a zero (CheckNonZero). float32 x/0 gives inf,
which the activation clamp turns into +-FLT_MAX (see _elementwise).

Quantized int8 / int16 (``run_int``, reference_ops::DivElementwise /
BroadcastDivSlowQuantized, LiteRT kernels from 2025): per element, the divisor less its zero
point is made positive (both signs flipped), its reciprocal taken in gemmlowp fixed point
(GetReciprocal: Newton-Raphson), the dividend normalised by its leading sign bits, and the
quotient requantized with the float32 multiplier s1 / (s2 * s_out) and the combined shift, then
offset and clamped to the fused activation's range. A divisor code equal to its zero point fails
the invoke (ZeroDivisionError here). When the combined right shift reaches 32 (tiny quotients
with small multipliers) LiteRT's C++ is undefined; we reproduce what its x86 build computes."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, broadcast_over_4d
from ._intarith import check_divisor, div_kernel, run_binary
from ._intexamples import binary_int_examples
from ._rules import ACT, Quant

OP = "DIV"
OPTIONS = "DivOptions"


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    q = np.floor_divide(a, b)
    # floor -> trunc: add one back where the exact quotient is negative and inexact.
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0))).astype(q.dtype)


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if b.dtype == np.int32 and a.dtype == np.int32 and not np.all(b):
        raise ZeroDivisionError("DIV: int32 divisor contains 0 (LiteRT fails at invoke)")
    fn = _trunc_div if a.dtype.kind == "i" else np.divide
    return arithmetic(ctx, a, b, fn, ("float32", "int32"))


QUANT = Quant(inputs=(ACT, ACT), outputs=ACT)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    check_divisor(ctx, b)
    return run_binary(ctx, a, b, div_kernel)


def version(op) -> int:
    return 2 if broadcast_over_4d(op) else 1


def _nonzero(rng: np.random.Generator, *shape: int) -> np.ndarray:
    x = rng.integers(1, 50, shape) * rng.choice([-1, 1], shape)
    return x.astype(np.int32)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)],
                        {"fused_activation_function": "NONE"}, "same shape"),
    lambda rng: Example([randn(rng, 2, 3, 5), randn(rng, 5) + np.float32(3)],
                        {"fused_activation_function": "RELU6"}, "broadcast relu6"),
    lambda rng: Example([randn(rng, 2, 1, 3, 1, 2), randn(rng, 4, 1, 1, 1) + np.float32(2)],
                        {"fused_activation_function": "RELU_N1_TO_1"}, "5-D broadcast"),
    # Division by zero: +-inf saturates to +-FLT_MAX, 0/0 stays NaN.
    lambda rng: Example([np.array([1, -2, 0, 3], np.float32),
                         np.array([0, 0, 0, 0], np.float32)], {}, "float / 0"),
    # Truncating integer division, negative operands on both sides.
    lambda rng: Example([rng.integers(-1000, 1000, (3, 4)).astype(np.int32), _nonzero(rng, 4)],
                        {"fused_activation_function": "NONE"}, "int32 truncates"),
    lambda rng: Example([rng.integers(-1000, 1000, (3, 4)).astype(np.int32), _nonzero(rng, 3, 1)],
                        {"fused_activation_function": "RELU"}, "int32 relu"),
] + binary_int_examples(nonzero_b=True)
