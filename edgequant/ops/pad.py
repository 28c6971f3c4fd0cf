"""PAD: pad with zeros (tflite/kernels/pad.cc, reference_ops::Pad).

``paddings`` is a [rank, 2] tensor of (before, after) widths, int32 or int64 (LiteRT also
takes int8/int16/bool paddings), constant or run-time. Widths must be >= 0. At most 5
dimensions (PadKernelMaxDimensionCount). Unquantized int8/int16 pad with 0; quantized int8 /
int16 tensors (``run_int``, pad.cc EvalInt) pad with the output zero point, i.e. real 0, and
are otherwise copied as raw codes: input and output must share their quantization (LiteRT
does not check it).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import (
    dims,
    pad_constant,
    pad_value_int,
    pad_version,
    qspec,
    rand,
    rand_pads,
    with_quant,
)

OP = "PAD"
OPTIONS = "PadOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
    return pad_constant(OP, x, paddings, np.zeros((), x.dtype))


def run_int(ctx: OpContext, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
    return pad_constant(OP, x, paddings, pad_value_int(ctx.op, x, None))


def version(op: Operator) -> int:
    return pad_version(op)


def _ex(rng: np.random.Generator, rank: int, dtype: str, name: str, pad_dtype: str = "int32",
        runtime: bool = False, image: bool = False) -> Example:
    shape = dims(rng, rank)
    p = rand_pads(rng, shape, dtype=pad_dtype)
    if image:  # LiteRT's PadImageStyle path: a 4-D pad that leaves N and C alone
        p[0] = p[3] = 0
    return Example([rand(rng, shape, dtype), p if runtime else Const(p)], {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 4, "float32", "image style", image=True),
    lambda rng: _ex(rng, 2, "int32", "int64 paddings", pad_dtype="int64"),
    lambda rng: _ex(rng, 3, "bool", "bool"),
    lambda rng: _ex(rng, 3, "int8", "runtime paddings int8", runtime=True),
    lambda rng: _ex(rng, 5, "int64", "5-D int64"),
    lambda rng: with_quant(_ex(rng, 4, "int8", "", image=True), qspec(rng),
                           name="quantized int8 image style"),
    lambda rng: with_quant(_ex(rng, 3, "int8", "", runtime=True), qspec(rng),
                           name="quantized int8 runtime paddings"),
    lambda rng: with_quant(_ex(rng, 4, "int16", "", pad_dtype="int64"), qspec(rng, "int16"),
                           name="quantized int16"),
]
