"""LOG: elementwise natural log (tflite/kernels/elementwise.cc, std::log on float).

float32 only in the float kernel (int8/int16 need quantization). Negative input gives NaN and
0 gives -inf, as in C.

Quantized int8 / int16 (``run_int``, LogLUTPrepare): LUTPopulate tables of the C
library's logf (int16: 513 entries with interpolation, zero points 0); inputs <= 0 map to the real
value of the output type's lowest code, so they come out as -128 / -32768."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext
from ._elementwise import in_type, unary, via_double
from ._intexamples import unary_int_examples
from ._intunary import log_table, run_unary
from ._rules import ACT, Quant

OP = "LOG"
OPTIONS = None


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return unary(ctx, x, via_double(np.log), ("float32",))


QUANT = Quant(inputs=(ACT,), outputs=ACT)


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    return run_unary(ctx, x, log_table)


def version(op) -> int:
    return 2 if in_type(op) in ("int8", "int16") else 1


def _pos(rng: np.random.Generator, *shape: int, hi: float = 10.0) -> np.ndarray:
    return rng.uniform(1e-3, hi, shape).astype(np.float32)


EXAMPLES = [
    lambda rng: Example([_pos(rng, 1, 4, 4, 3)], {}, "nhwc"),
    lambda rng: Example([_pos(rng, 9, hi=1e6)], {}, "wide range"),
    lambda rng: Example([np.array([-1.0, 0.0, 1.0, np.inf, np.nan, 1e-40], np.float32)], {},
                        "special values"),
] + unary_int_examples(in_scale=(0.01, 0.2), out_scale=(0.01, 0.05),
    fixed=[
    ("int8", (1 / 16, -128), (1 / 32, 0), "int8 dyadic"),
    ("int16", (2**-8, 0), (2**-12, 0), "int16 dyadic")])
