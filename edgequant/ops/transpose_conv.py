"""TRANSPOSE_CONV: the gradient of CONV_2D with respect to its input
(tflite/kernels/transpose_conv.cc, reference/transpose_conv.h).

Inputs are (output_shape int32 [4], weights [O, KH, KW, I], input [N, H, W, I], optional bias
[O]). Padding is worked out as if the *output* were the input of a forward convolution: that
convolution must give back H x W (else LiteRT fails at Eval), and its top/left padding (the
odd pixel of SAME goes to the bottom/right) is cropped from the scattered result. VALID
padding therefore never crops at the top/left; output rows past the last input's reach stay
zero (plus bias).

Float path: one GEMM [N*H*W, I] x [I, KH*KW*O], then a col2im scatter-add tap by tap. The
reference kernel sums products one at a time per input pixel, so results agree to float32
rounding. The batch comes from the input rather than output_shape[0] so that a calibration
batch of N runs through a model written for batch 1.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from . import _hybrid
from ._base import Const, Example, OpContext, randn
from ._conv import out_size_and_pad
from ._nn import bias_type_set, clamp_activation, in_type, out_type

OP = "TRANSPOSE_CONV"
OPTIONS = "TransposeConvOptions"


def run_float(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray,
              bias: np.ndarray | None = None) -> np.ndarray:
    o = ctx.options
    shape = [int(v) for v in np.asarray(output_shape).ravel()]
    if len(shape) != 4 or x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"expected a 4-element output_shape, [O, KH, KW, I] weights and an "
                         f"NHWC input, got {shape}, {list(w.shape)}, {list(x.shape)}")
    cout, kh, kw, cin = w.shape
    n, h, wd, xc = x.shape
    _, oh, ow, oc = shape
    if xc != cin or oc != cout:
        raise ValueError(f"channels: input {xc} vs weights {cin}, output_shape {oc} vs "
                         f"weights {cout}")
    sh, sw = o["stride_h"], o["stride_w"]
    if sh <= 0 or sw <= 0:
        raise ValueError(f"strides ({sh}, {sw}) must be positive")
    in_h, pt, _ = out_size_and_pad(oh, kh, sh, 1, o["padding"])
    in_w, pl, _ = out_size_and_pad(ow, kw, sw, 1, o["padding"])
    if (in_h, in_w) != (h, wd):
        raise ValueError(f"output_shape {shape} with {o['padding']} padding and strides "
                         f"({sh}, {sw}) needs a {in_h}x{in_w} input, got {h}x{wd}")
    wm = ctx.state.get("wm")
    if wm is None or ctx.state.get("w") is not w:
        wm = np.ascontiguousarray(w.transpose(3, 1, 2, 0).reshape(cin, kh * kw * cout),
                                  dtype=np.float32)
        ctx.state.update(wm=wm, w=w)
    cols = (np.asarray(x, dtype=np.float32).reshape(-1, cin) @ wm).reshape(
        n, h, wd, kh, kw, cout)
    full = np.zeros((n, max((h - 1) * sh + kh, pt + oh), max((wd - 1) * sw + kw, pl + ow),
                     cout), dtype=np.float32)
    # Taps in reverse, so that each output pixel receives its input pixels in raster order as
    # in the reference scatter loop (which also adds channel by channel; BLAS does not).
    for i in reversed(range(kh)):
        for j in reversed(range(kw)):
            full[:, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += cols[:, :, :, i, j]
    out = full[:, pt:pt + oh, pl:pl + ow]
    if bias is not None:
        out = out + bias
    return clamp_activation(np.ascontiguousarray(out), o["fused_activation_function"])


def run_hybrid(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray,
               bias: np.ndarray | None = None) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid TRANSPOSE_CONV,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.transpose_conv(ctx, output_shape, w, x, bias)


def version(op: Operator) -> int:
    """op_version.cc TRANSPOSE_CONV (BUILTIN_REF registers up to 5)."""
    o = op.options
    # The converter tests input 0 here, which is the int32 output_shape, so this never fires
    # for a real model; kept literal so we write what the converter writes.
    if (in_type(op, 0) == "int16" and in_type(op, 1) == "int8" and out_type(op) == "int16"
            and bias_type_set(o)):
        return 5
    if o.get("fused_activation_function", "NONE") not in ("NONE", 0):
        return 4
    if len(op.inputs) == 4 and op.inputs[3] is not None:
        return 3
    if in_type(op, 1) == "int8":
        return 2
    return 1


def _example(rng: np.random.Generator, n: int, hw: tuple[int, int], k: tuple[int, int],
             s: tuple[int, int], cin: int, cout: int, padding: str, act: str = "NONE",
             bias: bool = True, name: str = "") -> Example:
    # Pick the output size first, then the input size the forward conv gives for it.
    # Weights are scaled like a trained layer's (1/sqrt(fan-in)): with unit weights the
    # sums grow large enough for summation-order rounding to approach atol.
    fan_in = k[0] * k[1] * cin
    oh, ow = hw
    ih, _, _ = out_size_and_pad(oh, k[0], s[0], 1, padding)
    iw, _, _ = out_size_and_pad(ow, k[1], s[1], 1, padding)
    inputs = [Const(np.array([n, oh, ow, cout], np.int32)),
              Const(randn(rng, cout, *k, cin, scale=fan_in ** -0.5)), randn(rng, n, ih, iw, cin)]
    if bias:
        inputs.append(Const(randn(rng, cout)))
    opts = {"padding": padding, "stride_h": s[0], "stride_w": s[1],
            "fused_activation_function": act}
    return Example(inputs, opts, name, output_dtypes=["float32"])


EXAMPLES = [
    lambda rng: _example(rng, 1, (8, 8), (3, 3), (2, 2), 4, 3, "SAME", name="same stride 2"),
    lambda rng: _example(rng, 2, (9, 7), (3, 2), (2, 1), 3, 5, "VALID", "RELU",
                         name="valid uneven relu"),
    lambda rng: _example(rng, 1, (7, 10), (4, 4), (3, 2), 2, 4, "SAME", "RELU6",
                         name="same odd padding relu6"),
    lambda rng: _example(rng, 1, (6, 6), (3, 3), (1, 1), 5, 2, "SAME", bias=False,
                         name="stride 1, no bias"),
    lambda rng: _example(rng, 1, (int(rng.integers(4, 12)), int(rng.integers(4, 12))),
                         (2, 3), (2, 2), 3, 3, "VALID", bias=False,
                         name="valid random size, no bias"),
    # Like every conv-family kernel, TRANSPOSE_CONV only clamps: a fused TANH is ignored.
    lambda rng: _example(rng, 1, (5, 5), (2, 2), (1, 1), 2, 3, "SAME", "TANH",
                         name="tanh ignored"),
]
