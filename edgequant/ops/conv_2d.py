"""CONV_2D: 2-D convolution, NHWC input, [O, KH, KW, I] filter (tflite/kernels/conv.cc).

Float path: one float32 GEMM (BLAS) per convolution, then bias and the fused activation as a
clamp, both in place on the GEMM's fresh output. How the GEMM's left operand is built depends
on the geometry (the products are the same; BLAS may order the sums differently by layout):

* 1x1 filter: the input itself, reshaped (strided first when stride > 1); no copy.
* filter == stride without padding (non-overlapping windows): one transposing copy.
* otherwise im2col into a per-op scratch buffer whose padding entries stay zero (only the
  taps' in-image regions are written, so no padded copy of the input is made). With few input
  channels the columns are laid out channel-major, [KH*KW*I, N*OH*OW], and handed to BLAS
  transposed: copying runs of C <= 8 floats (NHWC layout) is up to 3x slower (measured).

Grouped convolution (input channels = groups x filter channels) runs one GEMM per group, as
conv.cc allows.
"""

from __future__ import annotations

import numpy as np

from . import _hybrid
from ._base import Const, Example, OpContext, randn
from ._conv import derived, out_size_and_pad, patches, scratch, tap_range
from ._nn import (add_bias_act, bias_type_set, clamp_activation, in_type, is_hybrid, out_type,
                  per_channel)
from ..ir import Operator

OP = "CONV_2D"
OPTIONS = "Conv2DOptions"

# Up to this many input channels im2col writes channel-major columns (see the docstring);
# measured on 3x3 convs (stride 1 and 2) with 1-32 input channels.
_CHANNEL_MAJOR_MAX_CIN = 8


def _filter_matrix(ctx: OpContext, w: np.ndarray) -> np.ndarray:
    """[KH*KW*I, O]: rows in (tap row, tap column, channel) order, cached for a constant."""
    return derived(ctx, "wm", w, lambda: np.ascontiguousarray(w.reshape(w.shape[0], -1).T,
                                                            dtype=np.float32))


def _im2col_gemm(ctx: OpContext, x: np.ndarray, wm: np.ndarray, kh: int, kw: int,
                 geo: tuple[int, ...]) -> np.ndarray:
    """[N*OH*OW, O] = columns @ wm, building the columns without a padded input copy."""
    n, h, wd, cin = x.shape
    sh, sw, dh, dw, oh, ow, pt, pl = geo
    channel_major = cin <= _CHANNEL_MAJOR_MAX_CIN
    shape = (kh, kw, cin, n, oh, ow) if channel_major else (n, oh, ow, kh, kw, cin)
    # Zeroed once: the out-of-image entries of each tap are never written, so they stay 0.
    cols = scratch(ctx.state, "cols", shape, zero=True)
    copies = ctx.state.get(("im2col", shape))
    if copies is None:  # (destination, source) index pairs, one per tap that sees the image
        copies = []
        for i in range(kh):
            y0, y1, ys = tap_range(h, oh, pt, i * dh, sh)
            for j in range(kw):
                x0, x1, xs = tap_range(wd, ow, pl, j * dw, sw)
                if y1 > y0 and x1 > x0:
                    copies.append(((i, j, slice(None), slice(None), slice(y0, y1),
                                    slice(x0, x1)), (slice(None), slice(None), ys, xs))
                                  if channel_major else
                                  ((slice(None), slice(y0, y1), slice(x0, x1), i, j),
                                   (slice(None), ys, xs)))
        ctx.state[("im2col", shape)] = copies
    src = x.transpose(3, 0, 1, 2) if channel_major else x
    for dst, sel in copies:
        cols[dst] = src[sel]
    k = kh * kw * cin
    if channel_major:
        return cols.reshape(k, n * oh * ow).T @ wm
    return cols.reshape(n * oh * ow, k) @ wm


def _geometry(o: dict, x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> tuple:
    """(path, OH, OW, im2col geometry) for an input shape; path is '1x1', 'tiles' (filter ==
    stride, no padding) or 'im2col'."""
    _, kh, kw, _ = w_shape
    _, h, wd, _ = x_shape
    sh, sw = o["stride_h"], o["stride_w"]
    dh, dw = o["dilation_h_factor"], o["dilation_w_factor"]
    oh, pt, pb = out_size_and_pad(h, kh, sh, dh, o["padding"])
    ow, pl, pr = out_size_and_pad(wd, kw, sw, dw, o["padding"])
    if kh == 1 and kw == 1:
        # A 1x1 filter never needs padding: both paddings give ceil(in / stride) outputs.
        path = "1x1"
    elif (kh, kw) == (sh, sw) and dh == dw == 1 and not (pt or pb or pl or pr):
        path = "tiles"
    else:
        path = "im2col"
    return path, oh, ow, (sh, sw, dh, dw, oh, ow, pt, pl)


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    o = ctx.options
    cout, kh, kw, cin_f = w.shape
    n, cin = x.shape[0], x.shape[3]
    if cin != cin_f:
        if cin % cin_f:
            raise ValueError(f"input has {cin} channels, filter expects a multiple of {cin_f}")
        return _grouped(ctx, x, w, bias, cin // cin_f)
    key = (x.shape, w.shape)
    geo = ctx.state.get(key)
    if geo is None:
        geo = ctx.state[key] = _geometry(o, x.shape, w.shape)
    path, oh, ow, g = geo
    x = np.asarray(x, dtype=np.float32)
    wm = _filter_matrix(ctx, w)
    if path == "1x1":
        xs = x if g[0] == g[1] == 1 else x[:, ::g[0], ::g[1]]
        out = xs.reshape(n * oh * ow, cin) @ wm
    elif path == "tiles":
        # Non-overlapping windows: the columns are a transpose of the (cropped) input.
        cols = scratch(ctx.state, "cols", (n, oh, ow, kh, kw * cin))
        np.copyto(cols, x[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow, kw * cin)
                  .transpose(0, 1, 3, 2, 4))
        out = cols.reshape(n * oh * ow, -1) @ wm
    else:
        out = _im2col_gemm(ctx, x, wm, kh, kw, g)
    # LiteRT turns the fused activation into a clamp (TANH/SIGN_BIT are ignored, NONE still
    # saturates at +-FLT_MAX).
    add_bias_act(ctx, out, bias, o["fused_activation_function"], ow)
    return out.reshape(n, oh, ow, cout)


def run_hybrid(ctx: OpContext, x: np.ndarray, w: np.ndarray,
               bias: np.ndarray | None = None) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid CONV_2D,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.conv_2d(ctx, x, w, bias)


def _grouped(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
             groups: int) -> np.ndarray:
    o = ctx.options
    cout, kh, kw, cin_f = w.shape
    n = x.shape[0]
    cols, oh, ow = patches(x, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h_factor"],
                           o["dilation_w_factor"], o["padding"])
    per = cout // groups
    cols = cols.reshape(n * oh * ow, kh * kw, groups, cin_f)
    out = np.empty((n * oh * ow, cout), dtype=np.float32)
    for g in range(groups):
        wg = w[g * per:(g + 1) * per].reshape(per, -1)
        out[:, g * per:(g + 1) * per] = cols[:, :, g, :].reshape(n * oh * ow, -1) @ wg.T
    if bias is not None:
        out += bias
    out = out.reshape(n, oh, ow, cout)
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
    # One example per run_float path: im2col in NHWC layout (> _CHANNEL_MAJOR_MAX_CIN input
    # channels), filter == stride tiles, strided 1x1, and a batch with a run-time filter.
    # (108-term dot products: BLAS sums them in another order than the reference loop.)
    lambda rng: Example([randn(rng, 2, 7, 6, 12), Const(randn(rng, 5, 3, 3, 12)),
                         Const(randn(rng, 5))], _opts("SAME", (2, 1), act="RELU"),
                        "im2col nhwc", atol=1e-5),
    lambda rng: Example([randn(rng, 2, 9, 8, 3), Const(randn(rng, 4, 2, 2, 3)),
                         Const(randn(rng, 4))], _opts("VALID", (2, 2)), "2x2 stride 2 tiles"),
    lambda rng: Example([randn(rng, 1, 7, 5, 6), Const(randn(rng, 3, 1, 1, 6)),
                         Const(randn(rng, 3))], _opts("SAME", (2, 2), act="RELU6"),
                        "1x1 stride 2"),
    lambda rng: Example([randn(rng, 3, 6, 5, 4), randn(rng, 2, 3, 3, 4), randn(rng, 2)],
                        _opts("SAME", (1, 1)), "runtime filter and bias"),
]
