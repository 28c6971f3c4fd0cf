"""Quantizing constant weights: int8 symmetric narrow range (per tensor or per axis), float16.

Follows the TFLite converter (shared SPEC_NOTES §3, §5, §6):
* int8 weights: per channel (or per tensor) max|w| with the range extended to include 0, scale
  = max / 127 (narrow range [-127, 127], zero point 0), the values x / scale computed in
  double and rounded half away from zero (``UniformSupport.h`` quantizeF32ToInt8); an all-zero
  channel gets scale 1.0 so kernels' multipliers stay finite.
* float16: values clamped to +-65504 then cast (``convertToFloat16Constant``).
Both produce a new constant Tensor and, for weight-only use, a DEQUANTIZE op that turns it back
into the original float tensor for the consumers.
"""

from __future__ import annotations

import numpy as np

from . import qmath
from .ir import Operator, QuantParams, Subgraph, Tensor

FLOAT16_MAX = 65504.0


def symmetric_int8(w: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales) of ``w``; one scale per slice along ``axis``, or one."""
    w64 = np.asarray(w, dtype=np.float64)
    if axis is None:
        absmax = np.array([np.abs(w64).max() if w64.size else 0.0])
    else:
        moved = np.moveaxis(w64, axis, 0).reshape(w64.shape[axis], -1)
        absmax = np.abs(moved).max(axis=1) if moved.shape[1] else np.zeros(w64.shape[axis])
    scale = qmath.symmetric_scale(absmax, 127)
    q = qmath.quantize(w64, scale, np.zeros_like(scale), -127, 127, axis=axis)
    return q.astype(np.int8), scale.astype(np.float32)


def int8_tensor(t: Tensor, axis: int | None) -> Tensor:
    """A new int8 constant holding ``t``'s float data, quantized symmetrically."""
    assert t.data is not None
    q, scale = symmetric_int8(t.data, axis)
    qp = QuantParams(scale=scale, zero_point=np.zeros(scale.size, np.int64),
                     quantized_dimension=axis if axis is not None else 0)
    return Tensor(name=t.name, shape=t.shape, dtype="int8", data=q, quantization=qp,
                  shape_signature=t.shape_signature)


def float16_tensor(t: Tensor) -> Tensor:
    assert t.data is not None
    data = np.clip(t.data, -FLOAT16_MAX, FLOAT16_MAX).astype(np.float16)
    return Tensor(name=t.name, shape=t.shape, dtype="float16", data=data,
                  shape_signature=t.shape_signature)


def replace_with_dequantized(sg: Subgraph, original: Tensor, stored: Tensor) -> Operator:
    """Feed every reader of constant ``original`` from DEQUANTIZE(``stored``) instead. The
    DEQUANTIZE goes right before the first reader; its output keeps the original name (as the
    converter's does, with a suffix) so reports can map it back."""
    out = Tensor(name=f"{original.name}_dequantized", shape=original.shape, dtype="float32",
                 shape_signature=original.shape_signature)
    op = Operator("DEQUANTIZE", [stored], [out])
    readers = sg.consumers_of(original)
    sg.tensors = [stored if t is original else t for t in sg.tensors]
    sg.insert_before(readers[0], op)
    sg.replace_uses(original, out, skip=op)
    return op
