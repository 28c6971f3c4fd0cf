"""EMBEDDING_LOOKUP: rows of ``table`` picked by ``ids`` (tflite/kernels/embedding_lookup.cc,
EvalSimple).

Inputs are (ids, table): ids a 1-D int32 tensor, table at least 2-D. Output:
[len(ids)] + table.shape[1:], in the table's dtype (a row memcpy, so any dtype). An id
outside [0, rows) is an error. A quantized table with a float output is the hybrid path
(EvalHybrid: value * per-row or per-tensor scale), not this float kernel. A quantized int8 /
int16 table with an output of the same type is EvalSimple again, a copy of raw codes
(``run_int``): output and table share their quantization (not checked by LiteRT, which does
refuse per-row scales there).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from . import _hybrid
from ._base import Const, Example, OpContext
from ._rules import KEEP, SHARED, Quant
from ._shape import dims, qspec, rand, with_quant

OP = "EMBEDDING_LOOKUP"
OPTIONS = None
# Inputs are (ids, table).
QUANT = Quant(inputs=(KEEP, SHARED), outputs=SHARED)


def run_float(ctx: OpContext, ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    if ids.dtype != np.int32 or ids.ndim != 1:
        raise TypeError(f"EMBEDDING_LOOKUP ids must be 1-D int32, got {ids.dtype}"
                        f"{list(ids.shape)}")
    if table.ndim < 2:
        raise ValueError("EMBEDDING_LOOKUP table must be at least 2-D")
    rows = table.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= rows):
        raise IndexError(f"EMBEDDING_LOOKUP: id out of bounds [0, {rows})")
    return table[ids]


def run_int(ctx: OpContext, ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    if ctx.op.outputs[0].dtype in ("float32", "float16"):
        # A run-time quantized table with a float output: still LiteRT's hybrid kernel.
        return run_hybrid(ctx, ids, table)
    q = ctx.op.inputs[1].quantization
    if q is not None and q.scale is not None and q.scale.size > 1:
        raise ValueError(f"{OP}: a per-row quantized table only has a float-output (hybrid) "
                         f"kernel in LiteRT")
    if ctx.op.outputs[0].dtype != table.dtype.name:
        raise TypeError(f"{OP}: a {table.dtype} table needs a {table.dtype} or float32 output")
    return run_float(ctx, ids, table)


def run_hybrid(ctx: OpContext, ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid EMBEDDING_LOOKUP,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.embedding_lookup(ctx, ids, table)


def version(op: Operator) -> int:
    table = op.inputs[1]
    if table is not None and table.dtype == "int2":
        return 5
    if table is not None and (table.dtype == "int4" or (
            table.quantization is not None and table.quantization.per_axis)):
        return 4
    return 1


def _ex(rng: np.random.Generator, rank: int, n: int, dtype: str, name: str,
        const_table: bool = True, const_ids: bool = False) -> Example:
    shape = dims(rng, rank, 2, 6)
    ids = rng.integers(0, shape[0], n).astype(np.int32)
    table = rand(rng, shape, dtype)
    return Example([Const(ids) if const_ids else ids, Const(table) if const_table else table],
                   {}, name, output_dtypes=[dtype])


EXAMPLES = [
    lambda rng: _ex(rng, 2, 5, "float32", "float table"),
    lambda rng: _ex(rng, 3, 3, "int32", "3-D int32 table"),
    lambda rng: _ex(rng, 2, 4, "int8", "runtime int8 table", const_table=False),
    lambda rng: _ex(rng, 2, 6, "bool", "bool, const ids", const_ids=True, const_table=False),
    lambda rng: _ex(rng, 2, 1, "int64", "one id int64"),
    lambda rng: with_quant(_ex(rng, 2, 5, "int8", ""), qspec(rng), (1,),
                           "quantized int8 const table"),
    lambda rng: with_quant(_ex(rng, 3, 4, "int16", "", const_table=False), qspec(rng, "int16"),
                           (1,), "quantized int16 runtime table"),
]
