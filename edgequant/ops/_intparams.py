"""Prepare-time plumbing shared by the integer (int8 / 16x8) kernels: the checks LiteRT's
Prepare functions make on types and quantization, and the parameters they derive.

* ``per_tensor``: ``params.scale`` / ``params.zero_point``, which LiteRT's activation and
  elementwise kernels read (per-tensor only).
* ``io_types`` / ``check_types`` / ``require_zero_points``: the type and int16 zero-point
  checks (``TF_LITE_ENSURE_TYPES_EQ``, ``TF_LITE_ENSURE_EQ(zero_point, 0)`` in
  tflite/kernels/activations.cc, add.cc, sub.cc, mul.cc, elementwise.cc, exp.cc).
* ``multiplier_below_one``: ``QuantizeMultiplierSmallerThanOneExp``
  (tflite/kernels/internal/quantization_util.cc), whose TFLITE_CHECK aborts the LiteRT
  process: we raise ValueError instead.
* ``checked_log2``: ``CheckedLog2`` (tflite/kernels/kernel_util.h), in float32 with the C
  library's ``logf``.
* ``cached``: Prepare-time values computed once per op (``ctx.state``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .. import libm
from ..qmath import quantize_multiplier, round_half_away
from ._base import OpContext
from ._elementwise import same_type
from ._quant import tensor_quant

if TYPE_CHECKING:
    from ..ir import Tensor

QUANT_TYPES = ("int8", "int16")
T = TypeVar("T")


def per_tensor(t: Tensor, op: str, what: str) -> tuple[np.float32, int]:
    """(float32 scale, zero point) of a per-tensor quantized tensor."""
    q = tensor_quant(t, f"{op} {what}")
    if q.scale.size != 1:
        raise ValueError(f"{op}: {what} {t.name!r} must be quantized per tensor, got "
                         f"{q.scale.size} scales")
    return np.float32(q.scale[0]), int(q.zero_point[0])


def require_zero_points(op: str, zps: dict[str, int]) -> None:
    """LiteRT's int16 kernels require symmetric tensors."""
    bad = {k: v for k, v in zps.items() if v != 0}
    if bad:
        raise ValueError(f"{op}: int16 tensors need zero point 0, got "
                         + ", ".join(f"{k} {v}" for k, v in bad.items()))


def io_params(ctx: OpContext, op: str, dtype: str, int16_zero_points: bool = True
              ) -> tuple[np.float32, int, np.float32, int]:
    """(s_in, zp_in, s_out, zp_out) of a single-input op; for int16 both zero points must be
    0 unless ``int16_zero_points`` is False."""
    s_in, zp_in = per_tensor(ctx.op.inputs[0], op, "input")
    s_out, zp_out = per_tensor(ctx.op.outputs[0], op, "output")
    if dtype == "int16" and int16_zero_points:
        require_zero_points(op, {"input": zp_in, "output": zp_out})
    return s_in, zp_in, s_out, zp_out


def io_types(ctx: OpContext, op: str, allowed: tuple[str, ...], same: bool = True
             ) -> tuple[str, str]:
    """(input dtype, output dtype) of a quantized activation, checked against ``allowed``
    (and equal to each other unless ``same`` is False)."""
    t_in, t_out = ctx.op.inputs[0].dtype, ctx.op.outputs[0].dtype
    if t_in not in allowed:
        raise TypeError(f"{op}: LiteRT's integer kernel takes {' or '.join(allowed)} input, "
                        f"got {t_in}")
    if same and t_out != t_in:
        raise TypeError(f"{op}: output type {t_out} must equal the input type {t_in}")
    return t_in, t_out


def check_types(ctx: OpContext, *xs: np.ndarray, allowed: tuple[str, ...] = QUANT_TYPES,
                out: bool = True) -> str:
    """The input arrays' common dtype name, which must be in ``allowed`` (and equal the
    output's)."""
    op = ctx.op.type
    if len(xs) > 1:
        same_type(op, *xs)
    name = xs[0].dtype.name
    if name not in allowed:
        raise TypeError(f"{op}: no integer kernel for {name} inputs (LiteRT's reference "
                        f"kernels take {', '.join(allowed)})")
    if out and ctx.op.outputs[0].dtype != name:
        raise TypeError(f"{op}: output type {ctx.op.outputs[0].dtype} differs from input "
                        f"type {name}")
    return name


def cached(ctx: OpContext, build: Callable[[], T], key: Hashable = "int") -> T:
    """Prepare-time values of an integer kernel, computed once per op and ``key`` (the
    quantization of an op's tensors does not change between invokes)."""
    st = ctx.state.get(key)
    if st is None:
        st = ctx.state[key] = build()
    return st


def multiplier_below_one(op: str, m: float, what: str) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp; LiteRT aborts unless 0 < m < 1."""
    if not 0.0 < m < 1.0:
        raise ValueError(f"{op}: {what} multiplier {m!r} is outside (0, 1); LiteRT's "
                         "QuantizeMultiplierSmallerThanOneExp aborts the process on it")
    return quantize_multiplier(m)


def checked_log2(x: float) -> tuple[bool, int]:
    """CheckedLog2 in float32: (a power of two within 1e-3 in log2, the rounded log2)."""
    f32 = np.float32
    logs = libm.logf(np.array([x, 2.0], dtype=f32))
    x_log2 = logs[0] * (f32(1) / logs[1])
    rounded = f32(round_half_away(x_log2))
    return bool(abs(x_log2 - rounded) < f32(1e-3)), int(rounded)
