"""RELU6: clamp(x, 0, 6) (tflite/kernels/activations.cc Relu6Eval, reference_ops::Relu6).

Integer (int8, int16): QuantizedReluX with bounds 0 and 6: zp_out +
MultiplyByQuantizedMultiplier(x - zp_in, float32(s_in / s_out)), clamped to
[zp_out, zp_out + roundf(6 / s_out)] inside the type's range. int16 needs zero points 0. The
same kernel runs under every resolver (XNNPACK takes only float RELU6).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intactivations import relu_x_prepare
from ._intexamples import q_example
from ._lut import every_code, run_table
from ._nn import activation_version
from ._rules import ELEMENTWISE

OP = "RELU6"
OPTIONS = None
QUANT = ELEMENTWISE


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.clip(x, np.float32(0), np.float32(6)).astype(np.float32, copy=False)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_table(ctx, x, lambda c: relu_x_prepare(c, OP, 0.0, 6.0, ("int8", "int16")))


def version(op: Operator) -> int:
    # op_version.cc: int16 -> 3, int8 -> 2 (uint8 stays 1, unlike RELU).
    return activation_version(op, int16=3, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=5.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=8.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 2, 3, 4, 5, 2, scale=6.0)], {}, "5-D"),
]

# Integer kernel: random scales (int8 and 16x8), batch > 1; the upper bound 6 inside the range;
# s_in / s_out = 0.375 for exact rounding ties.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8"),
    lambda rng: q_example(rng, "int16", "int16", in_range=(1e-4, 1e-3)),
    lambda rng: q_example(rng, "int8", "int8 bound inside", q_in=(0.1, 3),
                               q_out=(0.0625, -128)),
    Example([every_code("int8", (2, 8, 16))], {}, "int8 ties",
            quant={"in0": (0.0234375, -7), "out0": (0.0625, -128)}),
    Example([every_code("int16", (4, 64, 256))], {}, "int16 ties",
            quant={"in0": (0.375 / 1024, 0), "out0": (1 / 1024, 0)}),
]
