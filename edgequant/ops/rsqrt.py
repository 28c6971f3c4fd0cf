"""RSQRT: elementwise 1/sqrt(x) (tflite/kernels/elementwise.cc: ``1.f / std::sqrt(f)``).

float32 only in the float kernel (int8/int16 need quantization). Two float32 roundings (sqrt,
then divide), which we reproduce exactly; 0 gives inf, negative input NaN.

Quantized int8 (``run_int``, RsqrtEvalQuantizedInt8): gemmlowp's fixed-point inverse square
root of q - zp_in (GetInvSqrtQuantizedMultiplierExp, Newton-Raphson) applied with a 20-bit
headroom, then the multiplier 1 / (sqrtf(s_in) * s_out); q == zp_in gives 127. int16
(zero points 0): a 513-entry LUTPopulate table of 1 / sqrtf(x) with interpolation. Inputs below
the zero point fail the invoke; we raise ValueError."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary
from ._intexamples import unary_int_examples
from ._intunary import rsqrt_table, run_unary
from ._rules import ACT, Quant

OP = "RSQRT"
OPTIONS = None


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.float32(1) / np.sqrt(x)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, _rsqrt, ("float32",))


QUANT = Quant(inputs=(ACT,), outputs=ACT)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_unary(ctx, x, rsqrt_table)


def version(op) -> int:
    t = in_type(op)
    return 3 if t == "int16" else 2 if t == "int8" else 1


EXAMPLES = [
    lambda rng: Example([rng.uniform(1e-3, 10, (1, 4, 4, 3)).astype(np.float32)], {}, "nhwc"),
    lambda rng: Example([rng.uniform(1e-30, 1e30, (9,)).astype(np.float32)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, -0.0, 0.0, np.inf, np.nan, 1e-42], np.float32)], {},
                        "special values"),
] + unary_int_examples(nonneg=True, in_scale=(0.005, 0.5),
    out_scale=(0.005, 0.2), fixed=[
    ("int8", (1 / 64, -128), (1 / 32, -128), "int8 dyadic"),
    ("int8", (2.0, 0), (1 / 128, 0), "int8 large input scale")])
