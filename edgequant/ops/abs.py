"""ABS: elementwise |x| (tflite/kernels/elementwise.cc AbsEval).

float32, int32 and raw int16 (no quantization table); int8 and quantized int16 go through the
integer kernel. |INT_MIN| wraps to INT_MIN like std::abs on two's complement."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import has_quant_table, in_type, unary

OP = "ABS"
OPTIONS = "AbsOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.abs, ("float32", "int32", "int16"))


def version(op) -> int:
    t = in_type(op)
    if t == "int32":
        v = 5
    elif t == "int16":
        v = 3 if has_quant_table(op.inputs[0]) else 4
    else:
        v = 2 if t in ("int8", "uint8") else 1
    return min(v, 3)  # the reference resolver registers ABS up to version 3


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3)], {}, "float32"),
    lambda rng: Example([np.array([-0.0, np.nan, -np.inf, 1e-42, -1e-42], np.float32)], {},
                        "special values"),
    lambda rng: Example([np.concatenate([rng.integers(-1000, 1000, 9),
                                         [-2**31, 2**31 - 1]]).astype(np.int32)], {}, "int32"),
    lambda rng: Example([np.concatenate([rng.integers(-1000, 1000, (9,)),
                                         [-2**15, 2**15 - 1]]).astype(np.int16)], {}, "raw int16"),
]
