"""NEG: elementwise -x (tflite/kernels/neg.cc, reference_ops::Negate).

float32, float16, int32, int64, and int8/int16 negated as stored integers (quantized or not:
valid only for zero point 0; -128 wraps to -128).

Quantized tensors (``run_int``) get the same raw negation: LiteRT ignores scale and zero point
(a zero point z maps real r to -r - 2 z s, and the most negative code wraps onto itself). That is
right only for symmetric tensors sharing one scale, which int8 activations are not, so NEG
declares no QUANT and the planner keeps it float."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import unary

OP = "NEG"
OPTIONS = "NegOptions"

_TYPES = ("float32", "float16", "int32", "int64", "int8", "int16")


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.negative, _TYPES)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_float(ctx, x)


def version(op) -> int:
    return 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3)], {}, "float32"),
    lambda rng: Example([randn(rng, 3, 5).astype(np.float16)], {}, "float16"),
    lambda rng: Example([np.concatenate([rng.integers(-1000, 1000, 9),
                                         [-2**31, 2**31 - 1]]).astype(np.int32)], {}, "int32"),
    lambda rng: Example([rng.integers(-2**40, 2**40, (2, 3)).astype(np.int64)], {}, "int64"),
    lambda rng: Example([np.concatenate([rng.integers(-100, 100, 5), [-128, 127]]).astype(np.int8)],
                        {}, "raw int8 wraps"),
    lambda rng: Example([np.concatenate([rng.integers(-128, 128, 9), [-128, 127, 0]]).astype(
        np.int8)], {}, "quantized int8 (raw)", quant={"in0": (0.1, 0), "out0": (0.1, 0)}),
    lambda rng: Example([rng.integers(-128, 128, (3, 4)).astype(np.int8)], {},
                        "quantized int8, zero point ignored",
                        quant={"in0": (0.1, 5), "out0": (0.3, -7)}),
    lambda rng: Example([np.concatenate([rng.integers(-3000, 3000, 9), [-32768, 32767]]).astype(
        np.int16)], {}, "quantized int16 (raw)", quant={"in0": (1e-3, 0), "out0": (1e-3, 0)}),
]
