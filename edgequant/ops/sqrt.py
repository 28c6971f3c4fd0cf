"""SQRT: elementwise square root (tflite/kernels/elementwise.cc, std::sqrt on float).

float32 only in the float kernel (int8/int16 need quantization). Negative input gives NaN.

Quantized int8 / int16 (``run_int``, SqrtEvalQuantized): dequantize in float32, sqrtf,
divide by s_out and truncate toward zero (a C cast, not a rounding), add zp_out, clamp. A
negative real input fails the invoke; we raise ValueError (int16 needs zero points 0)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary
from ._intexamples import unary_int_examples
from ._intunary import run_unary, sqrt_table
from ._rules import ACT, Quant

OP = "SQRT"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # IEEE sqrt is correctly rounded in both, so this is bit exact.
    return unary(ctx, x, np.sqrt, ("float32",))


QUANT = Quant(inputs=(ACT,), outputs=ACT)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_unary(ctx, x, sqrt_table)


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


EXAMPLES = [
    lambda rng: Example([rng.uniform(0, 10, (1, 4, 4, 3)).astype(np.float32)], {}, "nhwc"),
    lambda rng: Example([rng.uniform(0, 1e30, (9,)).astype(np.float32)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, -0.0, 0.0, np.inf, np.nan, 1e-42], np.float32)], {},
                        "special values"),
] + unary_int_examples(nonneg=True, in_scale=(0.005, 0.5),
    out_scale=(0.005, 0.05), fixed=[
    ("int8", (0.25, -128), (1 / 16, -128), "int8 exact roots"),
    ("int16", (2**-8, 0), (2**-10, 0), "int16 exact roots"),
    # Past int32 the C cast gives INT32_MIN (here it is not a clamp, unlike the LUT ops).
    ("int8", (0.5, -10), (1e-9, 0), "int8 overflow past int32")])
