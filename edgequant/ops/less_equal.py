"""LESS_EQUAL: elementwise `a <= b` with broadcasting, bool output (tflite/kernels/comparisons.cc).

float32, float16, int32, int64 and raw int16; NaN compares false. (int8/uint8 always go
through LiteRT's rescaling path and have no float kernel.)"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import COMPARE_TYPES, compare, compare_examples, in_type

OP = "LESS_EQUAL"
OPTIONS = "LessEqualOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.less_equal, COMPARE_TYPES)


def version(op) -> int:
    return 2 if in_type(op) == "int8" else 1


EXAMPLES = compare_examples(COMPARE_TYPES)
