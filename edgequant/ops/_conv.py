"""Shared convolution geometry: output sizes, padding, and im2col patches.

Follows ``tflite/kernels/padding.h`` (ComputePaddingHeightWidth / ComputeOutSize): SAME gives
ceil(in / stride) outputs and puts the odd padding pixel at the end; VALID gives
(in - effective_filter + stride) // stride, effective_filter = (k - 1) * dilation + 1.
"""

from __future__ import annotations

import numpy as np


def out_size_and_pad(size: int, k: int, stride: int, dilation: int, padding: str
                     ) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one spatial axis."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (size + stride - 1) // stride
    elif padding == "VALID":
        out = (size - eff + stride) // stride
    else:
        raise ValueError(f"unknown padding {padding!r}")
    out = max(out, 0)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2, total - total // 2


def patches(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
            padding: str, pad_value: float = 0.0) -> tuple[np.ndarray, int, int]:
    """im2col: [N, H, W, C] -> ([N, OH, OW, KH, KW, C], OH, OW)."""
    n, h, w, c = x.shape
    oh, pt, pb = out_size_and_pad(h, kh, sh, dh, padding)
    ow, pl, pr = out_size_and_pad(w, kw, sw, dw, padding)
    if pt or pb or pl or pr:
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    out = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                                      j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
    return out, oh, ow
