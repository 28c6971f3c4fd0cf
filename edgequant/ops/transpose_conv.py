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

Integer path (``run_int``, reference_integer_ops::TransposeConv): the same GEMM and scatter on
x - zp_in in float32 or float64, where they are exact (see _intgemm), then per-channel
requantization.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Operator
from . import _hybrid, _intgemm
from ._base import Const, Example, OpContext, randn
from ._conv import derived, out_size_and_pad
from ._nn import bias_type_set, clamp_activation, in_type, out_type
from ._rules import ACT, BIAS, KEEP, WEIGHT, Quant

OP = "TRANSPOSE_CONV"
OPTIONS = "TransposeConvOptions"

# int8 / 16x8 (transpose_conv.cc): inputs are (output_shape, weights, input, bias); weights
# per channel along axis 0.
QUANT = Quant(inputs=(KEEP, WEIGHT, ACT, BIAS), weight_axis=0)


def _geometry(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray
              ) -> tuple[int, ...]:
    """(N, H, W, I, O, KH, KW, OH, OW, SH, SW, pad top, pad left) after Eval's checks."""
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
    return n, h, wd, cin, cout, kh, kw, oh, ow, sh, sw, pt, pl


def _scatter(geo: tuple[int, ...], x: np.ndarray, wm: np.ndarray) -> np.ndarray:
    """[N, OH, OW, O] sums of products (no bias), in the dtype of x and wm: one GEMM
    [N*H*W, I] x [I, KH*KW*O], then the col2im scatter-add, cropped by the padding."""
    n, h, wd, cin, cout, kh, kw, oh, ow, sh, sw, pt, pl = geo
    cols = (x.reshape(-1, cin) @ wm).reshape(n, h, wd, kh, kw, cout)
    full = np.zeros((n, max((h - 1) * sh + kh, pt + oh), max((wd - 1) * sw + kw, pl + ow),
                     cout), dtype=cols.dtype)
    # Taps in reverse, so that each output pixel receives its input pixels in raster order as
    # in the reference scatter loop (which also adds channel by channel; BLAS does not).
    for i in reversed(range(kh)):
        for j in reversed(range(kw)):
            full[:, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += cols[:, :, :, i, j]
    return full[:, pt:pt + oh, pl:pl + ow]


def _weight_matrix(w: np.ndarray, dtype: type) -> np.ndarray:
    cout, kh, kw, cin = w.shape
    return np.ascontiguousarray(w.transpose(3, 1, 2, 0).reshape(cin, kh * kw * cout),
                                dtype=dtype)


def run_float(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray,
              bias: np.ndarray | None = None) -> np.ndarray:
    geo = _geometry(ctx, output_shape, w, x)
    wm = ctx.state.get("wm")
    if wm is None or ctx.state.get("w") is not w:
        wm = _weight_matrix(w, np.float32)
        ctx.state.update(wm=wm, w=w)
    out = _scatter(geo, np.asarray(x, dtype=np.float32), wm)
    if bias is not None:
        out = out + bias
    return clamp_activation(np.ascontiguousarray(out), ctx.options["fused_activation_function"])


def _prepare_int(ctx: OpContext, w: np.ndarray, bias: np.ndarray | None) -> dict:
    """transpose_conv.cc Prepare for int8 / 16x8: checks, per-channel multipliers,
    activation range."""
    op = ctx.op
    wt, xt, out_t = op.inputs[1], op.inputs[2], op.outputs[0]
    bt = op.inputs[3] if len(op.inputs) > 3 and bias is not None else None
    dt = _intgemm.check_types(OP, xt, wt, out_t)
    cout = w.shape[0]
    if bias is not None and bias.size != cout:
        raise ValueError(f"{OP}: bias has {bias.size} elements, weights have {cout} channels")
    if bt is not None:
        _intgemm.bias_zero_point(OP, bt)
    acc = _intgemm.bias_kind(OP, dt, bt, ctx.options)
    s_in, zp_in = _intgemm.act_zero_point(OP, xt, "input", dt)
    s_out, zp_out = _intgemm.act_zero_point(OP, out_t, "output", dt)
    s_w = _intgemm.filter_scales(OP, wt, cout, 0)
    if dt == "int8":
        kind = "fp32" if _intgemm.xnnpack(ctx) else "gemmlowp"
    else:
        kind = "gemmlowp" if acc == "int32" else "reduced"
    act = _intgemm.activation_range(ctx.options["fused_activation_function"], s_out, zp_out, dt)
    qmin, qmax = _intgemm.type_range(dt)
    return {"stage": _intgemm.output_stage(kind, s_in, s_w, s_out, zp_out, act,
                                           32 if acc == "int32" else 64, dt),
            "zp": zp_in, "xmax": max(zp_in - qmin, qmax - zp_in)}


def run_int(ctx: OpContext, output_shape: np.ndarray, w: np.ndarray, x: np.ndarray,
            bias: np.ndarray | None = None) -> np.ndarray:
    """int8 (int32 bias) or 16x8 (int64 bias, or int32 with quantized_bias_type INT32)
    transposed convolution, reference_integer_ops::TransposeConv: each input pixel's
    (x - zp_in) * w scattered into the output (taps falling outside it dropped), plus bias,
    requantized per output channel (gemmlowp double rounding; the 15-bit int64 overload for
    16x8 with an int64 bias), plus zp_out, clamped. The weights' zero point is ignored, as
    LiteRT does. Sums are exact in float (see _intgemm)."""
    p = ctx.state.get("int")
    if p is None:
        p = ctx.state["int"] = _prepare_int(ctx, w, bias)
    geo = _geometry(ctx, output_shape, w, x)
    cout = w.shape[0]
    wsum = derived(ctx, "int_wsum", w, lambda: float(
        np.abs(w.reshape(cout, -1).astype(np.int64)).sum(axis=1).max()))
    bound = wsum * p["xmax"]
    if bound >= 2**24:
        bound = wsum * _intgemm.max_abs_offset(x, p["zp"])
    dtype = _intgemm.gemm_dtype(bound)
    wm = derived(ctx, f"int_wm_{np.dtype(dtype).name}", w, lambda: _weight_matrix(w, dtype))
    acc = _scatter(geo, _intgemm.centered(x, p["zp"], dtype), wm)
    return p["stage"](acc, bias, bound, _intgemm.constant(ctx, bias))


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


def _int(n: int, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int], cin: int,
         cout: int, padding: str, act: str = "NONE", name: str = "", *, dtype: str = "int8",
         per_channel: bool = True, ties: bool = False, bias: bool = True,
         bias32: bool = False) -> Callable[[np.random.Generator], Example]:
    """An integer example (int8, or 16x8 with an int64 bias or an int32 one with
    quantized_bias_type INT32) with random or exact-tie scales."""
    def make(rng: np.random.Generator) -> Example:
        oh, ow = hw
        ih, _, _ = out_size_and_pad(oh, k[0], s[0], 1, padding)
        iw, _, _ = out_size_and_pad(ow, k[1], s[1], 1, padding)
        terms = max(1, k[0] * k[1] * cin // (s[0] * s[1]))
        bdt = None if not bias else "int32" if dtype == "int8" or bias32 else "int64"
        x, w, b, quant = _intgemm.example_gemm(
            rng, (n, ih, iw, cin), (cout, *k, cin), 0, terms, dtype=dtype,
            per_channel=per_channel, ties=ties, bias=bdt, slots=(2, 1, 3),
            typical=_intgemm.CLAMP_TYPICAL.get(act))
        inputs: list = [Const(np.array([n, oh, ow, cout], np.int32)), Const(w), x]
        if bias:
            inputs.append(Const(b))
        opts = {"padding": padding, "stride_h": s[0], "stride_w": s[1],
                "fused_activation_function": act}
        if bias32:
            opts["quantized_bias_type"] = "int32"
        return Example(inputs, opts, name, output_dtypes=[dtype], quant=quant)
    return make


EXAMPLES_INT = [
    _int(1, (8, 8), (3, 3), (2, 2), 4, 3, "SAME", name="int8 per-channel same stride 2"),
    _int(2, (9, 7), (3, 2), (2, 1), 3, 5, "VALID", "RELU", "int8 per-tensor valid relu, batch 2",
         per_channel=False),
    _int(1, (7, 10), (4, 4), (3, 2), 2, 4, "SAME", "RELU6", "int8 same odd padding relu6"),
    _int(1, (6, 6), (3, 3), (1, 1), 5, 2, "SAME", "RELU_N1_TO_1",
         "int8 stride 1 no bias relu_n1_to_1", bias=False),
    _int(1, (5, 5), (2, 2), (1, 1), 2, 3, "SAME", "TANH", "int8 fused TANH ignored"),
    _int(2, (8, 6), (3, 3), (2, 2), 3, 4, "SAME", name="int8 per-channel ties", ties=True),
    _int(1, (7, 7), (2, 2), (2, 2), 2, 3, "VALID", "RELU", "int8 per-tensor ties",
         per_channel=False, ties=True),
    _int(2, (8, 8), (3, 3), (2, 2), 4, 3, "SAME", name="16x8 int64 bias", dtype="int16"),
    _int(1, (7, 6), (3, 3), (2, 1), 3, 2, "VALID", "RELU", "16x8 int32 bias",
         dtype="int16", bias32=True),
    _int(1, (6, 6), (3, 3), (2, 2), 3, 3, "SAME", name="16x8 ties", dtype="int16",
         ties=True),
    _int(1, (6, 5), (2, 2), (1, 1), 2, 3, "SAME", name="16x8 no bias", dtype="int16",
         per_channel=False, bias=False),
]

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
] + EXAMPLES_INT
