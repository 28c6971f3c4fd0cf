"""Coordinate rules shared by RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR.

Both follow LiteRT's reference kernels (tflite/kernels/internal/reference/resize_bilinear.h,
resize_nearest_neighbor.h): the input is NHWC, input 1 is an int32 [new_height, new_width],
and each output row/column maps to input coordinates computed per axis in float32, so we
compute those once per axis and gather whole rows and columns.
"""

from __future__ import annotations

import numpy as np

from ._base import OpContext


def output_size(ctx: OpContext, x: np.ndarray, size: np.ndarray) -> tuple[int, int]:
    if x.ndim != 4:
        raise ValueError(f"{ctx.op.type} needs a 4-D NHWC input, got rank {x.ndim}")
    s = np.asarray(size).ravel()
    if s.size != 2:
        raise ValueError(f"{ctx.op.type}: size must hold 2 values, got {s.size}")
    oh, ow = int(s[0]), int(s[1])
    if oh <= 0 or ow <= 0:
        raise ValueError(f"{ctx.op.type}: output size {[oh, ow]} must be positive")
    return oh, ow


def options(ctx: OpContext) -> tuple[bool, bool]:
    align = bool(ctx.options.get("align_corners", False))
    half = bool(ctx.options.get("half_pixel_centers", False))
    if align and half:
        raise ValueError(f"{ctx.op.type}: align_corners and half_pixel_centers are exclusive")
    return align, half


def scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    if align_corners and out_size > 1:
        return np.float32(in_size - 1) / np.float32(out_size - 1)
    return np.float32(in_size) / np.float32(out_size)


def bilinear_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, fraction) per output position (ComputeInterpolationValues).

    The fraction is ``scaled - lower`` in float32; with half-pixel centers the first positions
    can map below 0, where lower clamps to 0 and the fraction goes negative (the kernel then
    blends a row with itself)."""
    s = scale(in_size, out_size, align_corners)
    pos = np.arange(out_size, dtype=np.float32)
    if half_pixel:
        scaled = (pos + np.float32(0.5)) * s - np.float32(0.5)
    else:
        scaled = pos * s
    lo = np.maximum(np.floor(scaled).astype(np.int64), 0)
    hi = np.minimum(np.ceil(scaled).astype(np.int64), in_size - 1)
    frac = (scaled - lo.astype(np.float32)).astype(np.float32)
    return lo, hi, frac


def bilinear_axis_int(in_size: int, out_size: int, align_corners: bool, half_pixel: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer form (ComputeInterpolationValuesInteger): 10-bit fixed-point coordinates.
    Returns (lower, upper, scaled position x 1024) as int64."""
    if align_corners and out_size > 1:
        s10 = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        s10 = ((1 << 10) * in_size + out_size // 2) // out_size
    pos = np.arange(out_size, dtype=np.int64)
    scaled = pos * s10 + (s10 // 2 - (1 << 9) if half_pixel else 0)
    # C++ int division truncates toward zero; scaled can be slightly negative here.
    lo = np.maximum(np.trunc(scaled / 1024).astype(np.int64), 0)
    hi = np.minimum(np.trunc((scaled + 1023) / 1024).astype(np.int64), in_size - 1)
    return lo, hi, scaled


def nearest_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool
                 ) -> np.ndarray:
    """Source index per output position (GetNearestNeighbor)."""
    s = scale(in_size, out_size, align_corners)
    pos = np.arange(out_size, dtype=np.float32) + np.float32(0.5 if half_pixel else 0.0)
    v = pos * s
    if align_corners:
        idx = np.trunc(v.astype(np.float64) + np.copysign(0.5, v)).astype(np.int64)
    else:
        idx = np.floor(v).astype(np.int64)
    idx = np.minimum(idx, in_size - 1)
    if half_pixel:
        idx = np.maximum(idx, 0)
    return idx


def bilinear_axis_q11(in_size: int, out_size: int, align_corners: bool, half_pixel: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """XNNPACK's int8 coordinates (indirection.c, resize_bilinear2d_hwc_q11): float32 source
    positions clamped to [0, in - 1], lower index by truncation, upper = lower + 1 clamped, and
    the fraction as an 11-bit weight rounded to nearest even. Half-pixel centers apply only
    without align_corners; otherwise TF's legacy mapping."""
    f32 = np.float32
    adj = int(align_corners and out_size != 1)
    s = f32(in_size - adj) / f32(out_size - adj)
    pos = np.arange(out_size, dtype=np.float32)
    top = f32(in_size - 1)
    if half_pixel and not align_corners:
        v = np.minimum(np.maximum(pos * s + (f32(f32(0.5) * s) - f32(0.5)), f32(0)), top)
    else:
        v = np.minimum(pos * s, top)
    lo = v.astype(np.int64)
    hi = np.minimum(lo + 1, in_size - 1)
    w = np.rint((v - lo.astype(np.float32)) * f32(2048)).astype(np.int64)
    return lo, hi, w
