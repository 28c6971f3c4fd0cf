"""BROADCAST_TO: broadcast the input to ``shape`` NumPy-style (tflite/kernels/broadcast_to.cc).

``shape`` is a 1-D int32 or int64 tensor (constant or run-time) whose rank is at least the
input's; each input dim must be 1 or equal the target dim (aligned from the right). No
string support. Version 1 is retired: LiteRT registers 2-4 only. Quantized codes are copied
as they are (``run_int``; LiteRT checks no quantization).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, ints, qspec, rand, with_quant

OP = "BROADCAST_TO"
OPTIONS = "BroadcastToOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    if np.asarray(shape).dtype not in (np.int32, np.int64) or np.asarray(shape).ndim != 1:
        raise TypeError("BROADCAST_TO shape must be a 1-D int32 or int64 tensor")
    target = ints(shape, "BROADCAST_TO shape")
    k = len(target) - x.ndim
    if k < 0 or any(d not in (1, t) for d, t in zip(x.shape, target[k:])):
        raise ValueError(f"BROADCAST_TO: {list(x.shape)} does not broadcast to {target}")
    return np.broadcast_to(x, target).copy()


run_int = run_float


def version(op: Operator) -> int:
    return 3 if in_dtype(op) in ("int8", "int16") else 2


def _ex(rng: np.random.Generator, rank: int, extra: int, dtype: str, name: str,
        s_dtype: str = "int32", runtime: bool = False) -> Example:
    target = dims(rng, rank + extra, 2, 4)
    shape = [1 if rng.random() < 0.5 else d for d in target[extra:]]
    t = np.array(target, s_dtype)
    return Example([rand(rng, shape, dtype), t if runtime else Const(t)], {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 1, 2, "float32", "vector to 3-D"),
    lambda rng: _ex(rng, 3, 0, "int32", "same rank int32, int64 shape", "int64"),
    lambda rng: _ex(rng, 2, 1, "bool", "bool"),
    lambda rng: _ex(rng, 2, 2, "int8", "runtime shape int8", runtime=True),
    lambda rng: _ex(rng, 0, 3, "int64", "scalar int64"),
    lambda rng: _ex(rng, 5, 1, "float32", "6-D"),
    lambda rng: with_quant(_ex(rng, 3, 1, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 2, 2, "int16", "", runtime=True), qspec(rng, "int16"),
                           name="quantized int16 runtime shape"),
]
