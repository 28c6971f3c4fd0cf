"""ARG_MAX: index of the largest value along the axis in input 1 (tflite/kernels/arg_min_max.cc).

Ties go to the first index. NaN is not matched: LiteRT 2.3.0's x86 build returns indices
that follow no comparison rule for slices containing NaN; we follow the later NaN-aware
source (NaN skipped, an all-NaN slice gives 0).
``output_type`` (int32/int64) picks the output dtype; the schema default FLOAT32 is an error in
LiteRT too. Works on raw int8/uint8 values, so the kernel also serves quantized tensors
(``run_int``): with a positive scale the code order is the value order, whatever the
quantization, so the input takes whatever parameters its producer gives it. LiteRT has no
int16 kernel.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._reduce import arg_extreme
from ._rules import ACT, KEEP, Quant
from ._shape import qrand, qspec

OP = "ARG_MAX"
OPTIONS = "ArgMaxOptions"
# The input accepts any quantization (ACT: it is never requantized for this op); the output is
# an int32/int64 index.
QUANT = Quant(inputs=(ACT, KEEP), outputs=KEEP, int16=False)


def run_float(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    return arg_extreme(ctx, x, axis, is_max=True)


def run_int(ctx: OpContext, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    if x.dtype not in (np.int8, np.uint8):
        raise TypeError(f"{OP}: LiteRT's quantized kernel takes int8 or uint8, not {x.dtype}")
    return run_float(ctx, x, axis)


def version(op: Operator) -> int:
    dt = op.inputs[0].dtype
    # bool would be 3, above BUILTIN_REF's maximum of 2.
    return 2 if dt in ("int8", "bool") else 1


def _ties(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(-3, 3, (4, 6, 5)).astype(np.float32)


def _infs(rng: np.random.Generator) -> np.ndarray:
    x = rng.integers(-2, 2, (5, 6)).astype(np.float32)
    x[0, :] = -np.inf
    x[1, 2:] = np.where(x[1, 2:] >= 0, np.inf, -np.inf)
    x[2, ::2] = np.inf
    x[3, 1::2] = -np.inf
    return x


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 10), Const(np.array([1], np.int32))],
                        {"output_type": "int32"}, "last axis int32", output_dtypes=["int32"]),
    lambda rng: Example([_ties(rng), Const(np.array([-2], np.int32))],
                        {"output_type": "int64"}, "negative axis ties int64",
                        output_dtypes=["int64"]),
    lambda rng: Example([_infs(rng), Const(np.array([1], np.int64))],
                        {"output_type": "int32"}, "infinities and ties, int64 axis",
                        output_dtypes=["int32"]),
    lambda rng: Example([rng.integers(-128, 128, (3, 4, 7)).astype(np.int8),
                         Const(np.array([0], np.int32))], {"output_type": "int32"},
                        "int8 axis 0", output_dtypes=["int32"]),
    lambda rng: Example([rng.integers(-5, 5, (6, 3)).astype(np.int32),
                         Const(np.array(0, np.int32))], {"output_type": "int64"},
                        "int32 scalar axis", output_dtypes=["int64"]),
    lambda rng: Example([qrand(rng, (3, 4, 7)), Const(np.array([-1], np.int32))],
                        {"output_type": "int32"}, "quantized int8 last axis",
                        output_dtypes=["int32"], quant={"in0": qspec(rng)}),
    # Few distinct codes: many ties, which go to the first index.
    lambda rng: Example([rng.integers(-2, 2, (2, 5, 6)).astype(np.int8),
                         Const(np.array([1], np.int32))], {"output_type": "int64"},
                        "quantized int8 ties", output_dtypes=["int64"],
                        quant={"in0": (0.5, -1)}),
]
