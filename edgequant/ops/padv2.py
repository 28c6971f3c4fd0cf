"""PADV2: pad with a given scalar (tflite/kernels/pad.cc, shared with PAD).

Inputs (x, paddings, constant_values). ``constant_values`` must have x's dtype and exactly
one element (shape [] or [1]); it may be a run-time tensor. Paddings as in PAD: [rank, 2],
int32 or int64, widths >= 0, at most 5 dimensions. Quantized int8 / int16 tensors
(``run_int``, pad.cc EvalInt) are copied as raw codes and padded with the raw
``constant_values`` code, which LiteRT (at Eval) requires to carry exactly the output's scale
and zero point; input and output must share their quantization (not checked).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import KEEP, SHARED, Quant
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

OP = "PADV2"
OPTIONS = "PadV2Options"
# The pad value is quantized with the output's parameters.
QUANT = Quant(inputs=(SHARED, KEEP, SHARED), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray, paddings: np.ndarray,
              constant_values: np.ndarray | None = None) -> np.ndarray:
    if constant_values is None:
        value = np.zeros((), x.dtype)
    else:
        cv = np.asarray(constant_values)
        if cv.dtype != x.dtype or cv.size != 1:
            raise ValueError(f"PADV2: constant_values must be one {x.dtype} value, got "
                             f"{cv.dtype}{list(cv.shape)}")
        value = cv.reshape(())
    return pad_constant(OP, x, paddings, value)


def run_int(ctx: OpContext, x: np.ndarray, paddings: np.ndarray,
            constant_values: np.ndarray | None = None) -> np.ndarray:
    if constant_values is not None:
        cv = np.asarray(constant_values)
        if cv.dtype != x.dtype or cv.size != 1:
            raise ValueError(f"PADV2: constant_values must be one {x.dtype} value, got "
                             f"{cv.dtype}{list(cv.shape)}")
        constant_values = cv.reshape(())
    return pad_constant(OP, x, paddings, pad_value_int(ctx.op, x, constant_values))


def version(op: Operator) -> int:
    return pad_version(op)


def _ex(rng: np.random.Generator, rank: int, dtype: str, name: str, value_shape: tuple = (),
        pad_dtype: str = "int32", runtime: bool = False) -> Example:
    shape = dims(rng, rank)
    p = rand_pads(rng, shape, dtype=pad_dtype)
    v = rand(rng, value_shape, dtype)
    ins: list = [rand(rng, shape, dtype), Const(p)]
    ins.append(v if runtime else Const(v))
    return Example(ins, {}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 4, "float32", "float value"),
    lambda rng: _ex(rng, 2, "int32", "int32, [1] value, int64 paddings", (1,), "int64"),
    lambda rng: _ex(rng, 3, "bool", "bool"),
    lambda rng: _ex(rng, 3, "int8", "runtime value int8", runtime=True),
    lambda rng: _ex(rng, 5, "int64", "5-D int64"),
    lambda rng: with_quant(_ex(rng, 4, "int8", ""), qspec(rng), (0, 2), "quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, "int8", "", (1,), runtime=True), qspec(rng), (0, 2),
                           "quantized int8 runtime value"),
    lambda rng: with_quant(_ex(rng, 3, "int16", ""), qspec(rng, "int16"), (0, 2),
                           "quantized int16"),
]
