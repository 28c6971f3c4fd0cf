"""RESHAPE: new shape from the shape tensor (input 1) or, if absent, from the options
(tflite/kernels/reshape.cc GetOutputShape). One dimension may be -1; an empty shape tensor
means a scalar. Quantized tensors are reshaped as raw codes (``run_int``); LiteRT checks
nothing, so input and output must share their quantization by construction."""

from __future__ import annotations

import numpy as np

from ._base import Const, Example, OpContext, randn
from ._rules import MOVE
from ._shape import qrand, qspec, with_quant

OP = "RESHAPE"
OPTIONS = "ReshapeOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
    if shape is not None:
        new = [int(d) for d in np.asarray(shape).ravel()]
    else:
        new = list(ctx.options.get("new_shape", []))
    if new.count(-1) > 1:
        raise ValueError(f"new shape {new} has more than one -1")
    return x.reshape(new)


run_int = run_float


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 3, 4), Const(np.array([6, 4], np.int32))],
                        {"new_shape": [6, 4]}, "const shape"),
    lambda rng: Example([randn(rng, 2, 3, 4), Const(np.array([-1, 12], np.int32))],
                        {"new_shape": [-1, 12]}, "infer"),
    # A single input: the shape comes from the options. (LiteRT 2.3 crashes on a RESHAPE whose
    # shape input is written as -1, so we never write that form.)
    lambda rng: Example([randn(rng, 1, 2, 2, 3)], {"new_shape": [1, 12]}, "options only"),
    lambda rng: Example([rng.integers(0, 9, (4, 2)).astype(np.int32),
                         np.array([2, 2, 2], np.int32)], {"new_shape": [2, 2, 2]},
                        "runtime shape int32"),
    lambda rng: with_quant(Example([qrand(rng, (2, 3, 4, 5)),
                                    Const(np.array([2, -1, 5], np.int32))],
                                   {"new_shape": [2, -1, 5]}, "int8 batch 2"), qspec(rng)),
    lambda rng: with_quant(Example([qrand(rng, (3, 2, 2, 3), "int16")], {"new_shape": [3, 12]},
                                   "int16 options only"), qspec(rng, "int16")),
]


def version(op: object) -> int:
    """op_version.cc has no RESHAPE case: every type is version 1."""
    return 1
