"""BATCH_MATMUL: lhs @ rhs over the last two axes with NumPy-style broadcasting of the batch
axes (tflite/kernels/batch_matmul.cc, reference/batch_matmul.h). ``adj_x`` / ``adj_y``
transpose the last two axes of lhs / rhs first (no conjugation: real types only). Inputs have
rank 2 to 5; the output rank is the larger input rank."""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from . import _hybrid
from ._base import Const, Example, OpContext, randn
from ._nn import in_type, is_hybrid

OP = "BATCH_MATMUL"
OPTIONS = "BatchMatMulOptions"


def run_float(ctx: OpContext, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    o = ctx.options
    if not (2 <= lhs.ndim <= 5 and 2 <= rhs.ndim <= 5):
        raise ValueError(f"inputs must have rank 2 to 5, got {list(lhs.shape)} and "
                         f"{list(rhs.shape)}")
    if o.get("adj_x", False):
        lhs = np.swapaxes(lhs, -1, -2)
    if o.get("adj_y", False):
        rhs = np.swapaxes(rhs, -1, -2)
    if lhs.shape[-1] != rhs.shape[-2]:
        raise ValueError(f"contraction sizes differ: lhs {list(lhs.shape)}, rhs "
                         f"{list(rhs.shape)} (after adj_x/adj_y)")
    return np.matmul(lhs, rhs, dtype=np.float32)


def run_hybrid(ctx: OpContext, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid BATCH_MATMUL,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.batch_matmul(ctx, lhs, rhs)


def version(op: Operator) -> int:
    # op_version.cc: int16 lhs -> 3, int8 -> 2, hybrid with asymmetric inputs -> 4 (a
    # symmetric hybrid stays at 1).
    t = in_type(op, 0)
    if t == "int16":
        return 3
    if t == "int8":
        return 2
    if is_hybrid(op) and op.options.get("asymmetric_quantize_inputs", False):
        return 4
    return 1


def _opts(adj_x: bool = False, adj_y: bool = False) -> dict:
    return {"adj_x": adj_x, "adj_y": adj_y}


def _five_d(rng: np.random.Generator) -> Example:
    k, m, n = (int(v) for v in rng.integers(1, 9, 3))
    return Example([randn(rng, 2, 1, 2, k, m), randn(rng, 2, 3, 1, n, k)],
                   _opts(adj_x=True, adj_y=True), "5-D adj_x adj_y, random sizes")


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 3, 4), randn(rng, 2, 4, 5)], _opts(), "3-D"),
    lambda rng: Example([randn(rng, 2, 1, 3, 4), randn(rng, 5, 4, 6)], _opts(),
                        "broadcast batch axes"),
    lambda rng: Example([randn(rng, 3, 6, 4), Const(randn(rng, 6, 5))], _opts(adj_x=True),
                        "adj_x, constant 2-D rhs"),
    lambda rng: Example([randn(rng, 1, 2, 4, 7), randn(rng, 3, 1, 5, 7)], _opts(adj_y=True),
                        "adj_y two-sided broadcast"),
    _five_d,
]
