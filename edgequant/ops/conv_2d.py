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

Integer path (``run_int``, reference_integer_ops::ConvPerChannel): the same GEMMs on x - zp_in
in float32 or float64, where they are exact (see _intgemm), then per-channel requantization.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Operator
from . import _hybrid, _intgemm
from ._base import Const, Example, OpContext, randn
from ._conv import derived, out_size_and_pad, patches, scratch, tap_range
from ._nn import (
    add_bias_act,
    bias_type_set,
    clamp_activation,
    in_type,
    is_hybrid,
    out_type,
    per_channel,
)
from ._rules import ACT, BIAS, WEIGHT, Quant

OP = "CONV_2D"
OPTIONS = "Conv2DOptions"

# int8 / 16x8 (conv.cc): per-channel weights along the output channels (axis 0) and a bias
# with scale s_in * s_w[c].
QUANT = Quant(inputs=(ACT, WEIGHT, BIAS), weight_axis=0)

# Up to this many input channels im2col writes channel-major columns (see the docstring);
# measured on 3x3 convs (stride 1 and 2) with 1-32 input channels.
_CHANNEL_MAJOR_MAX_CIN = 8


def _filter_matrix(ctx: OpContext, w: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """[KH*KW*I, O]: rows in (tap row, tap column, channel) order, cached for a constant."""
    key = "wm" if dtype is np.float32 else f"wm_{np.dtype(dtype).name}"
    return derived(ctx, key, w, lambda: np.ascontiguousarray(w.reshape(w.shape[0], -1).T,
                                                           dtype=dtype))


def _im2col_gemm(ctx: OpContext, x: np.ndarray, wm: np.ndarray, kh: int, kw: int,
                 geo: tuple[int, ...]) -> np.ndarray:
    """[N*OH*OW, O] = columns @ wm, building the columns without a padded input copy."""
    n, h, wd, cin = x.shape
    sh, sw, dh, dw, oh, ow, pt, pl = geo
    channel_major = cin <= _CHANNEL_MAJOR_MAX_CIN
    shape = (kh, kw, cin, n, oh, ow) if channel_major else (n, oh, ow, kh, kw, cin)
    # Zeroed once: the out-of-image entries of each tap are never written, so they stay 0.
    cols = scratch(ctx.state, "cols", shape, zero=True, dtype=x.dtype)
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


def _gemm(ctx: OpContext, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(out, OH, OW): the [N*OH*OW, O] sums of products of an ungrouped convolution, in
    x's float dtype (float32 for the float kernel; float32 or float64 holding exact integer
    sums for the integer kernel), without bias or activation. Out-of-image taps add 0."""
    _, kh, kw, _ = w.shape
    n, cin = x.shape[0], x.shape[3]
    key = (x.shape, w.shape)
    geo = ctx.state.get(key)
    if geo is None:
        geo = ctx.state[key] = _geometry(ctx.options, x.shape, w.shape)
    path, oh, ow, g = geo
    wm = _filter_matrix(ctx, w, x.dtype.type)
    if path == "1x1":
        xs = x if g[0] == g[1] == 1 else x[:, ::g[0], ::g[1]]
        out = xs.reshape(n * oh * ow, cin) @ wm
    elif path == "tiles":
        # Non-overlapping windows: the columns are a transpose of the (cropped) input.
        cols = scratch(ctx.state, "cols", (n, oh, ow, kh, kw * cin), dtype=x.dtype)
        np.copyto(cols, x[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow, kw * cin)
                  .transpose(0, 1, 3, 2, 4))
        out = cols.reshape(n * oh * ow, -1) @ wm
    else:
        out = _im2col_gemm(ctx, x, wm, kh, kw, g)
    return out, oh, ow


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    o = ctx.options
    cout, _, _, cin_f = w.shape
    n, cin = x.shape[0], x.shape[3]
    if cin != cin_f:
        if cin % cin_f:
            raise ValueError(f"input has {cin} channels, filter expects a multiple of {cin_f}")
        return _grouped(ctx, x, w, bias, cin // cin_f)
    out, oh, ow = _gemm(ctx, np.asarray(x, dtype=np.float32), w)
    # LiteRT turns the fused activation into a clamp (TANH/SIGN_BIT are ignored, NONE still
    # saturates at +-FLT_MAX).
    add_bias_act(ctx, out, bias, o["fused_activation_function"], ow)
    return out.reshape(n, oh, ow, cout)


def run_hybrid(ctx: OpContext, x: np.ndarray, w: np.ndarray,
               bias: np.ndarray | None = None) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid CONV_2D,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.conv_2d(ctx, x, w, bias)


def _grouped_gemm(x: np.ndarray, w: np.ndarray, groups: int, o: dict
                  ) -> tuple[np.ndarray, int, int]:
    """(out, OH, OW): _gemm for a grouped convolution (one GEMM per group), in x's dtype."""
    cout, kh, kw, cin_f = w.shape
    n = x.shape[0]
    cols, oh, ow = patches(x, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h_factor"],
                           o["dilation_w_factor"], o["padding"])
    per = cout // groups
    cols = cols.reshape(n * oh * ow, kh * kw, groups, cin_f)
    out = np.empty((n * oh * ow, cout), dtype=x.dtype)
    for g in range(groups):
        wg = np.asarray(w[g * per:(g + 1) * per].reshape(per, -1), dtype=x.dtype)
        out[:, g * per:(g + 1) * per] = cols[:, :, g, :].reshape(n * oh * ow, -1) @ wg.T
    return out, oh, ow


def _grouped(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
             groups: int) -> np.ndarray:
    o = ctx.options
    out, oh, ow = _grouped_gemm(np.asarray(x, dtype=np.float32), w, groups, o)
    if bias is not None:
        out += bias
    out = out.reshape(x.shape[0], oh, ow, w.shape[0])
    return clamp_activation(out, o["fused_activation_function"])


def _prepare_int(ctx: OpContext, w: np.ndarray, bias: np.ndarray | None) -> dict:
    """conv.cc Prepare for int8 / 16x8: checks, per-channel multipliers, activation range."""
    op = ctx.op
    xt, wt, out_t = op.inputs[0], op.inputs[1], op.outputs[0]
    bt = op.inputs[2] if len(op.inputs) > 2 else None
    dt = _intgemm.check_types(OP, xt, wt, out_t, w_types=("int8", "int4"))
    if bias is None or bt is None:
        raise ValueError(f"{OP}: the integer kernel needs a bias input (conv.cc requires it)")
    cout = w.shape[0]
    if bias.size != cout:
        raise ValueError(f"{OP}: bias has {bias.size} elements, filter has {cout} channels")
    qw = _intgemm.quant(OP, wt, "weights")
    if np.any(qw.zero_point != 0):
        raise ValueError(f"{OP}: filter zero points must be 0 (conv.cc)")
    _intgemm.bias_zero_point(OP, bt)
    s_in, zp_in = _intgemm.act_zero_point(OP, xt, "input", dt)
    s_out, zp_out = _intgemm.act_zero_point(OP, out_t, "output", dt)
    s_w = _intgemm.filter_scales(OP, wt, cout, 0)
    acc = _intgemm.bias_kind(OP, dt, bt, ctx.options)
    if dt == "int8":
        kind = "fp32" if _intgemm.xnnpack(ctx) else "gemmlowp"
    else:  # XNNPACK does not take 16x8 convolutions
        kind = "gemmlowp" if acc == "int32" else "reduced"
    act = _intgemm.activation_range(ctx.options["fused_activation_function"], s_out, zp_out, dt)
    qmin, qmax = _intgemm.type_range(dt)
    return {"stage": _intgemm.output_stage(kind, s_in, s_w, s_out, zp_out, act,
                                           32 if acc == "int32" else 64, dt),
            "zp": zp_in, "xmax": max(zp_in - qmin, qmax - zp_in)}


def run_int(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
            ) -> np.ndarray:
    """int8 (int8 or int4 weights, int32 bias) or 16x8 (int64 bias, or int32 with
    quantized_bias_type INT32) convolution, reference_integer_ops::ConvPerChannel: sums of
    w * (x - zp_in) over the in-image taps (padding contributes nothing, i.e. pads with the
    input zero point), plus bias, requantized per output channel (gemmlowp double rounding;
    the 15-bit int64 overload for 16x8 with an int64 bias), plus zp_out, clamped to the
    fused activation's range. The sums are exact float BLAS GEMMs (see _intgemm)."""
    p = ctx.state.get("int")
    if p is None:
        p = ctx.state["int"] = _prepare_int(ctx, w, bias)
    cout, _, _, cin_f = w.shape
    n, cin = x.shape[0], x.shape[3]
    if cin % cin_f:
        raise ValueError(f"{OP}: input has {cin} channels, filter expects a multiple of {cin_f}")
    wsum = derived(ctx, "int_wsum", w, lambda: float(
        np.abs(w.reshape(cout, -1).astype(np.int64)).sum(axis=1).max()))
    bound = wsum * p["xmax"]
    if bound >= 2**24:  # float32 is not exact for every input: look at this one
        bound = wsum * _intgemm.max_abs_offset(x, p["zp"])
    xc = _intgemm.centered(x, p["zp"], _intgemm.gemm_dtype(bound))
    if cin != cin_f:
        acc, oh, ow = _grouped_gemm(xc, w, cin // cin_f, ctx.options)
    else:
        acc, oh, ow = _gemm(ctx, xc, w)
    return p["stage"](acc, bias, bound, _intgemm.constant(ctx, bias)).reshape(n, oh, ow, cout)


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


def _int(x_shape: tuple[int, ...], w_shape: tuple[int, ...], opts: dict, name: str, *,
         dtype: str = "int8", per_channel: bool = True, ties: bool = False,
         bias32: bool = False) -> Callable[[np.random.Generator], Example]:
    """An integer example: int8 (or 16x8 with an int64 bias, or an int32 one with
    quantized_bias_type INT32) with random or exact-tie scales."""
    def make(rng: np.random.Generator) -> Example:
        bias = "int32" if dtype == "int8" or bias32 else "int64"
        x, w, b, quant = _intgemm.example_gemm(
            rng, x_shape, w_shape, 0, int(np.prod(w_shape[1:])), dtype=dtype,
            per_channel=per_channel, ties=ties, bias=bias,
            typical=_intgemm.CLAMP_TYPICAL.get(opts["fused_activation_function"]))
        o = dict(opts, quantized_bias_type="int32") if bias32 else opts
        return Example([x, Const(w), Const(b)], o, name, quant=quant)
    return make


EXAMPLES_INT = [
    _int((2, 8, 7, 3), (4, 3, 3, 3), _opts(), "int8 per-channel 3x3 same, batch 2"),
    _int((1, 9, 7, 2), (5, 3, 2, 2), _opts("VALID", (2, 1), act="RELU"),
         "int8 per-tensor valid stride relu", per_channel=False),
    _int((1, 10, 10, 4), (3, 3, 3, 4), _opts("SAME", (2, 2), act="RELU6"),
         "int8 same stride 2 relu6"),
    _int((1, 11, 9, 2), (4, 3, 3, 2), _opts("SAME", (1, 1), (2, 2), "RELU_N1_TO_1"),
         "int8 dilated relu_n1_to_1"),
    _int((2, 7, 5, 6), (8, 1, 1, 6), _opts("SAME", (2, 2)), "int8 1x1 stride 2"),
    _int((1, 9, 8, 3), (4, 2, 2, 3), _opts("VALID", (2, 2), act="TANH"),
         "int8 tiles, fused TANH ignored"),
    _int((1, 7, 6, 12), (5, 3, 3, 12), _opts("SAME", (2, 1)), "int8 im2col nhwc"),
    _int((1, 6, 6, 4), (6, 3, 3, 2), _opts(act="RELU"), "int8 grouped"),
    _int((2, 6, 5, 3), (4, 3, 3, 3), _opts("SAME"), "int8 per-channel ties, zp padding",
         ties=True),
    _int((1, 5, 6, 2), (3, 2, 3, 2), _opts("SAME", (1, 2), act="RELU"),
         "int8 per-tensor ties", per_channel=False, ties=True),
    _int((2, 7, 6, 3), (4, 3, 3, 3), _opts("SAME", (2, 1)), "16x8 int64 bias",
         dtype="int16"),
    _int((1, 6, 7, 5), (3, 3, 3, 5), _opts("VALID", act="RELU6"),
         "16x8 int32 bias (quantized_bias_type)", dtype="int16", bias32=True),
    _int((1, 6, 6, 3), (4, 3, 3, 3), _opts("SAME", (1, 1), (2, 1)), "16x8 ties int64 bias",
         dtype="int16", ties=True),
    _int((1, 6, 6, 3), (4, 3, 3, 3), _opts("SAME", act="RELU"), "16x8 ties int32 bias",
         dtype="int16", ties=True, bias32=True),
    _int((1, 5, 5, 4), (4, 3, 3, 2), _opts("VALID"), "16x8 grouped", dtype="int16",
         per_channel=False),
]

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
] + EXAMPLES_INT
