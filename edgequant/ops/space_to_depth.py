"""SPACE_TO_DEPTH: move block_size x block_size spatial blocks into channels, NHWC
(tflite/kernels/space_to_depth.cc).

Height and width must be multiples of ``block_size``; output channel index is
(row_in_block * block_size + col_in_block) * C + c, as in TF. 4-D float32, uint8, int8,
int32 and int64 only. Quantized int8 moves as raw codes (``run_int``; LiteRT checks no quantization);
there is no int16 kernel.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext
from ._rules import SHARED, Quant
from ._shape import in_dtype, qspec, rand, require_dtype, with_quant

OP = "SPACE_TO_DEPTH"
OPTIONS = "SpaceToDepthOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED, int16=False)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    require_dtype(x, "float32 uint8 int8 int32 int64", OP)
    b = ctx.options.get("block_size", 0)
    if x.ndim != 4 or b <= 0 or x.shape[1] % b or x.shape[2] % b:
        raise ValueError(f"SPACE_TO_DEPTH: block_size {b} does not fit {list(x.shape)}")
    n, h, w, c = x.shape
    y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


run_int = run_float


def version(op: Operator) -> int:
    return 2 if in_dtype(op) == "int8" else 1


def _ex(rng: np.random.Generator, b: int, dtype: str, name: str) -> Example:
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    h, w = (b * int(v) for v in rng.integers(1, 4, 2))
    return Example([rand(rng, [n, h, w, c], dtype)], {"block_size": b}, name)


EXAMPLES = [
    lambda rng: _ex(rng, 2, "float32", "block 2"),
    lambda rng: _ex(rng, 3, "int32", "block 3 int32"),
    lambda rng: _ex(rng, 2, "int8", "int8"),
    lambda rng: with_quant(_ex(rng, 2, "int8", ""), qspec(rng), name="quantized int8"),
    lambda rng: with_quant(_ex(rng, 3, "int8", ""), qspec(rng), name="quantized int8 block 3"),
    lambda rng: _ex(rng, 1, "int64", "block 1 int64"),
]
