"""HARD_SWISH: x * min(6, max(0, x + 3)) / 6, evaluated in that order in float32 as
tflite/kernels/internal/reference/hard_swish.h does (multiply first, then divide by 6: not
x * relu6(x + 3) * (1/6), which rounds differently).

Integer (int8 only; reference_ops::HardSwish, quantized): int16 fixed-point arithmetic on
(x - zp_in) * 128: a Q15 output multiplier (float32 (s_in / 128) / s_out, rounded from
QuantizeMultiplier's Q31 to Q15) and a saturating "reluish" rescale of the input to [-3, 3] ->
[0, 1], multiplied together with a truncating (not rounding) doubling high multiply, then a
rounding right shift and the output zero point. LiteRT refuses an output scale below
s_in / 128 (positive output exponent). XNNPACK takes only float HARD_SWISH and the default
int8 kernel computes the same on x86, so every profile runs this.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intactivations import hard_swish, hard_swish_prepare
from ._intexamples import q_example
from ._intparams import io_params, io_types
from ._lut import code_table, every_code, run_table
from ._rules import ACT, Quant

OP = "HARD_SWISH"
OPTIONS = None
QUANT = Quant(inputs=(ACT,), int16=False)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    relu6 = np.minimum(np.float32(6), np.maximum(np.float32(0), x + np.float32(3)))
    return (x * relu6) / np.float32(6)


def _prepare(ctx: OpContext) -> dict:
    io_types(ctx, OP, ("int8",))
    s_in, zp_in, s_out, zp_out = io_params(ctx, OP, "int8")
    st = hard_swish_prepare(OP, s_in, zp_in, s_out, zp_out)
    return {"table": code_table("int8", lambda c: hard_swish(c, st, -128, 127))}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # The kernel is evaluated once per code at prepare time and looked up.
    return run_table(ctx, x, _prepare)


def version(op: Operator) -> int:
    # op_version.cc has no case for HARD_SWISH: version 1 for float and int8.
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 5, 5, 3, scale=4.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=4.0)], {}, "2-D random shape"),
    lambda rng: Example([np.linspace(-5, 5, 81, dtype=np.float32)], {}, "knees at -3 and 3"),
]

# Integer kernel (int8 only): random scales on both sides of the reluish exponent's sign
# change (s_in about 0.006), batch > 1; dyadic scales.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8 small scales", in_range=(1e-3, 5e-3)),
    lambda rng: q_example(rng, "int8", "int8 large scales", in_range=(0.01, 2.0)),
    lambda rng: q_example(rng, "int8", "int8 every code", x=every_code("int8", (4, 64)),
                               in_range=(1e-3, 1.0)),
    Example([every_code("int8", (2, 4, 32))], {}, "int8 dyadic",
            quant={"in0": (0.0625, -10), "out0": (0.03125, 20)}),
]
