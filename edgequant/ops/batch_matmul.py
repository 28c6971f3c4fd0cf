"""BATCH_MATMUL: lhs @ rhs over the last two axes with NumPy-style broadcasting of the batch
axes (tflite/kernels/batch_matmul.cc, reference/batch_matmul.h). ``adj_x`` / ``adj_y``
transpose the last two axes of lhs / rhs first (no conjugation: real types only). Inputs have
rank 2 to 5; the output rank is the larger input rank.

Integer path (``run_int``, reference_ops::BatchMatMul in batch_matmul.cc): an exact float
matmul of the zero-point-corrected operands (see _intgemm), one per-tensor multiplier."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Operator
from ..qmath import wrap_int32
from . import _hybrid, _intgemm
from ._base import Const, Example, OpContext, randn
from ._nn import in_type, is_hybrid
from ._rules import ACT, Quant

OP = "BATCH_MATMUL"
OPTIONS = "BatchMatMulOptions"

# int8 / int16 (batch_matmul.cc): both operands are activations with per-tensor parameters
# (the kernel reads only the per-tensor scale and zero point); no bias, no activation.
QUANT = Quant(inputs=(ACT, ACT))


def run_float(ctx: OpContext, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    o = ctx.options
    if not (2 <= lhs.ndim <= 5 and 2 <= rhs.ndim <= 5):
        raise ValueError(f"inputs must have rank 2 to 5, got {list(lhs.shape)} and "
                         f"{list(rhs.shape)}")
    if o.get("adj_x", False):
        lhs = np.swapaxes(lhs, -1, -2)
    if o.get("adj_y", False):
        rhs = np.swapaxes(rhs, -1, -2)
    if lhs.shape[-1] != rhs.shape[-2]:
        raise ValueError(f"contraction sizes differ: lhs {list(lhs.shape)}, rhs "
                         f"{list(rhs.shape)} (after adj_x/adj_y)")
    return np.matmul(lhs, rhs, dtype=np.float32)


def run_hybrid(ctx: OpContext, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Dynamic-range kernel (float activations, int8 weights): LiteRT's hybrid BATCH_MATMUL,
    or XNNPACK's scheme under the 'xnnpack' profile (see _hybrid)."""
    return _hybrid.batch_matmul(ctx, lhs, rhs)


def _prepare_int(ctx: OpContext) -> dict:
    """batch_matmul.cc Prepare for int8 / int16: checks, the multiplier."""
    op = ctx.op
    lt, rt, out_t = op.inputs[0], op.inputs[1], op.outputs[0]
    dt = lt.dtype
    ok = {("int8", "int8", "int8"), ("int8", "int8", "int32"), ("int16", "int16", "int16"),
          ("int16", "int8", "int16")}
    if (dt, rt.dtype, out_t.dtype) not in ok:
        raise TypeError(f"{OP}: no integer kernel for {dt} x {rt.dtype} -> {out_t.dtype}; "
                        f"LiteRT has int8 x int8 -> int8 or int32, int16 x int16 or int8 -> "
                        f"int16")
    ql = _intgemm.quant(OP, lt, "lhs")
    qr = _intgemm.quant(OP, rt, "rhs")
    if ql.per_channel or qr.per_channel:
        # The kernel reads the legacy per-tensor parameters, which are 0 for a per-channel
        # tensor: every output would be the output zero point.
        raise ValueError(f"{OP}: the integer kernel takes per-tensor quantization only")
    zl, zr = int(ql.zero_point[0]), int(qr.zero_point[0])
    p = {"zl": zl, "zr": zr, "raw": out_t.dtype == "int32",
         "xl": max(zl + 128, 127 - zl) if dt == "int8" else 32768,
         "xr": max(zr + 128, 127 - zr) if rt.dtype == "int8" else 32768}
    if p["raw"]:
        return p
    qo = _intgemm.quant(OP, out_t, "output")
    zo = int(qo.zero_point[0])
    if dt == "int16" and (zl or zr or zo):
        raise ValueError(f"{OP}: int16 needs zero points of 0 (lhs {zl}, rhs {zr}, output "
                         f"{zo})")
    kind = "gemmlowp" if dt == "int8" else "reduced"
    p["stage"] = _intgemm.output_stage(
        kind, float(ql.scale[0]), qr.scale[:1], float(qo.scale[0]), zo,
        _intgemm.type_range(dt), 32 if dt == "int8" else 64, dt, float32_product=True)
    return p


def run_int(ctx: OpContext, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Quantized batch matmul, reference_ops::BatchMatMul (batch_matmul.cc): sums of
    (lhs - zp_lhs) * (rhs - zp_rhs) over the contraction axis, requantized with one
    multiplier from float32(s_lhs * s_rhs) / s_out (gemmlowp double rounding for int8; the
    15-bit int64 overload for int16, whose accumulator is int64), plus zp_out, clamped to the
    type (no fused activation). int8 x int8 -> int32 returns the raw sums of lhs * rhs
    without zero points, as LiteRT does. Sums are exact in float BLAS (see _intgemm)."""
    p = ctx.state.get("int")
    if p is None:
        p = ctx.state["int"] = _prepare_int(ctx)
    o = ctx.options
    if not (2 <= lhs.ndim <= 5 and 2 <= rhs.ndim <= 5):
        raise ValueError(f"inputs must have rank 2 to 5, got {list(lhs.shape)} and "
                         f"{list(rhs.shape)}")
    if o.get("adj_x", False):
        lhs = np.swapaxes(lhs, -1, -2)
    if o.get("adj_y", False):
        rhs = np.swapaxes(rhs, -1, -2)
    if lhs.shape[-1] != rhs.shape[-2]:
        raise ValueError(f"contraction sizes differ: lhs {list(lhs.shape)}, rhs "
                         f"{list(rhs.shape)} (after adj_x/adj_y)")
    zl, zr = (0, 0) if p["raw"] else (p["zl"], p["zr"])
    k = lhs.shape[-1]
    bound = float(k) * p["xl"] * p["xr"]
    if bound >= 2**24:
        bound = (float(k) * _intgemm.max_abs_offset(lhs, zl)
                 * _intgemm.max_abs_offset(rhs, zr))
    dtype = _intgemm.gemm_dtype(bound)
    acc = np.matmul(_intgemm.centered(lhs, zl, dtype), _intgemm.centered(rhs, zr, dtype))
    if p["raw"]:
        return wrap_int32(acc.astype(np.int64)).astype(np.int32)
    return p["stage"](acc, None, bound)


def version(op: Operator) -> int:
    # op_version.cc: int16 lhs -> 3, int8 -> 2, hybrid with asymmetric inputs -> 4 (a
    # symmetric hybrid stays at 1).
    t = in_type(op, 0)
    if t == "int16":
        return 3
    if t == "int8":
        return 2
    if is_hybrid(op) and op.options.get("asymmetric_quantize_inputs", False):
        return 4
    return 1


def _opts(adj_x: bool = False, adj_y: bool = False) -> dict:
    return {"adj_x": adj_x, "adj_y": adj_y}


def _five_d(rng: np.random.Generator) -> Example:
    k, m, n = (int(v) for v in rng.integers(1, 9, 3))
    return Example([randn(rng, 2, 1, 2, k, m), randn(rng, 2, 3, 1, n, k)],
                   _opts(adj_x=True, adj_y=True), "5-D adj_x adj_y, random sizes")


def _int(l_shape: tuple[int, ...], r_shape: tuple[int, ...], opts: dict, name: str, *,
         dtype: str = "int8", rhs_dtype: str | None = None, ties: bool = False,
         const_rhs: bool = False, raw: bool = False
         ) -> Callable[[np.random.Generator], Example]:
    """An integer example: both operands activations (per-tensor, int8 with random zero
    points or int16 with zero point 0), random or exact-tie scales; ``raw``: int8 x int8
    -> int32 without output quantization."""
    rdt = rhs_dtype or dtype

    def make(rng: np.random.Generator) -> Example:
        k = l_shape[-2] if opts.get("adj_x") else l_shape[-1]
        if ties:
            lhs, s_l, z_l = _intgemm.example_act(rng, l_shape, dtype, small=True, scale=0.25)
            rhs, s_r, z_r = _intgemm.example_act(rng, r_shape, rdt, small=True)
            s_out = 0.125 if dtype == "int8" else 2.0**-6
            s_r = float(rng.choice(_intgemm.TIE_MULTIPLIERS)) * s_out / s_l
        else:
            lhs, s_l, z_l = _intgemm.example_act(rng, l_shape, dtype)
            rhs, s_r, z_r = _intgemm.example_act(rng, r_shape, rdt)
            spread_l = 74.0 if dtype == "int8" else 18000.0
            spread_r = 74.0 if rdt == "int8" else 18000.0
            s_out = _intgemm.example_out_scale(s_l, np.array([s_r]), k, spread_l, spread_r,
                                               dtype)
        if rdt == "int8" and dtype == "int16":  # int16 x int8: symmetric int8 rhs
            rhs = np.clip(rhs.astype(np.int32) - z_r, -127, 127).astype(np.int8)
            z_r = 0
        quant = {"in0": (s_l, z_l), "in1": (s_r, z_r)}
        if not raw:
            quant["out0"] = (s_out, int(rng.integers(-20, 21)) if dtype == "int8" else 0)
        return Example([lhs, Const(rhs) if const_rhs else rhs], opts, name, quant=quant,
                       output_dtypes=["int32" if raw else dtype])
    return make


EXAMPLES_INT = [
    _int((2, 3, 8), (2, 8, 5), _opts(), "int8 3-D"),
    _int((2, 1, 3, 9), (4, 9, 6), _opts(), "int8 broadcast batch axes"),
    _int((3, 12, 4), (12, 5), _opts(adj_x=True), "int8 adj_x, constant 2-D rhs",
         const_rhs=True),
    _int((1, 2, 4, 7), (3, 1, 5, 7), _opts(adj_y=True), "int8 adj_y two-sided broadcast"),
    _int((2, 5, 6), (2, 6, 4), _opts(), "int8 ties", ties=True),
    _int((2, 4, 1500), (1500, 3), _opts(), "int8 deep (float64 sums)"),
    _int((2, 3, 8), (8, 4), _opts(), "int8 x int8 -> int32 raw sums", raw=True),
    _int((2, 1, 2, 5, 3), (2, 3, 1, 4, 5), _opts(adj_x=True, adj_y=True),
         "int16 5-D adj_x adj_y", dtype="int16"),
    _int((3, 4, 10), (10, 6), _opts(), "int16 x int8 rhs", dtype="int16", rhs_dtype="int8"),
    _int((2, 5, 6), (6, 4), _opts(), "int16 ties", dtype="int16", ties=True),
]

EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 3, 4), randn(rng, 2, 4, 5)], _opts(), "3-D"),
    lambda rng: Example([randn(rng, 2, 1, 3, 4), randn(rng, 5, 4, 6)], _opts(),
                        "broadcast batch axes"),
    lambda rng: Example([randn(rng, 3, 6, 4), Const(randn(rng, 6, 5))], _opts(adj_x=True),
                        "adj_x, constant 2-D rhs"),
    lambda rng: Example([randn(rng, 1, 2, 4, 7), randn(rng, 3, 1, 5, 7)], _opts(adj_y=True),
                        "adj_y two-sided broadcast"),
    _five_d,
] + EXAMPLES_INT
