"""SQUEEZE: drop size-1 dimensions (tflite/kernels/squeeze.cc).

An empty ``squeeze_dims`` drops every size-1 dimension. Listed dims may be negative and may
repeat; each must have size 1 or LiteRT fails in Prepare. At most 8 input dimensions. A byte
copy, so every dtype works, quantized codes included (``run_int``; no quantization check).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext
from ._rules import SHARED, Quant
from ._shape import dims, norm_axis, qspec, rand, with_quant

OP = "SQUEEZE"
OPTIONS = "SqueezeOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.ndim > 8:
        raise ValueError(f"SQUEEZE supports at most 8 dimensions, got {x.ndim}")
    listed = ctx.options.get("squeeze_dims") or []
    if not listed:
        axes = {i for i, d in enumerate(x.shape) if d == 1}
    else:
        axes = {norm_axis(int(a), x.ndim, "squeeze dim") for a in listed}
        bad = [a for a in sorted(axes) if x.shape[a] != 1]
        if bad:
            raise ValueError(f"SQUEEZE: dims {bad} of shape {list(x.shape)} are not 1")
    return x.reshape([d for i, d in enumerate(x.shape) if i not in axes])


run_int = run_float


def version(op: Operator) -> int:
    # string -> 2 in op_version.cc, but BUILTIN_REF registers only v1.
    return 1


def _with_ones(rng: np.random.Generator, rank: int, ones: list[int]) -> list[int]:
    shape = dims(rng, rank, 2, 4)
    for a in ones:
        shape[a] = 1
    return shape


EXAMPLES = [
    lambda rng: Example([rand(rng, _with_ones(rng, 4, [0, 2]))], {}, "all ones"),
    lambda rng: Example([rand(rng, _with_ones(rng, 5, [1, 3, 4]), "int32")],
                        {"squeeze_dims": [-1, 1, 1]}, "negative and repeated dims int32"),
    lambda rng: Example([rand(rng, _with_ones(rng, 3, [0, 2]), "bool")],
                        {"squeeze_dims": [2]}, "one dim bool"),
    lambda rng: Example([rand(rng, _with_ones(rng, 6, [0, 5]), "int64")],
                        {"squeeze_dims": [0, -1]}, "6-D int64"),
    lambda rng: Example([rand(rng, [1, 1], "int8")], {}, "to scalar int8"),
    lambda rng: with_quant(Example([rand(rng, [3, 1, 1, 5], "int8")], {"squeeze_dims": [1, 2]},
                                   "quantized int8 batch 3"), qspec(rng)),
    lambda rng: with_quant(Example([rand(rng, [2, 1, 4, 1], "int16")], {},
                                   "quantized int16"), qspec(rng, "int16")),
]
