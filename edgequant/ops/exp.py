"""EXP: elementwise e^x (tflite/kernels/exp.cc, reference_ops::Exp = std::exp on float).

float32 only in the float kernel (int8/int16 are quantized lookup tables).

Quantized int8 / int16 (``run_int``): LUTPopulate tables (256 entries, or 513 with
interpolation for int16, whose zero points must be 0) of the C library's expf on dequantized
inputs, rescaled in float32 and rounded half away from zero. Results beyond the int32 range (up
to inf) saturate to 127, as the LiteRT build does (the C++ cast there is undefined)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import in_type, unary, via_double
from ._intexamples import unary_int_examples
from ._intunary import exp_table, run_unary
from ._rules import ACT, Quant

OP = "EXP"
OPTIONS = "ExpOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, via_double(np.exp), ("float32",))


QUANT = Quant(inputs=(ACT,), outputs=ACT)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_unary(ctx, x, exp_table)


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=3.0)], {}, "nhwc"),
    lambda rng: Example([randn(rng, 7, scale=30.0)], {}, "wide range"),
    lambda rng: Example([np.array([-np.inf, np.inf, np.nan, 89.0, -104.0, 0.0], np.float32)],
                        {}, "special values"),
] + unary_int_examples(in_scale=(0.01, 0.05), out_scale=(0.01, 2.0),
    fixed=[
    ("int8", (1 / 32, 0), (1 / 8, -128), "int8 dyadic"),
    ("int8", (1.0, 0), (1.0, -128), "int8 overflow past int32 and to inf gives 127"),
    ("int16", (2**-12, 0), (2**-10, 0), "int16 dyadic")])
