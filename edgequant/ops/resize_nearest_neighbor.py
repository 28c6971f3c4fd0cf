"""RESIZE_NEAREST_NEIGHBOR: NHWC nearest-neighbour resize to the [h, w] in input 1
(tflite/kernels/resize_nearest_neighbor.cc, reference_ops::ResizeNearestNeighbor).

Source index = floor((i + offset) * scale), or round-half-away-from-zero with align_corners,
clamped to the input size; offset is 0.5 with half_pixel_centers, and scale is
(in - 1) / (out - 1) with align_corners. All in float32, as in the kernel. Values are copied
bytewise, so the kernel serves every dtype and quantized tensors alike (``run_int``; LiteRT
checks no quantization).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, randn
from ._resize import nearest_axis, options, output_size
from ._rules import MOVE
from ._shape import qrand, qspec, with_quant

OP = "RESIZE_NEAREST_NEIGHBOR"
OPTIONS = "ResizeNearestNeighborOptions"
QUANT = MOVE


def run_float(ctx: OpContext, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    oh, ow = output_size(ctx, x, size)
    align, half = options(ctx)
    ys = nearest_axis(x.shape[1], oh, align, half)
    xs = nearest_axis(x.shape[2], ow, align, half)
    return x[:, ys][:, :, xs]


run_int = run_float


def version(op: Operator) -> int:
    if op.inputs[0].dtype == "int16":
        return 4
    o = op.options
    if o.get("half_pixel_centers") or o.get("align_corners"):
        return 3
    return 2 if op.inputs[0].dtype == "int8" else 1


def _size(h: int, w: int) -> Const:
    return Const(np.array([h, w], np.int32))


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 5, 3), _size(9, 7)], {}, "upscale"),
    lambda rng: Example([randn(rng, 2, 9, 8, 2), _size(4, 3)], {"align_corners": True},
                        "downscale align_corners"),
    lambda rng: Example([randn(rng, 1, 5, 3, 4), _size(8, 11)], {"half_pixel_centers": True},
                        "half_pixel_centers"),
    lambda rng: Example([randn(rng, 1, 3, 4, 2), _size(7, 1)], {"align_corners": True},
                        "align_corners to width 1"),
    lambda rng: Example([rng.integers(-100, 100, (1, 3, 3, 2)).astype(np.int32),
                         np.array([5, 6], np.int32)], {}, "int32, runtime size"),
    lambda rng: with_quant(Example([qrand(rng, (2, 4, 5, 3)), _size(9, 7)],
                                   {"half_pixel_centers": True}, "quantized int8 half_pixel"),
                           qspec(rng)),
    lambda rng: with_quant(Example([qrand(rng, (3, 9, 8, 2), "int16"), _size(4, 3)],
                                   {"align_corners": True}, "quantized int16 align_corners"),
                           qspec(rng, "int16")),
]
