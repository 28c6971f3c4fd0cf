"""MINIMUM: elementwise minimum with broadcasting (tflite/kernels/maximum_minimum.cc).

float32, float16, int32, int64, and int8/uint8/int16 (compared as stored integers). NaN is not
propagated symmetrically: the kernel is `a < b ? a : b`, so a NaN in the first input
gives the second input's value, a NaN in the second gives NaN.

Quantized int8 / int16 (``run_int``): LiteRT compares the stored codes and copies the winner,
whatever the quantization, so the result is right only when both inputs and the output share
scale and zero point (QUANT declares them SHARED). We compute exactly what LiteRT computes."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import MINMAX_TYPES, binary, minimum, minmax_version
from ._intexamples import shared_binary_examples
from ._rules import SHARED, Quant

OP = "MINIMUM"
OPTIONS = "MaximumMinimumOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return binary(ctx, a, b, minimum, MINMAX_TYPES)


QUANT = Quant(inputs=(SHARED, SHARED), outputs=SHARED)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_float(ctx, a, b)


def version(op) -> int:
    return minmax_version(op)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3).astype(np.float16),
                         randn(rng, 1, 4, 4, 3).astype(np.float16)], {}, "float16"),
    lambda rng: Example([randn(rng, 2, 1, 5), randn(rng, 3, 1)], {}, "two-sided broadcast"),
    lambda rng: Example([randn(rng, 2, 1, 3, 1, 2), randn(rng, 4, 1, 1, 1)], {}, "5-D broadcast"),
    lambda rng: Example([np.array([np.nan, 1, np.nan, -np.inf], np.float32),
                         np.array([2, np.nan, np.nan, 0], np.float32)], {}, "NaN order"),
    lambda rng: Example([rng.integers(-100, 100, (3, 4)).astype(np.int32),
                         rng.integers(-100, 100, (4,)).astype(np.int32)], {}, "int32"),
    lambda rng: Example([rng.integers(-2**40, 2**40, (2, 3)).astype(np.int64),
                         rng.integers(-2**40, 2**40, (2, 1)).astype(np.int64)], {}, "int64"),
] + shared_binary_examples()
