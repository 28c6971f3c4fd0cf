"""RELU_N1_TO_1: clamp(x, -1, 1) (tflite/kernels/activations.cc Relu1Eval,
optimized_ops::Relu1).

Integer (int8 only; LiteRT has no int16 kernel): QuantizedReluX with bounds -1 and 1, clamped to
zp_out + roundf(+-1 / s_out). The same kernel runs under every resolver.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intactivations import relu_x_prepare
from ._intexamples import q_example
from ._lut import every_code, run_table
from ._rules import ACT, Quant

OP = "RELU_N1_TO_1"
OPTIONS = None
QUANT = Quant(inputs=(ACT,), int16=False)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return np.clip(x, np.float32(-1), np.float32(1)).astype(np.float32, copy=False)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_table(ctx, x, lambda c: relu_x_prepare(c, OP, -1.0, 1.0, ("int8",)))


def version(op: Operator) -> int:
    # op_version.cc has no case for it; the int8 kernel also runs at version 1.
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=2.0)], {}, "2-D random shape"),
    lambda rng: Example([randn(rng, 11, scale=1.5)], {}, "1-D"),
]

# Integer kernel (int8 only): random scales, batch > 1; bounds +-16 codes from the zero point
# with s_in / s_out = 0.375 (exact rounding ties).
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8", in_range=(2e-3, 0.05)),
    lambda rng: q_example(rng, "int8", "int8 4-D", shape=(2, 3, 4, 5)),
    Example([every_code("int8", (2, 2, 64))], {}, "int8 ties",
            quant={"in0": (0.0234375, 10), "out0": (0.0625, -2)}),
]
