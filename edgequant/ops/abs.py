"""ABS: elementwise |x| (tflite/kernels/elementwise.cc AbsEval).

float32, int32 and raw int16 (no quantization table); int8 and quantized int16 go through the
integer kernel. |INT_MIN| wraps to INT_MIN like std::abs on two's complement.

Quantized int8 / int16 (``run_int``, AbsEvalQuantized): |q - zp_in|, rescaled with
QuantizeMultiplier(s_in / s_out) and gemmlowp double rounding only when the float32 scales
differ, plus zp_out, clamped to the type (int16 needs zero points 0)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import has_quant_table, in_type, unary
from ._intexamples import unary_int_examples
from ._intunary import abs_table, run_unary
from ._rules import ACT, Quant

OP = "ABS"
OPTIONS = "AbsOptions"


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, np.abs, ("float32", "int32", "int16"))


QUANT = Quant(inputs=(ACT,), outputs=ACT)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_unary(ctx, x, abs_table)


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
] + unary_int_examples(fixed=[
    ("int8", (0.05, 3), (0.1, -1), "int8 ties"),
    ("int8", (0.05, 3), (0.05, -128), "int8 same scale, no rescale"),
    ("int8", (0.05, -128), (0.025, -128), "int8 saturating"),
    ("int16", (2**-10, 0), (2**-9, 0), "int16 ties")])
