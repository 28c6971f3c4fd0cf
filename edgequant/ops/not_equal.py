"""NOT_EQUAL: elementwise `a != b` with broadcasting, bool output
(tflite/kernels/comparisons.cc).

bool, float32, float16, int32 and int64; NaN compares unequal to everything. Unlike EQUAL,
LiteRT's NotEqualEval does nothing for int16 without a quantization table (the output is left
unwritten), so raw int16 is refused here. (int8/uint8 always go through LiteRT's rescaling
path and have no float kernel.)

Quantized int8 and int16 (``run_int``, ComparisonQuantized): both sides, less their zero
points, are shifted left by 8 and multiplied by their own scale (gemmlowp double rounding), then
compared, so inputs with different quantization compare by real value. Scales >= 1 are refused
(LiteRT aborts at exactly 1 and is undefined above)."""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import EQUALITY_TYPES, compare, compare_examples, in_type
from ._intcompare import run_comparison
from ._intexamples import binary_int_examples
from ._rules import ACT, KEEP, Quant

OP = "NOT_EQUAL"
OPTIONS = "NotEqualOptions"

_TYPES = tuple(t for t in EQUALITY_TYPES if t != "int16")


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.not_equal, _TYPES)


QUANT = Quant(inputs=(ACT, ACT), outputs=KEEP, int16=True)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_comparison(ctx, a, b, np.not_equal, raw_int16=False)


def version(op) -> int:
    t = in_type(op)
    return 4 if t == "int16" else 3 if t == "string" else 2 if t == "int8" else 1


EXAMPLES = compare_examples(_TYPES) + binary_int_examples(
    act=False, bool_out=True)
