"""EQUAL: elementwise `a == b` with broadcasting, bool output (tflite/kernels/comparisons.cc).

bool, float32, float16, int32, int64 and raw int16; NaN compares unequal to everything.
(int8/uint8 always go through LiteRT's rescaling path and have no float kernel.)"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import EQUALITY_TYPES, compare, compare_examples, in_type

OP = "EQUAL"
OPTIONS = "EqualOptions"


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.equal, EQUALITY_TYPES)


def version(op) -> int:
    t = in_type(op)
    return 5 if t == "int16" else 3 if t == "string" else 2 if t == "int8" else 1


EXAMPLES = compare_examples(EQUALITY_TYPES)
