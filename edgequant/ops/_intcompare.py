"""Integer (int8 / 16x8) comparison kernels: EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER and
GREATER_EQUAL, bit-exact with LiteRT's reference kernels (tflite/kernels/comparisons.cc,
ComparisonQuantized / BroadcastComparison4DSlowWithScaling in
internal/reference/comparisons.h). Comparisons have a bool output and no output quantization;
an int8 comparison runs as a 256 x 256 table (``_intarith.BinaryKernel``).
"""

from __future__ import annotations

import numpy as np

from ._base import OpContext
from ._intarith import BinaryKernel, PairFn, input_table, run_binary
from ._intparams import multiplier_below_one, per_tensor


def comparison_kernel(ctx: OpContext, dtype: str, cmp: PairFn, raw_int16: bool
                      ) -> BinaryKernel:
    """Comparisons (comparisons.cc ComparisonQuantized): both sides, less their zero points,
    shifted left by 8 and multiplied by their own scale (QuantizeMultiplierSmallerThanOneExp of
    the scale itself), then compared. LESS/GREATER(_EQUAL) compare int16 codes raw, quantized
    or not (``raw_int16``)."""
    if dtype == "int16" and raw_int16:
        return BinaryKernel(cmp, np.bool_)
    op = ctx.op.type
    s1, z1 = per_tensor(ctx.op.inputs[0], op, "input 1")
    s2, z2 = per_tensor(ctx.op.inputs[1], op, "input 2")
    for s, what in ((s1, "input 1"), (s2, "input 2")):
        if s >= 1:
            # A scale of exactly 1 fails QuantizeMultiplierGreaterThanOne's check (abort);
            # above 1 the multiplier is applied with a negative shift count (undefined).
            raise ValueError(f"{op}: {what} scale {s} >= 1 is not supported by LiteRT's "
                             "quantized comparison (it aborts or computes garbage)")
    m1 = multiplier_below_one(op, float(s1), "input 1")
    m2 = multiplier_below_one(op, float(s2), "input 2")

    in1, in2 = input_table(dtype, z1, 8, m1), input_table(dtype, z2, 8, m2)

    def fn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cmp(in1(a), in2(b))

    return BinaryKernel(fn, np.bool_)


def run_comparison(ctx: OpContext, a: np.ndarray, b: np.ndarray, cmp: PairFn,
                   raw_int16: bool) -> np.ndarray:
    """run_int of a comparison op: the bool result of ``cmp`` on the rescaled codes."""
    return run_binary(ctx, a, b, lambda c, dt: comparison_kernel(c, dt, cmp, raw_int16),
                      out=False)
