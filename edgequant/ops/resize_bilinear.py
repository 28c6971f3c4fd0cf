"""RESIZE_BILINEAR: NHWC bilinear resize to the [h, w] in input 1
(tflite/kernels/resize_bilinear.cc; reference_ops::ResizeBilinear / ResizeBilinearInteger).

float32 (and uint8): per axis, scaled = i * scale, or (i + 0.5) * scale - 0.5 with
half_pixel_centers; lower = max(floor, 0), upper = min(ceil, size - 1), frac = scaled - lower,
all float32. The four taps are combined in the kernel's order,
``a*(1-dy)*(1-dx) + b*dy*(1-dx) + c*(1-dy)*dx + d*dy*dx``; uint8 adds 0.5 and truncates.
int8/int16 use 10-bit fixed-point coordinates and an int64 blend rounded half away from zero
(the default double-rounding build). Quantization parameters are ignored, as in LiteRT: the
codes are interpolated as they are, so input and output must share their quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._resize import bilinear_axis, bilinear_axis_int, bilinear_axis_q11, options, output_size
from ._rules import MOVE
from ._shape import qrand, qspec, with_quant

OP = "RESIZE_BILINEAR"
OPTIONS = "ResizeBilinearOptions"
QUANT = MOVE


def _float(x: np.ndarray, oh: int, ow: int, align: bool, half: bool) -> np.ndarray:
    y0, y1, dy = bilinear_axis(x.shape[1], oh, align, half)
    x0, x1, dx = bilinear_axis(x.shape[2], ow, align, half)
    xf = x.astype(np.float32, copy=False)
    top, bot = xf[:, y0], xf[:, y1]
    a, c = top[:, :, x0], top[:, :, x1]
    b, d = bot[:, :, x0], bot[:, :, x1]
    one = np.float32(1)
    dy = dy[None, :, None, None]
    dx = dx[None, None, :, None]
    out = (a * (one - dy) * (one - dx) + b * dy * (one - dx) + c * (one - dy) * dx
           + d * dy * dx)
    if x.dtype == np.uint8:
        return (out + np.float32(0.5)).astype(np.uint8)
    return out.astype(np.float32, copy=False)


def _integer(x: np.ndarray, oh: int, ow: int, align: bool, half: bool) -> np.ndarray:
    y0, y1, sy = bilinear_axis_int(x.shape[1], oh, align, half)
    x0, x1, sx = bilinear_axis_int(x.shape[2], ow, align, half)
    wy = (sy - (y0 << 10))[None, :, None, None]
    wx = (sx - (x0 << 10))[None, None, :, None]
    xi = x.astype(np.int64)
    top, bot = xi[:, y0], xi[:, y1]
    one = np.int64(1 << 10)
    out = (top[:, :, x0] * (one - wy) * (one - wx) + bot[:, :, x0] * wy * (one - wx)
           + top[:, :, x1] * (one - wy) * wx + bot[:, :, x1] * wy * wx)
    rounded = out + np.where(out > 0, 1 << 19, -(1 << 19))
    # Division truncating toward zero, then the narrowing cast the kernel does.
    q = np.where(rounded >= 0, rounded >> 20, -((-rounded) >> 20))
    return q.astype(x.dtype)


def _xnnpack(x: np.ndarray, oh: int, ow: int, align: bool, half: bool) -> np.ndarray:
    """XNNPACK's s8 ibilinear kernel: 11-bit weights, a horizontal then a vertical blend in
    int32, and (acc + 2^21) >> 22 (ties toward +inf)."""
    y0, y1, wy = bilinear_axis_q11(x.shape[1], oh, align, half)
    x0, x1, wx = bilinear_axis_q11(x.shape[2], ow, align, half)
    xi = x.astype(np.int64)
    top, bot = xi[:, y0], xi[:, y1]
    wx = wx[None, None, :, None]
    t = (top[:, :, x0] << 11) + (top[:, :, x1] - top[:, :, x0]) * wx
    b = (bot[:, :, x0] << 11) + (bot[:, :, x1] - bot[:, :, x0]) * wx
    acc = (t << 11) + (b - t) * wy[None, :, None, None]
    return ((acc + (1 << 21)) >> 22).astype(x.dtype)


def run_float(ctx: OpContext, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    oh, ow = output_size(ctx, x, size)
    align, half = options(ctx)
    if x.dtype in (np.float32, np.uint8):
        return _float(x, oh, ow, align, half)
    if x.dtype in (np.int8, np.int16):
        return _integer(x, oh, ow, align, half)
    raise TypeError(f"RESIZE_BILINEAR does not take {x.dtype} input")


def run_int(ctx: OpContext, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Raw codes in, raw codes out. BUILTIN_REF and the optimized resolver both run
    ResizeBilinearInteger; LiteRT's default resolver hands int8 with a constant size to
    XNNPACK, whose arithmetic the 'xnnpack' profile follows."""
    if (ctx.runner.profile == "xnnpack" and x.dtype == np.int8
            and ctx.op.inputs[1].data is not None):
        oh, ow = output_size(ctx, x, size)
        return _xnnpack(x, oh, ow, *options(ctx))
    return run_float(ctx, x, size)


def version(op: Operator) -> int:
    if op.inputs[0].dtype == "int16":
        return 4
    if op.options.get("half_pixel_centers"):
        return 3
    return 2 if op.inputs[0].dtype == "int8" else 1


def _q(rng: np.random.Generator, shape: tuple[int, ...], size: tuple[int, int], opts: dict,
       name: str, dtype: str = "int8") -> Example:
    return with_quant(Example([qrand(rng, shape, dtype), _size(*size)], opts, name),
                      qspec(rng, dtype))


def _size(h: int, w: int) -> Const:
    return Const(np.array([h, w], np.int32))


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 5, 3), _size(9, 7)], {}, "upscale"),
    lambda rng: Example([randn(rng, 2, 9, 8, 2), _size(4, 5)], {"align_corners": True},
                        "downscale align_corners"),
    lambda rng: Example([randn(rng, 1, 5, 3, 4), _size(8, 11)], {"half_pixel_centers": True},
                        "half_pixel_centers"),
    lambda rng: Example([randn(rng, 1, 6, 7, 2), _size(1, 3)], {"align_corners": True},
                        "align_corners to height 1"),
    lambda rng: Example([rng.integers(-128, 128, (1, 4, 4, 3)).astype(np.int8),
                         _size(7, 9)], {"half_pixel_centers": True}, "int8 half_pixel"),
    lambda rng: Example([rng.integers(0, 256, (2, 3, 5, 2)).astype(np.uint8),
                         np.array([6, 4], np.int32)], {}, "uint8, runtime size"),
    lambda rng: _q(rng, (2, 4, 5, 3), (9, 7), {}, "quantized int8 upscale"),
    lambda rng: _q(rng, (2, 9, 8, 2), (4, 5), {"align_corners": True},
                   "quantized int8 downscale align_corners"),
    lambda rng: _q(rng, (3, 5, 3, 4), (8, 11), {"half_pixel_centers": True},
                   "quantized int8 half_pixel_centers"),
    lambda rng: _q(rng, (1, 6, 7, 2), (1, 3), {"align_corners": True},
                   "quantized int8 align_corners to height 1"),
    # Doubling an odd-sized image puts many taps exactly halfway: rounding ties.
    lambda rng: _q(rng, (2, 3, 5, 2), (6, 10), {}, "quantized int8 x2 ties"),
    lambda rng: _q(rng, (2, 4, 5, 3), (7, 9), {"half_pixel_centers": True},
                   "quantized int16 half_pixel_centers", "int16"),
    lambda rng: _q(rng, (1, 7, 4, 2), (3, 8), {"align_corners": True},
                   "quantized int16 align_corners", "int16"),
]
