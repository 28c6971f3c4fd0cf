"""Shared convolution geometry: output sizes, padding, and im2col patches.

Follows ``tflite/kernels/padding.h`` (ComputePaddingHeightWidth / ComputeOutSize): SAME gives
ceil(in / stride) outputs and puts the odd padding pixel at the end; VALID gives
(in - effective_filter + stride) // stride, effective_filter = (k - 1) * dilation + 1.

Also what the float conv kernels cache per op in ``ctx.state``: scratch buffers reused between
calls (``scratch``) and arrays derived from constant inputs (``derived``: a reshaped filter, a
tiled bias); and ``tap_range``: which outputs of one filter tap read real input pixels, so a
kernel can write those and leave the zero padding untouched instead of building a padded copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ._base import OpContext

_T = TypeVar("_T")

# Scratch buffers up to this size are kept between calls (per op and shape); larger ones (big
# calibration batches) are allocated per call so that a plan does not pin hundreds of MB.
SCRATCH_CACHE_BYTES = 8 << 20
_SCRATCH_SHAPES = 4


def scratch(state: dict[str, Any], key: Any, shape: tuple[int, ...], zero: bool = False,
            dtype: Any = np.float32) -> np.ndarray:
    """A work buffer (float32 unless ``dtype`` says otherwise) for one kernel call, reused by
    later calls of the same op with the same shape in the same thread (a Runner may run in
    several threads at once): never return it (or a view of it) as an op output, since the
    interpreter keeps every output. ``zero``: the buffer starts zeroed, and the caller promises
    to write the same elements on every call, so the others stay zero (padding that is never
    written)."""
    dt = np.dtype(dtype)
    return cached(state, "scratch", (key, shape, zero, dt.str),
                  lambda: (np.zeros if zero else np.empty)(shape, dtype=dt),
                  lambda buf: buf.nbytes <= SCRATCH_CACHE_BYTES)


def cached(state: dict[str, Any], kind: str, key: Any, make: Callable[[], _T],
           keep: Callable[[_T], bool] = lambda _: True) -> _T:
    """``make()``, cached per calling thread under ``state[kind][key]`` when ``keep`` says so.
    At most a few entries per kind (a few shapes, a few threads): the cache is emptied when
    full, so a plan never pins more than that."""
    cache = state.setdefault(kind, {})
    k = (key, threading.get_ident())
    value = cache.get(k)
    if value is None:
        value = make()
        if keep(value):
            if len(cache) >= _SCRATCH_SHAPES * 4:
                cache.clear()
            cache[k] = value
    return value


def derived(ctx: OpContext, key: str, value: np.ndarray, build: Callable[[], _T],
            *extra: Any) -> _T:
    """``build()``, a value derived from the input array ``value`` (a reshaped filter, a tiled
    bias), cached in ``ctx.state`` while ``value`` is the same constant tensor and ``extra``
    is unchanged. Run-time inputs are rebuilt every call: their array may be reused with new
    contents."""
    hit = ctx.state.get(key)
    if hit is not None and hit[0] is value and hit[1] == extra:
        return hit[2]
    result = build()
    op = getattr(ctx, "op", None)
    if op is not None and any(t is not None and t.data is value for t in op.inputs):
        ctx.state[key] = (value, extra, result)
    return result


def tap_range(size: int, out: int, pad: int, offset: int, stride: int
              ) -> tuple[int, int, slice]:
    """Along one axis, for the filter tap at ``offset`` (= tap index x dilation): the outputs
    [o0, o1) whose input position o * stride + offset - pad lies inside [0, size), and the
    input slice they read. o0 == o1 when the tap only ever sees padding."""
    o0 = max(0, -((offset - pad) // stride))  # ceil((pad - offset) / stride)
    o1 = min(out, (size - 1 - offset + pad) // stride + 1)
    if o1 <= o0:
        return 0, 0, slice(0, 0)
    start = o0 * stride + offset - pad
    return o0, o1, slice(start, start + (o1 - o0 - 1) * stride + 1, stride)


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
