"""DEPTHWISE_CONV_2D: NHWC input, [1, KH, KW, Cin * M] filter; output channel c * M + m reads
input channel c (tflite/kernels/depthwise_conv.cc, reference/depthwiseconv_float.h).

The depth multiplier M comes from the shapes (filter channels / input channels), as in the
kernel's ComputeDepthMultiplier; the ``depth_multiplier`` option is never read. Accumulates tap
by tap in the reference loop's order (filter row, then column) and adds the bias last, so the
result equals the reference kernel's bit for bit (measured). The bias is optional (2 inputs).
Fused activations are clamps only (CalculateActivationRange): a fused TANH is ignored.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._nn import clamp_activation, in_type, is_hybrid, out_type, per_channel, window

OP = "DEPTHWISE_CONV_2D"
OPTIONS = "DepthwiseConv2DOptions"

_REF_MAX = 6


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    o = ctx.options
    if x.ndim != 4 or w.ndim != 4 or w.shape[0] != 1:
        raise ValueError(f"expected a 4-D input and a [1, KH, KW, C] filter, got "
                         f"{list(x.shape)} and {list(w.shape)}")
    _, kh, kw, cout = w.shape
    cin = x.shape[3]
    if cout % cin:
        raise ValueError(f"filter has {cout} channels, not a multiple of the input's {cin}")
    mult = cout // cin
    wr = ctx.state.get("wr")
    if wr is None or ctx.state.get("w") is not w:
        wr = np.ascontiguousarray(w.reshape(kh, kw, cin, mult), dtype=np.float32)
        ctx.state.update(wr=wr, w=w)
    tap, oh, ow = window(x, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h_factor"],
                         o["dilation_w_factor"], o["padding"])
    acc = np.zeros((x.shape[0], oh, ow, cin, mult), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            acc += tap(i, j)[..., None] * wr[i, j]
    out = acc.reshape(x.shape[0], oh, ow, cout)
    if bias is not None:
        out += bias
    return clamp_activation(out, o["fused_activation_function"])


def version(op: Operator) -> int:
    """op_version.cc DEPTHWISE_CONV_2D, clamped to BUILTIN_REF's maximum of 6."""
    i0, i1, o0 = in_type(op, 0), in_type(op, 1), out_type(op)
    # (The int16 x int16 -> 5 rule reads outputs.at(1), which a one-output op never has.)
    if is_hybrid(op):
        return 6 if per_channel(op.inputs[1], 3) else 4
    if i0 == "int8" and i1 == "int8" and o0 == "int8":
        return 3
    if i0 == "int8" and i1 == "int4" and o0 == "int8":
        return _REF_MAX  # the converter writes 7, which BUILTIN_REF does not register
    o = op.options
    if o.get("dilation_w_factor", 1) != 1 or o.get("dilation_h_factor", 1) != 1:
        return 2
    return 1


def _opts(padding: str = "SAME", s: tuple[int, int] = (1, 1), d: tuple[int, int] = (1, 1),
          mult: int = 1, act: str = "NONE") -> dict:
    return {"padding": padding, "stride_h": s[0], "stride_w": s[1], "dilation_h_factor": d[0],
            "dilation_w_factor": d[1], "depth_multiplier": mult,
            "fused_activation_function": act}


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 8, 8, 4), Const(randn(rng, 1, 3, 3, 4)),
                         Const(randn(rng, 4))], _opts(), "3x3 same"),
    lambda rng: Example([randn(rng, 2, 9, 7, 3), Const(randn(rng, 1, 3, 2, 6)),
                         Const(randn(rng, 6))], _opts("VALID", (2, 1), mult=2, act="RELU"),
                        "valid stride multiplier 2 relu"),
    lambda rng: Example([randn(rng, 1, 10, 10, 2), Const(randn(rng, 1, 3, 3, 6)),
                         Const(randn(rng, 6))], _opts("SAME", (2, 2), mult=3, act="RELU6"),
                        "same stride 2 multiplier 3 relu6"),
    lambda rng: Example([randn(rng, 1, 11, 9, 3), Const(randn(rng, 1, 3, 3, 3)),
                         Const(randn(rng, 3))], _opts("SAME", (1, 1), (2, 3)), "dilated"),
    lambda rng: Example([randn(rng, 1, int(rng.integers(5, 12)), int(rng.integers(5, 12)), 5),
                         Const(randn(rng, 1, 5, 5, 5))],
                        _opts("VALID", (1, 2), act="RELU_N1_TO_1"), "no bias, random size"),
    lambda rng: Example([randn(rng, 1, 6, 6, 4), randn(rng, 1, 2, 2, 4), randn(rng, 4)],
                        _opts("SAME", (1, 1), act="TANH"), "runtime filter, tanh ignored"),
]
