"""FULLY_CONNECTED: out = x @ W.T + b with W = [units, depth] (tflite/kernels/fully_connected.cc,
reference_ops::FullyConnected).

The input is flattened to [-1, depth] whatever its rank. The output is [rows, units] unless
``keep_num_dims`` is set, which keeps the input's leading dimensions (and then needs the last
input dimension to equal depth). The bias is optional: a model without one has exactly 2
inputs (or a -1 slot). One float32 GEMM through BLAS, so the summation order differs from the
reference loop by float32 rounding only. Only clamping fused activations (NONE, RELU,
RELU_N1_TO_1, RELU6) pass the float kernel's Prepare; hybrid kernels accept any.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from . import _hybrid
from ._base import Const, Example, OpContext, randn
from ._nn import (bias_type_set, clamp_activation, fc_output_shape, in_type, is_hybrid,
                  out_type, per_channel)

OP = "FULLY_CONNECTED"
OPTIONS = "FullyConnectedOptions"

_CLAMPS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", 0, 1, 2, 3)


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
]
