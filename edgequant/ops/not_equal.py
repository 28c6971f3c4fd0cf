"""NOT_EQUAL: elementwise `a != b` with broadcasting, bool output
(tflite/kernels/comparisons.cc).

bool, float32, float16, int32 and int64; NaN compares unequal to everything. Unlike EQUAL,
LiteRT's NotEqualEval does nothing for int16 without a quantization table (the output is left
unwritten), so raw int16 is refused here. (int8/uint8 always go through LiteRT's rescaling
path and have no float kernel.)"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._elementwise import EQUALITY_TYPES, compare, compare_examples, in_type

OP = "NOT_EQUAL"
OPTIONS = "NotEqualOptions"

_TYPES = tuple(t for t in EQUALITY_TYPES if t != "int16")


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return compare(ctx, a, b, np.not_equal, _TYPES)


def version(op) -> int:
    t = in_type(op)
    return 4 if t == "int16" else 3 if t == "string" else 2 if t == "int8" else 1


EXAMPLES = compare_examples(_TYPES)
