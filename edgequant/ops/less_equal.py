"""LESS_EQUAL: elementwise `a <= b` with broadcasting, bool output (tflite/kernels/comparisons.cc).

float32, float16, int32, int64 and raw int16; NaN compares false. (int8/uint8 always go
through LiteRT's rescaling path and have no float kernel.)

Quantized int8 (``run_int``, ComparisonQuantized): both sides, less their zero points, are
shifted left by 8 and multiplied by their own scale (gemmlowp double rounding), then compared, so
inputs with different quantization compare by real value. Scales >= 1 are refused (LiteRT aborts
at exactly 1 and is undefined above). Quantized int16 is compared as raw codes, as LiteRT does,
which is right only for equal quantization: QUANT therefore declares no int16 support."""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import COMPARE_TYPES, compare, compare_examples, in_type
from ._intcompare import run_comparison
from ._intexamples import binary_int_examples
from ._rules import ACT, KEEP, Quant

OP = "LESS_EQUAL"
OPTIONS = "LessEqualOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.less_equal, COMPARE_TYPES)


QUANT = Quant(inputs=(ACT, ACT), outputs=KEEP, int16=False)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_comparison(ctx, a, b, np.less_equal, raw_int16=True)


def version(op) -> int:
    return 2 if in_type(op) == "int8" else 1


EXAMPLES = compare_examples(COMPARE_TYPES) + binary_int_examples(
    act=False, bool_out=True)
