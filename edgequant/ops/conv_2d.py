"""CONV_2D: 2-D convolution, NHWC input, [O, KH, KW, I] filter (tflite/kernels/conv.cc).

Float path: im2col + one float32 GEMM (BLAS), bias, fused activation as a clamp. Grouped convolution
(input channels = groups x filter channels) runs one GEMM per group, as conv.cc allows.
"""

from __future__ import annotations

import numpy as np

from ._base import Const, Example, OpContext, randn
from ._conv import patches
from ._nn import bias_type_set, clamp_activation, in_type, is_hybrid, out_type, per_channel
from ..ir import Operator

OP = "CONV_2D"
OPTIONS = "Conv2DOptions"


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    o = ctx.options
    cout, kh, kw, cin_f = w.shape
    n, h, wd, cin = x.shape
    if cin % cin_f:
        raise ValueError(f"input has {cin} channels, filter expects a multiple of {cin_f}")
    groups = cin // cin_f
    cols, oh, ow = patches(x, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h_factor"],
                           o["dilation_w_factor"], o["padding"])
    if groups == 1:
        wm = ctx.state.get("wm")
        if wm is None or ctx.state.get("w") is not w:
            wm = np.ascontiguousarray(w.reshape(cout, -1).T)
            ctx.state.update(wm=wm, w=w)
        out = cols.reshape(n * oh * ow, -1) @ wm
    else:
        per = cout // groups
        cols = cols.reshape(n * oh * ow, kh * kw, groups, cin_f)
        out = np.empty((n * oh * ow, cout), dtype=np.float32)
        for g in range(groups):
            wg = w[g * per:(g + 1) * per].reshape(per, -1)
            out[:, g * per:(g + 1) * per] = cols[:, :, g, :].reshape(n * oh * ow, -1) @ wg.T
    if bias is not None:
        out += bias
    out = out.reshape(n, oh, ow, cout).astype(np.float32, copy=False)
    # LiteRT turns the fused activation into a clamp (TANH/SIGN_BIT are ignored, NONE still
    # saturates at +-FLT_MAX).
    return clamp_activation(out, o["fused_activation_function"])


def version(op: Operator) -> int:
    """op_version.cc CONV_2D: 16x8 with quantized_bias_type 8 > grouped 6 > int8 3 >
    int8 x int4 7 > hybrid (per-channel 5, per-tensor 2) > 1."""
    i0, i1, o0 = in_type(op, 0), in_type(op, 1), out_type(op)
    if i0 == "int16" and i1 == "int8" and o0 == "int16" and bias_type_set(op.options):
        return 8
    x, w = op.inputs[0], op.inputs[1]
    if x is not None and w is not None and len(x.shape) == 4 and len(w.shape) == 4 \
            and x.shape[3] > 0 and x.shape[3] != w.shape[3]:
        return 6
    if i0 == "int8" and i1 == "int8" and o0 == "int8":
        return 3
    if i0 == "int8" and i1 == "int4" and o0 == "int8":
        return 7
    if is_hybrid(op):
        return 5 if per_channel(w, 0) else 2
    return 1


def _opts(padding: str = "SAME", s: tuple[int, int] = (1, 1), d: tuple[int, int] = (1, 1),
          act: str = "NONE") -> dict:
    return {"padding": padding, "stride_h": s[0], "stride_w": s[1], "dilation_h_factor": d[0],
            "dilation_w_factor": d[1], "fused_activation_function": act}


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 8, 8, 3), Const(randn(rng, 4, 3, 3, 3)),
                         Const(randn(rng, 4))], _opts(), "3x3 same"),
    lambda rng: Example([randn(rng, 2, 9, 7, 2), Const(randn(rng, 5, 3, 2, 2)),
                         Const(randn(rng, 5))], _opts("VALID", (2, 1), act="RELU"),
                        "valid stride relu"),
    lambda rng: Example([randn(rng, 1, 10, 10, 4), Const(randn(rng, 3, 3, 3, 4)),
                         Const(randn(rng, 3))], _opts("SAME", (2, 2), (1, 1), "RELU6"),
                        "same stride2 relu6"),
    lambda rng: Example([randn(rng, 1, 11, 9, 2), Const(randn(rng, 4, 3, 3, 2)),
                         Const(randn(rng, 4))], _opts("SAME", (1, 1), (2, 2)), "dilated"),
    lambda rng: Example([randn(rng, 1, 6, 6, 8), Const(randn(rng, 16, 1, 1, 8)),
                         Const(randn(rng, 16))], _opts(), "1x1"),
    lambda rng: Example([randn(rng, 1, 6, 6, 4), Const(randn(rng, 6, 3, 3, 2)),
                         Const(randn(rng, 6))], _opts(), "grouped"),
    lambda rng: Example([randn(rng, 1, 5, 5, 2), Const(randn(rng, 3, 3, 3, 2)),
                         Const(randn(rng, 3))], _opts(act="TANH"), "fused TANH is ignored"),
]
