"""RELU: max(x, 0) (tflite/kernels/activations.cc ReluEval; float path is Eigen cwiseMax).

Integer (int8, int16): QuantizedReluX, which rescales rather than requiring equal input and
output quantization: zp_out + MultiplyByQuantizedMultiplier(x - zp_in, float32(s_in / s_out)),
clamped below at the output zero point. int16 needs zero points 0. LiteRT registers the same
kernel for every resolver and XNNPACK takes only float RELU, so all profiles agree.
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

OP = "RELU"
OPTIONS = None
QUANT = ELEMENTWISE


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0), dtype=np.float32)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_table(ctx, x, lambda c: relu_x_prepare(c, OP, 0.0, None, ("int8", "int16")))


def version(op: Operator) -> int:
    # op_version.cc: int16 -> 3, int8 or uint8 -> 2.
    return activation_version(op, int16=3, int8=2, uint8=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 5, 5, 3)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=3.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 7)], {}, "1-D"),
]

# Integer kernel: random scales (int8 and 16x8), batch > 1, several ranks; s_in / s_out = 0.375
# puts every eighth code on an exact rounding tie.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8"),
    lambda rng: q_example(rng, "int16", "int16"),
    lambda rng: q_example(rng, "int8", "int8 5-D", shape=(2, 2, 3, 2, 4)),
    lambda rng: q_example(rng, "int8", "int8 upscale", q_in=(0.5, -20), q_out=(0.01, -128)),
    Example([every_code("int8", (2, 4, 32))], {}, "int8 ties",
            quant={"in0": (0.375, -3), "out0": (1.0, 5)}),
    Example([every_code("int16", (2, 128, 256))], {}, "int16 ties",
            quant={"in0": (0.375, 0), "out0": (1.0, 0)}),
]
