"""GATHER: pick slices of ``params`` along ``axis`` by ``indices`` (tflite/kernels/gather.cc,
reference_ops::Gather).

Indices are int16, int32 or int64; any negative or out-of-range index fails the kernel
("gather index out of bounds"), unlike TF's clamping on CPU. ``axis`` may be negative;
``batch_dims`` (negative counts from the indices' rank) must be <= axis, and the first
``batch_dims`` dims of params and indices must match. Output shape:
params[:axis] + indices[batch_dims:] + params[axis+1:]. Quantized params are gathered as raw
codes (``run_int``); LiteRT checks no quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, norm_axis, qspec, rand, require_dtype, with_quant

OP = "GATHER"
OPTIONS = "GatherOptions"
QUANT = MOVE


def run_float(ctx: OpContext, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
    require_dtype(params, "float32 float16 uint8 int8 int16 int32 int64 bool", OP)
    require_dtype(indices, "int16 int32 int64", f"{OP} indices")
    axis = norm_axis(ctx.options.get("axis", 0), params.ndim)
    bd = ctx.options.get("batch_dims", 0)
    if bd < 0:
        bd += indices.ndim
    if not (0 <= bd <= axis and bd < params.ndim and bd <= indices.ndim
            and params.shape[:bd] == indices.shape[:bd]):
        raise ValueError(f"GATHER: batch_dims {bd} invalid for params {list(params.shape)}, "
                         f"indices {list(indices.shape)}, axis {axis}")
    n = params.shape[axis]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise IndexError(f"GATHER: index out of bounds [0, {n}) (LiteRT rejects negatives)")
    batch, outer, inner = (int(np.prod(params.shape[a:b], dtype=np.int64))
                           for a, b in ((0, bd), (bd, axis), (axis + 1, params.ndim)))
    p = params.reshape(batch, outer, n, inner)
    idx = indices.reshape(batch, -1).astype(np.intp)
    # Advanced indices around a slice put their broadcast dims first: (batch, k, outer, inner).
    out = p[np.arange(batch)[:, None], :, idx, :].transpose(0, 2, 1, 3)
    return out.reshape(params.shape[:axis] + indices.shape[bd:] + params.shape[axis + 1:])


run_int = run_float


def version(op: Operator) -> int:
    t, ti = in_dtype(op), in_dtype(op, 1)
    if ti == "int16":
        return 6
    if op.options.get("batch_dims", 0):
        return 5
    return {"int16": 4, "bool": 3, "int8": 2}.get(t, 1)


def _ex(rng: np.random.Generator, rank: int, axis: int, idx_shape: list[int], dtype: str,
        name: str, batch_dims: int = 0, idx_dtype: str = "int32", const: bool = False
        ) -> Example:
    shape = dims(rng, rank, 2, 5)
    bd = batch_dims + len(idx_shape) if batch_dims < 0 else batch_dims
    idx_shape = shape[:bd] + idx_shape[bd:]
    idx = rng.integers(0, shape[axis], idx_shape).astype(idx_dtype)
    return Example([rand(rng, shape, dtype), Const(idx) if const else idx],
                   {"axis": axis, "batch_dims": batch_dims}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 2, 0, [2, 3], "float32", "rows, 2-D const indices", const=True),
    lambda rng: _ex(rng, 3, -1, [4], "int32", "negative axis int64 indices", idx_dtype="int64"),
    lambda rng: _ex(rng, 4, 2, [0, 0, 3], "float32", "batch_dims 2", batch_dims=2),
    lambda rng: _ex(rng, 3, 1, [0, 2, 2], "int8", "negative batch_dims int8", batch_dims=-2),
    lambda rng: _ex(rng, 3, 1, [5], "bool", "bool int16 indices", idx_dtype="int16"),
    lambda rng: _ex(rng, 2, 1, [], "int64", "scalar index int64"),
    lambda rng: with_quant(_ex(rng, 3, 1, [4], "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 2, 0, [2, 3], "int8", "", const=True), qspec(rng),
                           name="quantized int8 const table rows"),
    lambda rng: with_quant(_ex(rng, 3, -1, [0, 2], "int16", "", batch_dims=1),
                           qspec(rng, "int16"), name="quantized int16 batch_dims 1"),
]
