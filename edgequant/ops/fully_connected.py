"""FULLY_CONNECTED: out = x @ W.T + b with W = [units, depth] (tflite/kernels/fully_connected.cc,
reference_ops::FullyConnected).

The input is flattened to [-1, depth] whatever its rank. The output is [rows, units] unless
``keep_num_dims`` is set, which keeps the input's leading dimensions (and then needs the last
input dimension to equal depth). The bias is optional: a model without one has exactly 2
inputs (or a -1 slot). One float32 GEMM through BLAS, so the summation order differs from the
reference loop by float32 rounding only. Only clamping fused activations (NONE, RELU,
RELU_N1_TO_1, RELU6) pass the float kernel's Prepare; hybrid kernels accept any.

Integer path (``run_int``, reference_integer_ops::FullyConnected / FullyConnectedPerChannel):
one exact float GEMM on x - zp_in (see _intgemm); the reference kernel requantizes in double
(round(acc * s_in * s_w / s_out), ties away), not in fixed point.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Operator
from . import _hybrid, _intgemm
from ._base import Const, Example, OpContext, randn
from ._conv import derived as _derived
from ._nn import (
    bias_type_set,
    clamp_activation,
    fc_output_shape,
    in_type,
    is_hybrid,
    out_type,
    per_channel,
)
from ._rules import ACT, BIAS, WEIGHT, Quant

OP = "FULLY_CONNECTED"
OPTIONS = "FullyConnectedOptions"

_CLAMPS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", 0, 1, 2, 3)


def _check(op: Operator, act_dtype: str) -> str | None:
    o = op.options
    if o.get("fused_activation_function", "NONE") not in _CLAMPS:
        return (f"fused activation {o.get('fused_activation_function')}: the integer kernel "
                f"accepts only NONE, RELU, RELU_N1_TO_1 and RELU6")
    if o.get("weights_format", "DEFAULT") not in ("DEFAULT", 0):
        return "shuffled weights format"
    w = op.inputs[1] if len(op.inputs) > 1 else None
    if w is not None and w.sparsity is not None:
        return "sparse weights"
    return None


# int8 / 16x8 (fully_connected.cc): per-channel weights must be along axis 0.
QUANT = Quant(inputs=(ACT, WEIGHT, BIAS), weight_axis=0, check=_check)


def run_float(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
              ) -> np.ndarray:
    o = ctx.options
    act = o.get("fused_activation_function", "NONE")
    if act not in _CLAMPS:
        raise ValueError(f"fused activation {act} is not supported by the float kernel; use "
                         f"one of {_CLAMPS[:4]}")
    if w.ndim != 2:
        # A sparse constant is held as its packed values (see tflite_io); not densified here.
        raise ValueError(f"weights must be a dense 2-D [units, depth] array, got shape "
                         f"{list(w.shape)}")
    units, depth = w.shape
    shape = fc_output_shape(x, units, depth, o.get("keep_num_dims", False))
    wt = ctx.state.get("wt")
    if wt is None or ctx.state.get("w") is not w:
        wt = np.ascontiguousarray(w.T, dtype=np.float32)
        ctx.state.update(wt=wt, w=w)
    out = np.asarray(x, dtype=np.float32).reshape(-1, depth) @ wt
    if bias is not None:
        out += bias
    return clamp_activation(out.reshape(shape), act)


def run_hybrid(ctx: OpContext, x: np.ndarray, w: np.ndarray,
               bias: np.ndarray | None = None) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid FULLY_CONNECTED,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.fully_connected(ctx, x, w, bias)


def _prepare_int(ctx: OpContext, w: np.ndarray, bias: np.ndarray | None) -> dict:
    """fully_connected.cc Prepare for int8 / 16x8: checks, scales, activation range."""
    op = ctx.op
    xt, wt, out_t = op.inputs[0], op.inputs[1], op.outputs[0]
    bt = op.inputs[2] if len(op.inputs) > 2 and bias is not None else None
    dt = _intgemm.check_types(OP, xt, wt, out_t, w_types=("int8", "int4"))
    act_fn = ctx.options.get("fused_activation_function", "NONE")
    if act_fn not in _CLAMPS:
        raise ValueError(f"{OP}: fused activation {act_fn} is not supported by the integer "
                         f"kernel; use one of {_CLAMPS[:4]}")
    if ctx.options.get("weights_format", "DEFAULT") not in ("DEFAULT", 0):
        raise ValueError(f"{OP}: shuffled weights are a uint8 format; the integer kernel "
                         f"takes DEFAULT")
    units = w.shape[0]
    if bias is not None and bias.size != units:
        raise ValueError(f"{OP}: bias has {bias.size} elements, weights have {units} units")
    if bt is not None:
        _intgemm.bias_zero_point(OP, bt)
    acc = _intgemm.bias_kind(OP, dt, bt, ctx.options)
    s_in, zp_in = _intgemm.act_zero_point(OP, xt, "input", dt)
    s_out, zp_out = _intgemm.act_zero_point(OP, out_t, "output", dt)
    qw = _intgemm.quant(OP, wt, "weights")
    if wt.dtype == "int4" and np.any(qw.zero_point != 0):
        raise ValueError(f"{OP}: int4 weights need zero point 0")
    if qw.per_channel:
        # Per-channel: the filter zero point is never read (the spec says it is 0).
        s_w = _intgemm.filter_scales(OP, wt, units, 0, strict=True)
        zp_w = 0
    else:
        s_w = np.repeat(qw.scale, units)
        zp_w = int(qw.zero_point[0])
        if bt is not None:
            _intgemm.check_bias_scale(OP, s_in, float(qw.scale[0]), bt, s_out)
    if dt == "int8" and _intgemm.xnnpack(ctx):
        kind = "fp32"
    else:  # the reference kernel requantizes in double, per-tensor and per-channel alike
        kind = "double"
    act = _intgemm.activation_range(act_fn, s_out, zp_out, dt)
    qmin, qmax = _intgemm.type_range(dt)
    return {"stage": _intgemm.output_stage(kind, s_in, s_w, s_out, zp_out, act,
                                           32 if acc == "int32" else 64, dt),
            "zp": zp_in, "zp_w": zp_w, "xmax": max(zp_in - qmin, qmax - zp_in)}


def run_int(ctx: OpContext, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None
            ) -> np.ndarray:
    """int8 (int32 bias) or 16x8 (int64 bias, or int32 with quantized_bias_type INT32)
    fully connected, reference_integer_ops::FullyConnected / FullyConnectedPerChannel: per
    row and unit, sum (w - zp_w) * (x - zp_in) (zp_w only for per-tensor weights), plus
    bias, requantized in double: round(acc * s_in * s_w / s_out) ties away, plus zp_out,
    clamped. The bias is optional. One exact float GEMM (see _intgemm)."""
    p = ctx.state.get("int")
    if p is None:
        p = ctx.state["int"] = _prepare_int(ctx, w, bias)
    if w.ndim != 2:
        raise ValueError(f"{OP}: weights must be a dense 2-D [units, depth] array, got shape "
                         f"{list(w.shape)}")
    units, depth = w.shape
    shape = fc_output_shape(x, units, depth, ctx.options.get("keep_num_dims", False))
    zp_w = p["zp_w"]

    wc = _derived(ctx, "int_wc", w, lambda: w.astype(np.int64) - zp_w)
    wsum = _derived(ctx, "int_wsum", w, lambda: float(np.abs(wc).sum(axis=1).max()))
    bound = wsum * p["xmax"]
    if bound >= 2**24:
        bound = wsum * _intgemm.max_abs_offset(x, p["zp"])
    dtype = _intgemm.gemm_dtype(bound)
    wt = _derived(ctx, f"int_wt_{np.dtype(dtype).name}", w,
                  lambda: np.ascontiguousarray(wc.T, dtype=dtype))
    acc = _intgemm.centered(x.reshape(-1, depth), p["zp"], dtype) @ wt
    return p["stage"](acc, bias, bound, _intgemm.constant(ctx, bias)).reshape(shape)


def version(op: Operator) -> int:
    """op_version.cc FULLY_CONNECTED (registered up to 14 in BUILTIN_REF), rules in the
    converter's priority order."""
    o = op.options
    i0, i1, o0 = in_type(op, 0), in_type(op, 1), out_type(op)
    w = op.inputs[1] if len(op.inputs) > 1 else None
    if i1 == "int2":
        return 14
    if i0 == "int16" and i1 == "int4" and o0 == "int16":
        return 13
    if is_hybrid(op) and per_channel(w, 0):
        return 12
    if i0 == "int16" and i1 == "int8" and o0 == "int16" and bias_type_set(o):
        return 11
    if w is not None and w.sparsity is not None:
        return 8
    if i0 == "int16" and i1 == "int16" and o0 == "int16":
        return 7
    # The input list's length, not whether a bias tensor exists: a -1 slot still counts.
    if len(op.inputs) == 2:
        return 6
    if o.get("keep_num_dims", False):
        return 5
    if i0 == "int8" and i1 == "int8" and o0 == "int8":
        return 4
    if i0 == "int8" and i1 == "int4" and o0 == "int8":
        return 10
    if is_hybrid(op):
        return 9 if o.get("asymmetric_quantize_inputs", False) else 3
    if o.get("weights_format", "DEFAULT") not in ("DEFAULT", 0):
        return 2
    return 1


def _opts(act: str = "NONE", keep: bool = False) -> dict:
    return {"fused_activation_function": act, "keep_num_dims": keep}


def _w(rng: np.random.Generator, units: int, depth: int) -> np.ndarray:
    # Scaled like trained weights (1/sqrt(depth)); unit weights make the sums large enough
    # for BLAS-vs-reference summation order to approach atol.
    return randn(rng, units, depth, scale=depth ** -0.5)


def _random_runtime(rng: np.random.Generator) -> Example:
    rows, depth, units = (int(v) for v in rng.integers(1, 33, 3))
    return Example([randn(rng, rows, depth), _w(rng, units, depth), randn(rng, units)],
                   _opts("RELU_N1_TO_1"), "runtime weights, random sizes, relu1")


def _int(x_shape: tuple[int, ...], units: int, opts: dict, name: str, *,
         dtype: str = "int8", per_channel: bool = True, ties: bool = False,
         bias: bool = True, bias32: bool = False, w_zp: int = 0, const_w: bool = True
         ) -> Callable[[np.random.Generator], Example]:
    """An integer example (int8, or 16x8 with an int64 bias or an int32 one with
    quantized_bias_type INT32) with random or exact-tie scales."""
    def make(rng: np.random.Generator) -> Example:
        depth = x_shape[-1]
        bdt = None if not bias else "int32" if dtype == "int8" or bias32 else "int64"
        x, w, b, quant = _intgemm.example_gemm(
            rng, x_shape, (units, depth), 0, depth, dtype=dtype, per_channel=per_channel,
            ties=ties, bias=bdt, typical=_intgemm.CLAMP_TYPICAL.get(
                opts["fused_activation_function"]))
        if w_zp:  # an asymmetric per-tensor filter: the reference kernel subtracts its zp
            w = np.clip(w.astype(np.int32) + w_zp, -128, 127).astype(np.int8)
            quant["in1"] = (quant["in1"][0], w_zp)
        o = dict(opts, quantized_bias_type="int32") if bias32 else opts
        inputs: list = [x, Const(w) if const_w else w] + ([Const(b)] if bias else [])
        return Example(inputs, o, name, quant=quant)
    return make


EXAMPLES_INT = [
    _int((3, 16), 8, _opts(), "int8 per-channel 2-D"),
    _int((4, 20), 6, _opts("RELU"), "int8 per-tensor relu", per_channel=False),
    _int((2, 5, 12), 6, _opts("RELU6", keep=True), "int8 keep_num_dims relu6"),
    _int((1, 2, 2, 6), 4, _opts("RELU_N1_TO_1"), "int8 no bias, flattened 4-D",
         per_channel=False, bias=False),
    _int((5, 24), 7, _opts(), "int8 per-channel ties", ties=True),
    _int((6, 10), 5, _opts("RELU"), "int8 per-tensor ties", per_channel=False, ties=True),
    _int((3, 9), 4, _opts(), "int8 per-tensor filter zero point", per_channel=False, w_zp=5),
    _int((2, 4096), 5, _opts(), "int8 deep (float64 sums)"),
    _int((4, 11), 3, _opts("RELU"), "int8 runtime weights", per_channel=False,
         const_w=False),
    _int((3, 16), 8, _opts(), "16x8 per-channel int64 bias", dtype="int16"),
    _int((2, 3, 10), 6, _opts("RELU", keep=True), "16x8 per-tensor keep_num_dims",
         dtype="int16", per_channel=False),
    _int((4, 12), 5, _opts("RELU6"), "16x8 int32 bias (quantized_bias_type)",
         dtype="int16", bias32=True),
    _int((5, 16), 6, _opts(), "16x8 ties", dtype="int16", ties=True),
    _int((3, 8), 4, _opts(), "16x8 no bias", dtype="int16", bias=False),
]

EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 16), Const(_w(rng, 8, 16)), Const(randn(rng, 8))],
                        _opts(), "2-D with bias"),
    lambda rng: Example([randn(rng, 3, 5, 12), Const(_w(rng, 6, 12)), Const(randn(rng, 6))],
                        _opts("RELU", keep=True), "keep_num_dims relu"),
    lambda rng: Example([randn(rng, 3, 5, 12), Const(_w(rng, 6, 12)), Const(randn(rng, 6))],
                        _opts("RELU6"), "3-D flattened relu6"),
    # Exactly two inputs: no bias slot at all (version 6).
    lambda rng: Example([randn(rng, 1, 2, 2, 6), Const(_w(rng, 4, 12))],
                        _opts(), "no bias, flattened 4-D"),
    _random_runtime,
] + EXAMPLES_INT
