"""GREATER_EQUAL: elementwise `a >= b` with broadcasting, bool output
(tflite/kernels/comparisons.cc, LessEqualEval with the inputs swapped).

float32, float16, int32, int64 and raw int16; NaN compares false. (int8/uint8 always go
through LiteRT's rescaling path and have no float kernel.)"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import COMPARE_TYPES, compare, compare_examples, in_type

OP = "GREATER_EQUAL"
OPTIONS = "GreaterEqualOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.greater_equal, COMPARE_TYPES)


def version(op) -> int:
    t = in_type(op)
    return 3 if t == "int16" else 2 if t == "int8" else 1


EXAMPLES = compare_examples(COMPARE_TYPES)
