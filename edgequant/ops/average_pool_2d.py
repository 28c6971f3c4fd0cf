"""AVERAGE_POOL_2D: NHWC mean over each window (tflite/kernels/pooling.cc,
reference_ops::AveragePool), then the fused activation. With SAME padding the border windows
divide by the number of taps inside the input, not by the filter size.

int8 / int16 (reference_integer_ops::AveragePool): the raw codes of the valid taps are summed
in int32 and divided by their count, rounding half away from zero; no zero point is subtracted
and nothing is rescaled, so the result only means something when input and output share their
quantization (LiteRT merely DCHECKs that, so a mismatch runs and is misread). The fused
activation becomes a clamp in the output's quantized domain.
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

OP = "AVERAGE_POOL_2D"
OPTIONS = "Pool2DOptions"
QUANT = Quant(inputs=(SHARED,), outputs=SHARED)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    o = ctx.options
    return clamp_activation(pool2d(x, o, average=True), o["fused_activation_function"])


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    out_t = ctx.op.outputs[0]
    if x.dtype not in (np.int8, np.int16) or out_t.dtype != x.dtype.name:
        raise TypeError(f"{OP}: integer kernel takes int8 or int16 in and out, got "
                        f"{x.dtype} -> {out_t.dtype}")
    rng = ctx.state.get("act")
    if rng is None:
        rng = ctx.state["act"] = quantized_activation_range(
            ctx.options["fused_activation_function"], out_t)
    acc = pool2d_int(x, ctx.options, average=True)
    return np.clip(acc, *rng).astype(x.dtype)


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
    # Every output window is clipped by the SAME padding: the divisor varies per pixel.
    lambda rng: Example([randn(rng, 1, 5, 5, 2) + 3], _opts((4, 4), (1, 1), "SAME"),
                        "large window, varying counts"),
    lambda rng: Example([randn(rng, 3, 6, 6, 8)], _opts((6, 6), (1, 1)), "global"),
    # Integer kernels. 2x2 windows give sums ending in .5 (ties away from zero), SAME borders
    # divide by 1, 2, 4, 6 or 9.
    lambda rng: _q(rng, (2, 6, 6, 3), _opts((2, 2), (2, 2)), "int8 2x2 ties"),
    lambda rng: _q(rng, (3, 7, 5, 4), _opts((3, 3), (1, 1), "SAME"), "int8 same, batch 3"),
    lambda rng: _q(rng, (2, 9, 7, 2), _opts((3, 2), (2, 1), "SAME", "RELU6"), "int8 relu6",
                   spec=(0.05, -20)),
    lambda rng: _q(rng, (1, 7, 6, 3), _opts((2, 3), (3, 1), "VALID", "RELU_N1_TO_1"),
                   "int8 relu_n1_to_1", spec=(0.0078125, 3)),
    lambda rng: _q(rng, (2, 5, 5, 4), _opts((4, 4), (1, 1), "SAME", "RELU"), "int16 relu",
                   "int16"),
    lambda rng: _q(rng, (3, 6, 6, 5), _opts((6, 6), (1, 1)), "int16 global", "int16"),
]
