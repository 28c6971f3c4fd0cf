"""GATHER_ND: gather slices of ``params`` addressed by the last dim of ``indices``
(tflite/kernels/gather_nd.cc, reference_ops::GatherNd).

Indices are int16, int32 or int64, at least 1-D; the last dim (<= params rank) holds one
coordinate per leading params dim. Output: indices.shape[:-1] + params.shape[nd:]. Any
negative or out-of-range coordinate is an error (no clamping, no wrap-around). Quantized params
are gathered as raw codes (``run_int``); LiteRT checks no quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, qspec, rand, require_dtype, with_quant

OP = "GATHER_ND"
OPTIONS = "GatherNdOptions"
QUANT = MOVE


def run_float(ctx: OpContext, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
    require_dtype(params, "float32 float16 uint8 int8 int16 int32 int64 bool", OP)
    require_dtype(indices, "int16 int32 int64", f"{OP} indices")
    if params.ndim < 1 or indices.ndim < 1:
        raise ValueError("GATHER_ND: params and indices must be at least vectors")
    nd = indices.shape[-1]
    if nd > params.ndim:
        raise ValueError(f"GATHER_ND: index depth {nd} exceeds params rank {params.ndim}")
    if indices.size and (indices.min() < 0 or
                         np.any(indices >= np.array(params.shape[:nd], np.int64))):
        raise IndexError("GATHER_ND: index out of bounds")
    coords = tuple(np.moveaxis(indices.astype(np.intp), -1, 0))
    return params[coords].reshape(indices.shape[:-1] + params.shape[nd:])


run_int = run_float


def version(op: Operator) -> int:
    t = in_dtype(op)
    if t == "bool":
        return 5
    if in_dtype(op, 1) == "int16":
        return 4
    return {"int16": 3, "string": 2}.get(t, 1)


def _ex(rng: np.random.Generator, rank: int, nd: int, lead: list[int], dtype: str, name: str,
        idx_dtype: str = "int32", const: bool = False) -> Example:
    shape = dims(rng, rank, 2, 5)
    idx = np.stack([rng.integers(0, d, lead) for d in shape[:nd]], -1).astype(idx_dtype)
    return Example([rand(rng, shape, dtype), Const(idx) if const else idx], {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 3, 3, [4], "float32", "elements"),
    lambda rng: _ex(rng, 4, 2, [2, 3], "int32", "slices, const int64 indices", "int64", True),
    lambda rng: _ex(rng, 2, 1, [3], "bool", "rows bool"),
    lambda rng: _ex(rng, 3, 1, [], "int8", "single index int8 int16 indices", "int16"),
    lambda rng: _ex(rng, 2, 2, [2, 2], "int64", "int64 params"),
    lambda rng: with_quant(_ex(rng, 3, 2, [4], "int8", ""), qspec(rng),
                           name="quantized int8 slices"),
    lambda rng: with_quant(_ex(rng, 3, 3, [2, 2], "int16", "", "int64"), qspec(rng, "int16"),
                           name="quantized int16 elements"),
]
