"""CONCATENATION: join tensors along ``axis`` (tflite/kernels/concatenation.cc).

The axis may be negative. LiteRT refuses any fused activation other than NONE (Prepare
fails), so we do too rather than apply one it never would. Rank-0 inputs are only accepted
by LiteRT when all are constants; they stack into a vector. Integer and bool types are byte
copies, quantized codes included (``run_int``). LiteRT's Prepare requires every int8 input to
carry exactly the output's scale and zero point, and every int16 tensor a zero point of 0
(int16 scales are not compared: a mismatch would run and be misread); ``run_int`` checks the
same.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import SHARED, Quant
from ._shape import (
    dims,
    in_dtype,
    norm_axis,
    qspec,
    rand,
    require_dtype,
    require_same_quant,
    require_zero_point_0,
    with_quant,
)

OP = "CONCATENATION"
OPTIONS = "ConcatenationOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)

_TYPES = "float32 float16 uint8 int8 int16 int32 int64 bool uint32"


def run_float(ctx: OpContext, *xs: np.ndarray) -> np.ndarray:
    o = ctx.options
    act = o.get("fused_activation_function", "NONE")
    if act not in ("NONE", 0):
        raise ValueError(f"CONCATENATION: LiteRT rejects fused activation {act}")
    x0 = xs[0]
    require_dtype(x0, _TYPES, OP)
    if any(x.dtype != x0.dtype for x in xs):
        raise TypeError("CONCATENATION inputs must share one dtype")
    if x0.ndim == 0:
        if o.get("axis", 0) != 0 or any(x.ndim for x in xs):
            raise ValueError("CONCATENATION of scalars needs axis 0 and all inputs rank 0")
        return np.stack(xs)
    return np.concatenate(xs, axis=norm_axis(o.get("axis", 0), x0.ndim))


def run_int(ctx: OpContext, *xs: np.ndarray) -> np.ndarray:
    out_t = ctx.op.outputs[0]
    for t in ctx.op.inputs:
        if t is not None and t.dtype == "int8":
            require_same_quant(OP, t, out_t)
    require_zero_point_0(OP, *ctx.op.inputs, out_t)
    return run_float(ctx, *xs)


def version(op: Operator) -> int:
    return {"int16": 3, "int8": 2}.get(in_dtype(op), 1)


def _parts(rng: np.random.Generator, rank: int, axis: int, n: int, dtype: str
           ) -> list[np.ndarray]:
    shape = dims(rng, rank)
    out = []
    for _ in range(n):
        shape[axis] = int(rng.integers(1, 5))
        out.append(rand(rng, shape, dtype))
    return out


EXAMPLES = [
    lambda rng: Example(_parts(rng, 4, 3, 3, "float32"), {"axis": -1}, "channels"),
    lambda rng: Example(_parts(rng, 2, 0, 2, "int32"), {"axis": 0}, "axis 0 int32"),
    lambda rng: Example(_parts(rng, 3, 1, 4, "bool"), {"axis": 1}, "bool"),
    lambda rng: Example([x if i else Const(x) for i, x in
                         enumerate(_parts(rng, 3, 2, 2, "int64"))], {"axis": -1},
                        "const input int64"),
    lambda rng: Example(_parts(rng, 5, 2, 2, "int8"), {"axis": 2}, "5-D int8"),
    lambda rng: with_quant(Example(_parts(rng, 4, 3, 3, "int8"), {"axis": -1}, ""),
                           qspec(rng), (0, 1, 2), "quantized int8 channels"),
    lambda rng: with_quant(Example([x if i else Const(x) for i, x in
                                    enumerate(_parts(rng, 3, 1, 2, "int16"))], {"axis": 1},
                                   ""), qspec(rng, "int16"), (0, 1),
                           "quantized int16 const input"),
]
