"""TRANSPOSE: permute dimensions (tflite/kernels/transpose.cc).

``perm`` must be int32: LiteRT reads its buffer as int32 unchecked, so an int64 perm gives a
wrong permutation, and we refuse it. Entries may be negative (added to the rank) and the
perm may be a run-time tensor. Up to 8 dimensions in LiteRT 2.3. Dispatch is by element
size, so bool and every integer type work, quantized codes included (``run_int``; LiteRT
checks no quantization).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, in_rank, ints, qspec, rand, with_quant

OP = "TRANSPOSE"
OPTIONS = "TransposeOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    if np.asarray(perm).dtype != np.int32:
        raise TypeError(f"TRANSPOSE perm must be int32, got {np.asarray(perm).dtype}")
    p = ints(perm, "TRANSPOSE perm")
    if x.ndim > 8:
        raise ValueError(f"TRANSPOSE supports at most 8 dimensions, got {x.ndim}")
    if len(p) != x.ndim or any(not -x.ndim <= v < x.ndim for v in p):
        raise ValueError(f"TRANSPOSE perm {p} does not fit rank {x.ndim}")
    p = [v + x.ndim if v < 0 else v for v in p]
    if sorted(p) != list(range(x.ndim)):
        raise ValueError(f"TRANSPOSE perm {p} is not a permutation")
    return x.transpose(p).copy()


run_int = run_float


def version(op: Operator) -> int:
    t, r = in_dtype(op), in_rank(op)
    if r > 6:
        v = 8
    elif r > 5:
        v = 6
    elif t == "int16":
        v = 5
    elif r > 4:
        v = 4
    else:
        v = {"bool": 3, "int8": 2}.get(t, 1)
    return min(v, 8)


def _perm(rng: np.random.Generator, rank: int, negative: bool = False) -> np.ndarray:
    p = rng.permutation(rank)
    if negative:
        p = np.where(rng.random(rank) < 0.5, p - rank, p)
    return p.astype(np.int32)


EXAMPLES = [
    lambda rng: Example([rand(rng, dims(rng, 4, 2, 5)), Const(np.array([0, 3, 1, 2], np.int32))],
                        {}, "NHWC to NCHW"),
    lambda rng: Example([rand(rng, dims(rng, 5, 1, 4), "int32"), Const(_perm(rng, 5, True))],
                        {}, "5-D negative perm int32"),
    lambda rng: Example([rand(rng, dims(rng, 3), "bool"), Const(_perm(rng, 3))], {}, "bool"),
    lambda rng: Example([rand(rng, dims(rng, 3), "int8"), _perm(rng, 3)], {},
                        "runtime perm int8"),
    lambda rng: Example([rand(rng, dims(rng, 6, 1, 3), "int64"), Const(_perm(rng, 6))], {},
                        "6-D int64"),
    lambda rng: Example([rand(rng, dims(rng, 7, 1, 3)), Const(_perm(rng, 7))], {}, "7-D"),
    lambda rng: with_quant(Example([rand(rng, [2] + dims(rng, 3, 2, 5), "int8"),
                                    Const(np.array([0, 3, 1, 2], np.int32))], {},
                                   "quantized int8 NHWC to NCHW"), qspec(rng)),
    lambda rng: with_quant(Example([rand(rng, dims(rng, 3, 2, 5), "int16"), _perm(rng, 3)], {},
                                   "quantized int16 runtime perm"), qspec(rng, "int16")),
]
