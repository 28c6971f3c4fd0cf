"""MAX_POOL_2D: NHWC max over each window, padded taps ignored (tflite/kernels/pooling.cc,
reference_ops::MaxPool), then the fused activation.

int8 / int16 (reference_integer_ops::MaxPool): the largest raw code of the window, then the
fused activation as a clamp in the output's quantized domain. Nothing is rescaled: input and
output must share their quantization (LiteRT only DCHECKs it).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import (
    activation_version,
    clamp_activation,
    pool2d,
    pool2d_int,
    quantized_activation_range,
)
from ._rules import SHARED, Quant
from ._shape import qrand, qspec

OP = "MAX_POOL_2D"
OPTIONS = "Pool2DOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    o = ctx.options
    return clamp_activation(pool2d(x, o, average=False), o["fused_activation_function"])


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    out_t = ctx.op.outputs[0]
    if x.dtype not in (np.int8, np.int16) or out_t.dtype != x.dtype.name:
        raise TypeError(f"{OP}: integer kernel takes int8 or int16 in and out, got "
                        f"{x.dtype} -> {out_t.dtype}")
    rng = ctx.state.get("act")
    if rng is None:
        rng = ctx.state["act"] = quantized_activation_range(
            ctx.options["fused_activation_function"], out_t)
    return np.clip(pool2d_int(x, ctx.options, average=False), *rng).astype(x.dtype)


def version(op: Operator) -> int:
    # op_version.cc: int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


def _opts(k: tuple[int, int], s: tuple[int, int], padding: str = "VALID", act: str = "NONE"
          ) -> dict:
    return {"filter_height": k[0], "filter_width": k[1], "stride_h": s[0], "stride_w": s[1],
            "padding": padding, "fused_activation_function": act}


def _q(rng: np.random.Generator, shape: tuple[int, ...], opts: dict, name: str,
       dtype: str = "int8", spec: tuple[float, int] | None = None) -> Example:
    spec = spec or qspec(rng, dtype)
    return Example([qrand(rng, shape, dtype)], opts, name, quant={"in0": spec, "out0": spec})


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 8, 8, 3)], _opts((2, 2), (2, 2)), "2x2 s2 valid"),
    lambda rng: Example([randn(rng, 2, 9, 7, 4)], _opts((3, 3), (2, 2), "SAME", "RELU"),
                        "3x3 s2 same relu"),
    lambda rng: Example([randn(rng, 1, int(rng.integers(5, 12)), int(rng.integers(5, 12)), 2,
                               scale=4.0)],
                        _opts((3, 2), (1, 2), "SAME", "RELU6"), "random size same relu6"),
    lambda rng: Example([randn(rng, 1, 7, 6, 3, scale=2.0)],
                        _opts((2, 3), (3, 1), "VALID", "RELU_N1_TO_1"), "uneven valid relu1"),
    lambda rng: Example([randn(rng, 1, 5, 5, 2) - 5], _opts((4, 4), (1, 1), "SAME"),
                        "negative input, large window"),
    # Integer kernels: the activation clamps at zp + round(bound / scale).
    lambda rng: _q(rng, (2, 8, 8, 3), _opts((2, 2), (2, 2)), "int8 tiles"),
    lambda rng: _q(rng, (3, 9, 7, 4), _opts((3, 3), (2, 2), "SAME", "RELU"), "int8 same relu",
                   spec=(0.1, 17)),
    lambda rng: _q(rng, (2, 7, 6, 2), _opts((3, 2), (1, 2), "SAME", "RELU6"), "int8 relu6",
                   spec=(0.03125, -100)),
    lambda rng: _q(rng, (1, 7, 6, 3), _opts((2, 3), (3, 1), "VALID", "RELU_N1_TO_1"),
                   "int8 relu_n1_to_1", spec=(0.0123, -5)),
    lambda rng: _q(rng, (2, 5, 5, 2), _opts((4, 4), (1, 1), "SAME", "RELU6"), "int16 relu6",
                   "int16", spec=(0.0004, 0)),
    lambda rng: _q(rng, (2, 6, 4, 3), _opts((2, 2), (2, 2)), "int16 tiles", "int16"),
]
