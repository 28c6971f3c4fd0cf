"""SQUARED_DIFFERENCE: (a - b)^2 with broadcasting (tflite/kernels/squared_difference.cc).

float32 and int32 (int8 only quantized). Unlike SUB/MUL there is no activation clamp, so a
float overflow gives inf; int32 wraps.

Quantized int8 (``run_int``, squared_difference.cc): both inputs, less their zero points, are
shifted left by 7 and rescaled to 2 * max(s1, s2); the squared int32 difference is rescaled by
(2 max)^2 / (2^14 * s_out) with gemmlowp double rounding, offset and clamped to int8. LiteRT has
no int16 kernel (it fails at invoke), so int16 is refused."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import binary, in_type
from ._intarith import run_binary, squared_difference_kernel
from ._intexamples import binary_int_examples
from ._rules import ACT, Quant

OP = "SQUARED_DIFFERENCE"
OPTIONS = "SquaredDifferenceOptions"


def _sqdiff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return d * d


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return binary(ctx, a, b, _sqdiff, ("float32", "int32"))


QUANT = Quant(inputs=(ACT, ACT), outputs=ACT, int16=False)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_binary(ctx, a, b, squared_difference_kernel, allowed=("int8",))


def version(op) -> int:
    return 2 if in_type(op) == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)], {}, "same shape"),
    lambda rng: Example([randn(rng, 2, 3, 5), randn(rng, 5)], {}, "broadcast"),
    lambda rng: Example([randn(rng, 2, 1, 3, 1, 2), randn(rng, 4, 1, 1, 1)], {}, "5-D broadcast"),
    lambda rng: Example([np.array([3e38, -2e19, 1.0], np.float32),
                         np.array([-3e38, 2e19, np.nan], np.float32)], {}, "overflow to inf"),
    lambda rng: Example([rng.integers(-1000, 1000, (3, 1)).astype(np.int32),
                         rng.integers(-1000, 1000, (4,)).astype(np.int32)], {}, "int32"),
] + binary_int_examples(int16=False, act=False)
