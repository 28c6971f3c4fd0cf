"""DEPTHWISE_CONV_2D: NHWC input, [1, KH, KW, Cin * M] filter; output channel c * M + m reads
input channel c (tflite/kernels/depthwise_conv.cc, reference/depthwiseconv_float.h).

The depth multiplier M comes from the shapes (filter channels / input channels), as in the
kernel's ComputeDepthMultiplier; the ``depth_multiplier`` option is never read. Accumulates tap
by tap in the reference loop's order (filter row, then column) and adds the bias last, so the
result equals the reference kernel's bit for bit (measured; a padded tap adds 0 * w, which
changes nothing but the sign of an all-zero sum). The bias is optional (2 inputs). Fused
activations are clamps only (CalculateActivationRange): a fused TANH is ignored.

Speed (plain NumPy, so the number and shape of array operations is what counts; measured
1.5-4x faster than a padded copy plus broadcast multiply-adds, bit-identical to it):
* The input is copied once into a per-op scratch buffer that holds the zero padding (and one
  spare row) and, for stride s > 1, splits rows and columns into s phases
  ([N, s, s, H/s + 1, W/s, C]). With M > 1 each input channel is repeated M times in that
  copy, so the multiplier costs no broadcasting afterwards. A 1x1 filter reads x in place.
* A tap is then one flat run of OH * WQ * C floats of an image (WQ = the buffer's row width:
  whole rows, whose WQ - OW surplus pixels are garbage and cropped at the end), so every
  multiply and add is on contiguous arrays, and the tap's weights are pre-tiled to match
  (cached, at most _TILE_MAX floats). Broadcasting a [C] weight instead runs NumPy's inner
  loop C elements at a time: 3x slower at C = 8.
* Products go to a scratch buffer and are added in place: two passes per tap, no allocation.
* Small stride-1 convs multiply all taps in one operation on a strided view and sum them in
  one reduction (per-call overhead dominates there).

Integer path (``run_int``, reference_integer_ops::DepthwiseConvPerChannel): the same tap loop
on x - zp_in in float32 or float64, where the sums are exact (see _intgemm), then per-channel
requantization.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import Operator
from . import _hybrid, _intgemm
from ._base import Const, Example, OpContext, randn
from ._conv import SCRATCH_CACHE_BYTES, cached, derived, out_size_and_pad, scratch
from ._nn import add_bias_act, in_type, is_hybrid, out_type, per_channel
from ._rules import ACT, BIAS, WEIGHT, Quant

OP = "DEPTHWISE_CONV_2D"
OPTIONS = "DepthwiseConv2DOptions"


def _check(op: Operator, act_dtype: str) -> str | None:
    """The 16x8 kernel loops over the depth_multiplier option rather than the shapes."""
    x, w = op.inputs[0], op.inputs[1]
    if act_dtype != "int16" or x is None or w is None or len(x.shape) != 4 \
            or len(w.shape) != 4 or x.shape[3] <= 0:
        return None
    if w.shape[3] != x.shape[3] * op.options.get("depth_multiplier", 0):
        return (f"depth_multiplier {op.options.get('depth_multiplier')} does not match the "
                f"shapes ({w.shape[3]} / {x.shape[3]}); LiteRT's 16x8 kernel reads the option")
    return None


# int8 / 16x8 (depthwise_conv.cc): per-channel weights along axis 3; in 16x8 the bias must be
# int64 (Prepare refuses int32, there is no quantized_bias_type option).
QUANT = Quant(inputs=(ACT, WEIGHT, BIAS), weight_axis=3, check=_check)

_REF_MAX = 6

# Up to this many products (N*OH*OW*C*KH*KW) a stride-1 depthwise conv multiplies all taps in
# one operation (see run_float); above it the per-tap loop, which stays in cache, is faster.
_STACK_MAX = 1 << 16
# Largest tiled filter kept per op, in floats: the tile covers as many output rows as fit
# (a larger tile saves NumPy per-row overhead but is re-read from memory on every call).
_TILE_MAX = 1 << 16


def _geometry(x_shape: tuple[int, ...], kh: int, kw: int, cout: int, o: dict[str, Any]
              ) -> dict[str, Any]:
    """Per input shape: output size, the scratch buffer's layout and how to fill it, and
    each tap's offset in a flattened image of that buffer (see run_float)."""
    n, h, w, cin = x_shape
    sh, sw = o["stride_h"], o["stride_w"]
    dh, dw = o["dilation_h_factor"], o["dilation_w_factor"]
    if min(sh, sw, dh, dw) <= 0:
        raise ValueError(f"strides ({sh}, {sw}) and dilations ({dh}, {dw}) must be positive")
    oh, pt, pb = out_size_and_pad(h, kh, sh, dh, o["padding"])
    ow, pl, pr = out_size_and_pad(w, kw, sw, dw, o["padding"])
    if oh == 0 or ow == 0:
        raise ValueError(f"a {kh}x{kw} window (dilation {dh}x{dw}) with {o['padding']} "
                         f"padding gives an empty output for a {h}x{w} input")
    # Padded row p = q * sh + a lives at phase a, row q; tap i reads p = oy * sh + i * dh.
    taps = [((i * dh) % sh, (j * dw) % sw, (i * dh) // sh, (j * dw) // sw)
            for i in range(kh) for j in range(kw)]
    direct = kh == kw == sh == sw == 1 and cout == cin  # a 1x1 filter reads x as it is
    if direct:
        hq, wq, plane = h, w, h * w * cout
    else:
        hq = max(-(-(h + pt + pb) // sh), max(t[2] for t in taps) + oh)
        wq = max(-(-(w + pl + pr) // sw), max(t[3] for t in taps) + ow)
        # One spare row per phase: a tap's flat run may go up to KW-1 pixels past its rows.
        plane = (hq + 1) * wq * cout
    fills = []
    if not direct:
        for a in range(sh):
            y0 = (a - pt) % sh  # first input row in phase a
            ny = len(range(y0, h, sh))
            for b in range(sw):
                x0 = (b - pl) % sw
                nx = len(range(x0, w, sw))
                if ny and nx:
                    q, r = (y0 + pt) // sh, (x0 + pl) // sw
                    fills.append(((slice(None), a, b, slice(q, q + ny), slice(r, r + nx)),
                                  (slice(None), slice(y0, None, sh), slice(x0, None, sw))))
    offsets = [(a * sw + b) * plane + (q * wq + r) * cout for a, b, q, r in taps]
    # The filter tile covers ``rows`` output rows: the most that divide OH and fit _TILE_MAX.
    # (One tap is one multiply: a tile of one row is enough.)
    rows = max([d for d in range(1, oh + 1)
                if oh % d == 0 and len(taps) * d * wq * cout <= _TILE_MAX] or [1]
               ) if len(taps) > 1 else 1
    return {"oh": oh, "ow": ow, "wq": wq, "direct": direct, "offsets": offsets,
            "fills": fills, "buffer": (n, sh, sw, hq + 1, wq, cout), "rows": rows,
            "stack": sh == sw == 1 and not direct
            and 1 < n * oh * ow * cout <= _STACK_MAX // len(taps),
            "step": (dh * wq * cout, dw * cout), "kernel": (kh, kw)}


def _tiled_filter(ctx: OpContext, w: np.ndarray, rows: int, wq: int,
                  dtype: type = np.float32) -> np.ndarray:
    """[KH * KW, rows * WQ * Cout]: each tap's weights repeated along ``rows`` output rows of
    WQ pixels (the buffer's row width, or OW), in ``dtype``."""
    def build() -> np.ndarray:
        _, kh, kw, cout = w.shape
        wt = np.tile(np.asarray(w, dtype).reshape(kh * kw, 1, cout), (1, rows * wq, 1))
        return np.ascontiguousarray(wt.reshape(kh * kw, rows * wq * cout))
    key = "wt" if dtype is np.float32 else f"wt_{np.dtype(dtype).name}"
    return derived(ctx, key, w, build, rows, wq)


def _bind(ctx: OpContext, geo: dict[str, Any], n: int, cin: int, mult: int,
          dtype: type = np.float32) -> dict[str, Any]:
    """Scratch buffers (of ``dtype``) for one input shape and the views into them that every
    call uses (slicing and as_strided cost more than a small tap's arithmetic)."""
    oh, ow, wq, rows, cout = geo["oh"], geo["ow"], geo["wq"], geo["rows"], geo["buffer"][5]
    bound: dict[str, Any] = {"fills": [], "taps": None, "flat": None}
    arrays = []
    if not geo["direct"]:
        # Zeroed once; the fills write the same (in-image) elements on every call.
        buf = scratch(ctx.state, "buffer", geo["buffer"], zero=True, dtype=dtype)
        arrays.append(buf)
        for dst, sel in geo["fills"]:
            part = buf[dst]
            if mult > 1:  # output channel c * M + m reads input channel c: repeat it M times
                part = part.reshape(*part.shape[:-1], cin, mult)
            bound["fills"].append((part, sel if mult == 1 else sel + (Ellipsis, None)))
        bound["flat"] = buf.reshape(n, -1)
    size = oh * wq * cout
    if geo["stack"]:
        flat, row = bound["flat"], ow * cout
        kh, kw = geo["kernel"]
        st, size_ = flat.strides, flat.itemsize
        bound["view"] = np.lib.stride_tricks.as_strided(
            flat, (kh, kw, n, oh, row),
            (geo["step"][0] * size_, geo["step"][1] * size_, st[0], wq * cout * size_, st[1]),
            writeable=False)
        bound["prod"] = scratch(ctx.state, "products", (kh, kw, n, oh, row), dtype=dtype)
        arrays.append(bound["prod"])
    else:
        acc_shape = (n, oh // rows, rows * wq * cout)
        if bound["flat"] is not None:
            bound["taps"] = [bound["flat"][:, off:off + size].reshape(acc_shape)
                             for off in geo["offsets"]]
        bound["wide"] = (None if wq == ow
                         else scratch(ctx.state, "wide", (n, oh, wq, cout), dtype=dtype))
        bound["tmp"] = (scratch(ctx.state, "products", acc_shape, dtype=dtype)
                        if len(geo["offsets"]) > 1 else None)
        arrays += [a for a in (bound["wide"], bound["tmp"]) if a is not None]
    # Keep the views only while ``scratch`` keeps their buffers (not for huge batches).
    bound["keep"] = all(a.nbytes <= SCRATCH_CACHE_BYTES for a in arrays)
    return bound


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    return _depthwise(ctx, np.asarray(x, dtype=np.float32), w, bias,
                      ctx.options["fused_activation_function"])


def _depthwise(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
               act: Any) -> np.ndarray:
    """The convolution in x's float dtype (float32 for the float kernel; float32 or float64
    holding exact integer sums for the integer kernel, with bias None and act 'NONE')."""
    o = ctx.options
    if x.ndim != 4 or w.ndim != 4 or w.shape[0] != 1:
        raise ValueError(f"expected a 4-D input and a [1, KH, KW, C] filter, got "
                         f"{list(x.shape)} and {list(w.shape)}")
    _, kh, kw, cout = w.shape
    n, cin = x.shape[0], x.shape[3]
    if cout % cin:
        raise ValueError(f"filter has {cout} channels, not a multiple of the input's {cin}")
    mult = cout // cin
    dtype = x.dtype.type
    geo = ctx.state.get(x.shape)
    if geo is None:
        geo = ctx.state[x.shape] = _geometry(x.shape, kh, kw, cout, o)
    bound = cached(ctx.state, "bound", (x.shape, x.dtype.str),
                   lambda: _bind(ctx, geo, n, cin, mult, dtype), lambda b: b["keep"])
    oh, ow, wq, rows = geo["oh"], geo["ow"], geo["wq"], geo["rows"]
    for part, sel in bound["fills"]:
        part[...] = x[sel]
    out = np.empty((n, oh, ow, cout), dtype=dtype)
    if geo["stack"]:
        # Small: every tap at once, as one strided [KH, KW, N, OH, OW*C] view of the buffer,
        # one multiply and one sum over the taps. NumPy reduces a leading axis by adding the
        # slices in order, the same float32 additions as the loop (measured bit-identical).
        row = ow * cout
        wt = _tiled_filter(ctx, w, 1, ow, dtype)
        prod = bound["prod"]
        np.multiply(bound["view"], wt.reshape(kh, kw, 1, 1, row), out=prod)
        np.add.reduce(prod.reshape(kh * kw, n, oh, row), axis=0, out=out.reshape(n, oh, row))
        return add_bias_act(ctx, out.reshape(n * oh * ow, cout), bias, act, ow).reshape(
            out.shape)
    # Each tap is a flat run of OH * WQ * C floats of one image: whole buffer rows, so the
    # columns past OW are garbage (cropped below) but every operand is contiguous, which
    # NumPy's loops take without the iterator's per-row overhead.
    wt = _tiled_filter(ctx, w, rows, wq, dtype)
    wide = bound["wide"] if bound["wide"] is not None else out
    acc = wide.reshape(n, oh // rows, -1)
    taps = bound["taps"]
    if taps is None:  # a 1x1 filter reading x in place
        taps = [x.reshape(acc.shape)]
    tmp = bound["tmp"]
    np.multiply(taps[0], wt[0], out=acc)
    for t in range(1, len(taps)):
        np.multiply(taps[t], wt[t], out=tmp)
        np.add(acc, tmp, out=acc)
    if wide is not out:
        # Crop the garbage columns, adding the bias on the way when there is one.
        crop = wide[:, :, :ow].reshape(n, oh, ow * cout)
        dst = out.reshape(n, oh, ow * cout)
        if bias is None:
            np.copyto(dst, crop)
        else:
            np.add(crop, derived(ctx, "bias_tile", bias, lambda: np.tile(
                np.asarray(bias, np.float32).reshape(-1), ow), ow), out=dst)
            bias = None
    add_bias_act(ctx, out.reshape(n * oh * ow, cout), bias, act, ow)
    return out


def run_hybrid(ctx: OpContext, x: np.ndarray, w: np.ndarray,
               bias: np.ndarray | None = None) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 per-channel weights): LiteRT's hybrid
    DEPTHWISE_CONV_2D (XNNPACK does not take it; see _hybrid)."""
    return _hybrid.depthwise_conv_2d(ctx, x, w, bias)


def _prepare_int(ctx: OpContext, w: np.ndarray, bias: np.ndarray | None) -> dict:
    """depthwise_conv.cc Prepare for int8 / 16x8: checks, per-channel multipliers,
    activation range."""
    op = ctx.op
    xt, wt, out_t = op.inputs[0], op.inputs[1], op.outputs[0]
    bt = op.inputs[2] if len(op.inputs) > 2 else None
    dt = _intgemm.check_types(OP, xt, wt, out_t,
                              w_types=("int8", "int4") if xt.dtype == "int8" else ("int8",))
    cout = w.shape[3]
    if bias is not None and bias.size != cout:
        raise ValueError(f"{OP}: bias has {bias.size} elements, filter has {cout} channels")
    if bt is not None and bias is not None:
        _intgemm.bias_zero_point(OP, bt)
    # 16x8 needs an int64 bias, whatever quantized_bias_type says (there is no such option).
    acc = _intgemm.bias_kind(OP, dt, bt if bias is not None else None, {},
                             int16_bias32=False)
    s_in, zp_in = _intgemm.act_zero_point(OP, xt, "input", dt)
    s_out, zp_out = _intgemm.act_zero_point(OP, out_t, "output", dt)
    s_w = _intgemm.filter_scales(OP, wt, cout, 3)
    if dt == "int8":
        kind = "fp32" if _intgemm.xnnpack(ctx) else "gemmlowp"
    else:
        kind = "reduced"
    act = _intgemm.activation_range(ctx.options["fused_activation_function"], s_out, zp_out, dt)
    qmin, qmax = _intgemm.type_range(dt)
    return {"stage": _intgemm.output_stage(kind, s_in, s_w, s_out, zp_out, act,
                                           32 if acc == "int32" else 64, dt),
            "zp": zp_in, "xmax": max(zp_in - qmin, qmax - zp_in), "dtype": dt}


def run_int(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
            ) -> np.ndarray:
    """int8 (int32 bias) or 16x8 (int64 bias) depthwise convolution,
    reference_integer_ops::DepthwiseConvPerChannel: per output channel c * M + m, the sum of
    w * (x - zp_in) over the in-image taps of input channel c (padding pads with the input
    zero point), plus bias, requantized per channel (gemmlowp double rounding; the 15-bit
    int64 overload for 16x8), plus zp_out, clamped. The filter's zero point is ignored, as
    LiteRT does. The taps are summed exactly by the float kernel's code (see _intgemm)."""
    p = ctx.state.get("int")
    if p is None:
        p = ctx.state["int"] = _prepare_int(ctx, w, bias)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"{OP}: expected a 4-D input and filter")
    cout = w.shape[3]
    if p["dtype"] == "int16" and cout != x.shape[3] * ctx.options.get("depth_multiplier", 0):
        # The 16x8 kernel loops over the depth_multiplier option, not the shapes' ratio.
        raise ValueError(f"{OP}: 16x8 needs depth_multiplier = filter channels / input "
                         f"channels = {cout // max(x.shape[3], 1)}, got "
                         f"{ctx.options.get('depth_multiplier')}")
    wsum = derived(ctx, "int_wsum", w, lambda: float(
        np.abs(w.reshape(-1, cout).astype(np.int64)).sum(axis=0).max()))
    bound = wsum * p["xmax"]
    if bound >= 2**24:
        bound = wsum * _intgemm.max_abs_offset(x, p["zp"])
    xc = _intgemm.centered(x, p["zp"], _intgemm.gemm_dtype(bound))
    acc = _depthwise(ctx, xc, w, None, "NONE")
    return p["stage"](acc, bias, bound, _intgemm.constant(ctx, bias))


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


def _int(x_shape: tuple[int, ...], k: tuple[int, int], mult: int, opts: dict, name: str, *,
         dtype: str = "int8", per_channel: bool = True, ties: bool = False,
         bias: bool = True) -> Callable[[np.random.Generator], Example]:
    """An integer example (int8, or 16x8 with an int64 bias) with random or exact-tie
    scales; ``mult``: the depth multiplier."""
    def make(rng: np.random.Generator) -> Example:
        cout = x_shape[3] * mult
        x, w, b, quant = _intgemm.example_gemm(
            rng, x_shape, (1, *k, cout), 3, k[0] * k[1], dtype=dtype, per_channel=per_channel,
            ties=ties, bias=None if not bias else "int32" if dtype == "int8" else "int64",
            typical=_intgemm.CLAMP_TYPICAL.get(opts["fused_activation_function"]))
        inputs: list = [x, Const(w)] + ([Const(b)] if bias else [])
        return Example(inputs, dict(opts, depth_multiplier=mult), name, quant=quant)
    return make


EXAMPLES_INT = [
    _int((2, 8, 7, 4), (3, 3), 1, _opts(), "int8 per-channel 3x3 same, batch 2"),
    _int((1, 9, 7, 3), (3, 2), 2, _opts("VALID", (2, 1), act="RELU"),
         "int8 per-tensor valid stride multiplier 2 relu", per_channel=False),
    _int((1, 10, 10, 2), (3, 3), 3, _opts("SAME", (2, 2), act="RELU6"),
         "int8 same stride 2 multiplier 3 relu6"),
    _int((1, 11, 9, 3), (3, 3), 1, _opts("SAME", (1, 1), (2, 3), act="RELU_N1_TO_1"),
         "int8 dilated relu_n1_to_1"),
    _int((1, 9, 8, 5), (5, 5), 1, _opts("VALID", (1, 2), act="TANH"),
         "int8 no bias, fused TANH ignored", bias=False),
    _int((2, 24, 20, 16), (3, 3), 1, _opts("SAME", act="RELU6"), "int8 large, tap loop"),
    _int((1, 31, 30, 8), (3, 3), 1, _opts("SAME", (2, 2)), "int8 stride 2, tap loop"),
    _int((2, 5, 6, 6), (1, 1), 1, _opts("VALID"), "int8 1x1"),
    _int((2, 6, 5, 3), (3, 3), 2, _opts("SAME"), "int8 ties, zp padding, multiplier 2",
         ties=True),
    _int((1, 7, 6, 4), (3, 3), 1, _opts("SAME", (2, 2), act="RELU"), "int8 per-tensor ties",
         per_channel=False, ties=True),
    _int((2, 7, 6, 4), (3, 3), 1, _opts("SAME", (2, 1)), "16x8", dtype="int16"),
    _int((1, 8, 7, 3), (3, 3), 2, _opts("VALID", (1, 1), (2, 1), act="RELU6"),
         "16x8 multiplier 2 dilated relu6", dtype="int16"),
    _int((1, 6, 6, 4), (3, 3), 1, _opts("SAME"), "16x8 ties", dtype="int16", ties=True),
    _int((1, 6, 5, 2), (2, 2), 2, _opts("SAME", act="RELU"), "16x8 no bias, per-tensor",
         dtype="int16", per_channel=False, bias=False),
]

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
    # The per-tap loop (above _STACK_MAX products) with stride 1 and 2, and 1x1 filters.
    lambda rng: Example([randn(rng, 2, 24, 20, 16), Const(randn(rng, 1, 3, 3, 16)),
                         Const(randn(rng, 16))], _opts("SAME", act="RELU6"), "large, tap loop"),
    lambda rng: Example([randn(rng, 1, 31, 30, 8), Const(randn(rng, 1, 3, 3, 8)),
                         Const(randn(rng, 8))], _opts("SAME", (2, 2)), "stride 2, tap loop"),
    lambda rng: Example([randn(rng, 2, 5, 6, 6), Const(randn(rng, 1, 1, 1, 6)),
                         Const(randn(rng, 6))], _opts("VALID"), "1x1"),
    lambda rng: Example([randn(rng, 1, 5, 6, 3), Const(randn(rng, 1, 1, 1, 6))],
                        _opts("SAME", (2, 2), mult=2), "1x1 stride 2 multiplier 2"),
] + EXAMPLES_INT
