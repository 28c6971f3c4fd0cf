"""How QUANTIZE, DEQUANTIZE and integer kernels read a tensor's quantization: type ranges,
per-axis parameters, and unpacking of sub-byte types. The arithmetic itself (rounding,
QuantizeMultiplier, gemmlowp double rounding) lives in ``edgequant.qmath``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

@dataclass
class TensorQuant:
    """A tensor's affine quantization as the kernels read it."""

    scale: np.ndarray  # float32, one per channel
    zero_point: np.ndarray  # int64, same length as scale
    axis: int

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def broadcast(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        """(scale, zero_point) shaped to broadcast against a tensor of rank ``ndim``."""
        if not self.per_channel:
            return self.scale.reshape(()), self.zero_point.reshape(())
        shape = [1] * ndim
        shape[self.axis] = self.scale.size
        return self.scale.reshape(shape), self.zero_point.reshape(shape)


def tensor_quant(t: Any, what: str) -> TensorQuant:
    """The affine quantization of ir.Tensor ``t``; raises if it has none."""
    q = getattr(t, "quantization", None)
    if q is None or q.scale is None or q.scale.size == 0:
        raise ValueError(f"{what} {getattr(t, 'name', '?')!r} has no quantization scale")
    scale = np.asarray(q.scale, dtype=np.float32).ravel()
    zp = (np.zeros(1, np.int64) if q.zero_point is None or q.zero_point.size == 0
          else np.asarray(q.zero_point, dtype=np.int64).ravel())
    if zp.size != scale.size:
        # LiteRT repeats the first zero point when the counts differ (dequantize.cc).
        zp = np.full(scale.shape, zp[0], np.int64)
    return TensorQuant(scale, zp, int(q.quantized_dimension))


def unpack_low_bits(raw: np.ndarray, count: int, bits: int, signed: bool) -> np.ndarray:
    """LiteRT's packed sub-byte layout (low bits first) to int8 values."""
    raw = np.asarray(raw, dtype=np.uint8).ravel()
    per = 8 // bits
    parts = [(raw >> (bits * i)) & ((1 << bits) - 1) for i in range(per)]
    vals = np.stack(parts, axis=1).ravel()[:count].astype(np.int16)
    if signed:
        vals = np.where(vals >= 1 << (bits - 1), vals - (1 << bits), vals)
    return vals.astype(np.int8)
