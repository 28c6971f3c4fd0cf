"""PRELU: x >= 0 ? x : x * alpha, alpha broadcast against x (tflite/kernels/activations.cc
PreluEval, reference path BroadcastBinaryFunction4DSlow). Note ``>= 0``, so -0.0 passes
through unscaled. The output must keep the input's shape: alpha may only broadcast into it.

Avoids np.where, whose data-dependent selection is 4x slower on activations with random signs
(measured), with arithmetic that gives the reference's value (up to the sign of a zero):

* all alphas finite, nonzero and <= 1: max(x, alpha * x), two passes (alpha <= 1 makes
  alpha * x <= x for x >= 0 and >= x for x < 0, and max returns one operand unchanged); all
  finite and >= 1: min(x, alpha * x). Alpha 0 is excluded: inf * 0 is NaN, which max picks.
* other finite alphas: min(x, 0) * alpha + max(x, 0), exactly one term nonzero.
* an alpha with inf or NaN: np.where.

Alpha is tiled once along the trailing axes (cached), so the multiply runs over whole rows
rather than C elements at a time.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._conv import derived, scratch

OP = "PRELU"
OPTIONS = None


def _row_alpha(ctx: OpContext, shape: tuple[int, ...], alpha: np.ndarray
               ) -> tuple[np.ndarray, str]:
    """Alpha broadcast over x's trailing axes and flattened, [row]; x is viewed as
    [-1, row]. Alpha must not vary along the leading axes, so the row covers every axis from
    the first where alpha has a size > 1, and at least the last two (W and C for NHWC).
    Also which formula the alphas allow (see the module docstring)."""
    def build() -> tuple[np.ndarray, str]:
        full = np.asarray(alpha, np.float32).reshape((1,) * (len(shape) - alpha.ndim)
                                                     + alpha.shape)
        first = next((i for i, d in enumerate(full.shape) if d != 1), len(shape))
        r0 = max(0, min(first, len(shape) - 2))
        row = np.ascontiguousarray(np.broadcast_to(full[(0,) * r0], shape[r0:])).reshape(-1)
        if not np.isfinite(row).all():
            return row, "where"
        if np.all(row <= 1) and np.all(row != 0):
            return row, "max"
        if np.all(row >= 1):
            return row, "min"
        return row, "split"
    return derived(ctx, "alpha", alpha, build, shape)


def run_float(ctx: OpContext, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, alpha.shape)
    if shape != x.shape:
        raise ValueError(f"alpha {list(alpha.shape)} must broadcast into the input "
                         f"{list(x.shape)} (PRELU keeps the input shape)")
    x = np.asarray(x, dtype=np.float32)
    row, how = _row_alpha(ctx, x.shape, alpha)
    with np.errstate(over="ignore", invalid="ignore"):  # inf * alpha, 3e38 * 2: as in C
        if how == "where" or x.size == 0:
            return np.where(x >= 0, x, x * alpha).astype(np.float32, copy=False)
        xv = x.reshape(-1, row.size)
        if how == "split":
            out = np.minimum(xv, np.float32(0))
            out *= row
            pos = scratch(ctx.state, "pos", xv.shape)
            np.maximum(xv, np.float32(0), out=pos)
            out += pos
        else:
            out = np.multiply(xv, row)
            (np.maximum if how == "max" else np.minimum)(out, xv, out=out)
    return out.reshape(x.shape)


def version(op: Operator) -> int:
    # op_version.cc has no case for PRELU: every type is version 1.
    return 1


EXAMPLES = [
    # The Keras layout: one alpha per channel, shared over the spatial axes.
    lambda rng: Example([randn(rng, 1, 5, 5, 4), Const(randn(rng, 1, 1, 4, scale=0.3))], {},
                        "per-channel alpha"),
    lambda rng: Example([randn(rng, 2, 3, 6), Const(randn(rng, 3, 6, scale=0.3))], {},
                        "alpha over all but batch"),
    lambda rng: Example([randn(rng, 1, 4, 4, 3), Const(randn(rng, 1, 4, 4, 3))], {},
                        "same shape"),
    lambda rng: Example([randn(rng, 2, int(rng.integers(2, 6)), 5), randn(rng, 5, scale=0.5)],
                        {}, "runtime alpha"),
    # Special values: -0.0 passes unscaled, inf/NaN inputs, a zero alpha.
    Example([np.array([[-0.0, 0.0, np.inf, -np.inf, np.nan, -2.0, 3.0, -1e-40]], np.float32),
             Const(np.array([0.5, 0.0, 0.5, 0.25, 0.5, 0.0, 0.5, 0.5], np.float32))], {},
            "special values"),
    lambda rng: Example([randn(rng, 2, 3, 4), Const(np.array([np.inf, 0.5, -np.inf, 1.0],
                                                               np.float32))],
                        {}, "non-finite alpha"),
    # The three arithmetic forms: all alpha <= 1 (max), all >= 1 (min), mixed (split).
    lambda rng: Example([randn(rng, 1, 3, 4, 3, scale=2.0),
                         Const(np.array([[[-1.5, 0.25, 1.0]]], np.float32))], {}, "alpha <= 1"),
    lambda rng: Example([randn(rng, 1, 3, 4, 3, scale=2.0),
                         Const(np.array([[[1.0, 2.5, 1.25]]], np.float32))], {}, "alpha >= 1"),
    Example([np.array([[3e38, -3e38, np.inf, -np.inf, np.nan, -0.0, 2.0, -2.0]], np.float32),
             Const(np.array([-2.0, 3.0, -0.5, 0.5, 0.5, 2.0, 1.5, -4.0], np.float32))], {},
            "mixed alpha, overflow"),
]
