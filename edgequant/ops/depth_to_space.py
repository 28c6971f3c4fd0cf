"""DEPTH_TO_SPACE: spread channels into block_size x block_size spatial blocks, NHWC
(tflite/kernels/depth_to_space.cc); the inverse of SPACE_TO_DEPTH (DCR order, as in TF).

Channels must be a multiple of block_size squared. 4-D float32, uint8, int8, int32 and
int64 only. Quantized int8 moves as raw codes (``run_int``; LiteRT checks no quantization);
there is no int16 kernel.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext
from ._rules import SHARED, Quant
from ._shape import qspec, rand, require_dtype, with_quant

OP = "DEPTH_TO_SPACE"
OPTIONS = "DepthToSpaceOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED, int16=False)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    require_dtype(x, "float32 uint8 int8 int32 int64", OP)
    b = ctx.options.get("block_size", 0)
    if x.ndim != 4 or b <= 0 or x.shape[3] % (b * b):
        raise ValueError(f"DEPTH_TO_SPACE: block_size {b} does not fit {list(x.shape)}")
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


run_int = run_float


def version(op: Operator) -> int:
    # int8 -> 2 in op_version.cc, but BUILTIN_REF registers only v1.
    return 1


def _ex(rng: np.random.Generator, b: int, dtype: str, name: str) -> Example:
    n, h, w = (int(v) for v in rng.integers(1, 4, 3))
    c = b * b * int(rng.integers(1, 4))
    return Example([rand(rng, [n, h, w, c], dtype)], {"block_size": b}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 2, "float32", "block 2"),
    lambda rng: _ex(rng, 3, "int32", "block 3 int32"),
    lambda rng: _ex(rng, 2, "int8", "int8"),
    lambda rng: with_quant(_ex(rng, 2, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, "int8", ""), qspec(rng), name="quantized int8 block 3"),
    lambda rng: _ex(rng, 4, "int64", "block 4 int64"),
]
