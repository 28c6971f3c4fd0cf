"""Lowerings of Keras's convolution, pooling, padding, cropping and upsampling layers
(channels_last only: TFLite's kernels are NHWC).

Weight layouts: Keras keeps conv kernels as [KH, KW, I, O], TFLite CONV_2D wants [O, KH, KW, I];
a depthwise kernel [KH, KW, I, M] becomes [1, KH, KW, I*M] (channel c*M + m, which is the
row-major flattening of [I, M]); a transposed-conv kernel [KH, KW, O, I] becomes
[O, KH, KW, I]. 1-D layers run as 2-D ones on a [N, 1, W, C] view, as TF lowers them.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Tensor
from .base import Context, Layer, channels_last, lowering, pair
from .graph import Graph, const_int
from .layers_core import activation, reshape


def out_size(n: int, k: int, s: int, d: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(n / s)
    eff = (k - 1) * d + 1
    return (n - eff) // s + 1


def _padding(layer: Layer) -> str:
    p = str(layer.get("padding", "valid")).lower()
    if p not in ("valid", "same"):
        raise layer.unsupported(f"padding={p!r} is not supported")
    return p


def _check_spatial(layer: Layer, x: Tensor, rank: int) -> None:
    if len(x.shape) != rank:
        raise layer.unsupported(f"expects a rank-{rank} input, got shape {list(x.shape)}")


def _to_2d(g: Graph, x: Tensor, name: str) -> Tensor:
    """[N, W, C] -> [N, 1, W, C]."""
    return reshape(g, x, [x.shape[0], 1, x.shape[1], x.shape[2]], name)


def _from_2d(g: Graph, y: Tensor, name: str) -> Tensor:
    return reshape(g, y, [y.shape[0], y.shape[2], y.shape[3]], name)


def conv2d(g: Graph, x: Tensor, kernel: np.ndarray, bias: np.ndarray | None,
           strides: tuple[int, int], dilation: tuple[int, int], padding: str, name: str
           ) -> Tensor:
    """CONV_2D from a Keras [KH, KW, I, O] kernel."""
    kh, kw, _, o = kernel.shape
    w = g.const(f"{name}/convolution", np.ascontiguousarray(kernel.transpose(3, 0, 1, 2)))
    b = g.const(f"{name}/BiasAdd", bias if bias is not None else np.zeros(o, np.float32))
    n, h, wd, _ = x.shape
    shape = (n, out_size(h, kh, strides[0], dilation[0], padding),
             out_size(wd, kw, strides[1], dilation[1], padding), o)
    return g.op("CONV_2D", [x, w, b], name, shape, padding=padding.upper(),
                stride_h=strides[0], stride_w=strides[1], dilation_h_factor=dilation[0],
                dilation_w_factor=dilation[1])


def depthwise2d(g: Graph, x: Tensor, kernel: np.ndarray, bias: np.ndarray | None,
                strides: tuple[int, int], dilation: tuple[int, int], padding: str, name: str
                ) -> Tensor:
    """DEPTHWISE_CONV_2D from a Keras [KH, KW, I, M] kernel."""
    kh, kw, ci, m = kernel.shape
    w = g.const(f"{name}/depthwise", np.ascontiguousarray(kernel.reshape(1, kh, kw, ci * m)))
    b = g.const(f"{name}/BiasAdd", bias if bias is not None else np.zeros(ci * m, np.float32))
    n, h, wd, _ = x.shape
    shape = (n, out_size(h, kh, strides[0], dilation[0], padding),
             out_size(wd, kw, strides[1], dilation[1], padding), ci * m)
    return g.op("DEPTHWISE_CONV_2D", [x, w, b], name, shape, padding=padding.upper(),
                stride_h=strides[0], stride_w=strides[1], depth_multiplier=m,
                dilation_h_factor=dilation[0], dilation_w_factor=dilation[1])


def _pad(g: Graph, x: Tensor, pads: list[list[int]], name: str) -> Tensor:
    shape = [d + a + b for d, (a, b) in zip(x.shape, pads)]
    return g.op("PAD", [x, const_int(g, f"{name}/paddings", pads)], name, shape)


def _conv_common(layer: Layer, nd: int) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    channels_last(layer)
    strides = pair(layer.get("strides", 1), nd)
    dilation = pair(layer.get("dilation_rate", 1), nd)
    if max(dilation) > 1 and max(strides) > 1:
        raise layer.unsupported("strides > 1 together with dilation_rate > 1")
    return strides, dilation, str(layer.get("padding", "valid")).lower()


# -- convolutions -----------------------------------------------------------------------------
@lowering("Conv2D", "Convolution2D")
def conv2d_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 4)
    strides, dilation, _ = _conv_common(layer, 2)
    padding = _padding(layer)
    if int(layer.get("groups", 1)) != 1:
        raise layer.unsupported("grouped convolution (groups > 1) is not supported")
    w = layer.need_weights(1)
    bias = w[1] if layer.get("use_bias", True) else None
    y = conv2d(ctx.g, x, w[0], bias, strides, dilation, padding, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("Conv1D", "Convolution1D")
def conv1d_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 3)
    (s,), (d,), padding = _conv_common(layer, 1)
    if int(layer.get("groups", 1)) != 1:
        raise layer.unsupported("grouped convolution (groups > 1) is not supported")
    g = ctx.g
    w = layer.need_weights(1)
    kernel = w[0][None]  # [1, K, I, O]
    bias = w[1] if layer.get("use_bias", True) else None
    x4 = _to_2d(g, x, f"{layer.name}/ExpandDims")
    if padding == "causal":
        x4 = _pad(g, x4, [[0, 0], [0, 0], [(kernel.shape[1] - 1) * d, 0], [0, 0]],
                  f"{layer.name}/causal_pad")
        padding = "valid"
    elif padding not in ("valid", "same"):
        raise layer.unsupported(f"padding={padding!r} is not supported")
    y = conv2d(g, x4, kernel, bias, (1, s), (1, d), padding, f"{layer.name}/conv2d")
    y = _from_2d(g, y, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("DepthwiseConv2D")
def depthwise_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 4)
    strides, dilation, _ = _conv_common(layer, 2)
    padding = _padding(layer)
    w = layer.need_weights(1)
    bias = w[1] if layer.get("use_bias", True) else None
    y = depthwise2d(ctx.g, x, w[0], bias, strides, dilation, padding, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("DepthwiseConv1D")
def depthwise1d_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 3)
    (s,), (d,), _ = _conv_common(layer, 1)
    padding = _padding(layer)
    g = ctx.g
    w = layer.need_weights(1)
    bias = w[1] if layer.get("use_bias", True) else None
    x4 = _to_2d(g, x, f"{layer.name}/ExpandDims")
    y = depthwise2d(g, x4, w[0][None], bias, (1, s), (1, d), padding, f"{layer.name}/dw")
    y = _from_2d(g, y, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("SeparableConv2D", "SeparableConvolution2D")
def separable2d_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 4)
    strides, dilation, _ = _conv_common(layer, 2)
    padding = _padding(layer)
    w = layer.need_weights(2)
    bias = w[2] if layer.get("use_bias", True) else None
    g = ctx.g
    dw = depthwise2d(g, x, w[0], None, strides, dilation, padding, f"{layer.name}/depthwise")
    y = conv2d(g, dw, w[1], bias, (1, 1), (1, 1), "valid", layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("SeparableConv1D", "SeparableConvolution1D")
def separable1d_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 3)
    (s,), (d,), _ = _conv_common(layer, 1)
    padding = _padding(layer)
    w = layer.need_weights(2)
    bias = w[2] if layer.get("use_bias", True) else None
    g = ctx.g
    x4 = _to_2d(g, x, f"{layer.name}/ExpandDims")
    dw = depthwise2d(g, x4, w[0][None], None, (1, s), (1, d), padding,
                     f"{layer.name}/depthwise")
    y = conv2d(g, dw, w[1][None], bias, (1, 1), (1, 1), "valid", f"{layer.name}/pointwise")
    y = _from_2d(g, y, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("Conv2DTranspose", "Convolution2DTranspose")
def conv2d_transpose_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    _check_spatial(layer, x, 4)
    strides, dilation, _ = _conv_common(layer, 2)
    padding = _padding(layer)
    if max(dilation) > 1:
        raise layer.unsupported("dilation_rate > 1 is not supported")
    if layer.get("output_padding") is not None:
        raise layer.unsupported("output_padding is not supported")
    g = ctx.g
    w = layer.need_weights(1)
    kernel = w[0]  # [KH, KW, O, I]
    kh, kw, o, _ = kernel.shape
    bias = w[1] if layer.get("use_bias", True) else np.zeros(o, np.float32)
    n, h, wd, _ = x.shape

    def size(v: int, k: int, s: int) -> int:
        # keras/src/utils/conv_utils.py deconv_output_length (no output_padding)
        return v * s if padding == "same" else v * s + max(k - s, 0)

    shape = [n, size(h, kh, strides[0]), size(wd, kw, strides[1]), o]
    out_shape = _output_shape(g, x, shape, layer.name)
    wt = g.const(f"{layer.name}/conv2d_transpose",
                 np.ascontiguousarray(kernel.transpose(2, 0, 1, 3)))
    b = g.const(f"{layer.name}/BiasAdd", bias)
    y = g.op("TRANSPOSE_CONV", [out_shape, wt, x, b], layer.name, shape,
             padding=padding.upper(), stride_h=strides[0], stride_w=strides[1])
    return activation(ctx, layer, y, layer.get("activation"))


def _output_shape(g: Graph, x: Tensor, shape: list[int], name: str) -> Tensor:
    """TRANSPOSE_CONV's output_shape input. With a dynamic batch, TF builds it at run time
    from the input's batch (SHAPE, STRIDED_SLICE, PACK); so do we, so LiteRT runs any batch."""
    if not g.dyn_batch:
        return const_int(g, f"{name}/output_shape", shape)
    sh = g.op("SHAPE", [x], f"{name}/Shape", [4], "int32", batched=False, out_type="int32")
    n = g.op("STRIDED_SLICE", [sh, const_int(g, f"{name}/begin", [0]),
                               const_int(g, f"{name}/end", [1]),
                               const_int(g, f"{name}/strides", [1])],
             f"{name}/strided_slice", [], "int32", batched=False, shrink_axis_mask=1)
    rest = [const_int(g, f"{name}/dim{i}", shape[i]) for i in (1, 2, 3)]
    return g.op("PACK", [n, *rest], f"{name}/output_shape", [4], "int32", batched=False,
                values_count=4, axis=0)


# -- pooling ----------------------------------------------------------------------------------
def _pool2d(g: Graph, op: str, x: Tensor, pool: tuple[int, int], strides: tuple[int, int],
            padding: str, name: str) -> Tensor:
    n, h, w, c = x.shape
    shape = (n, out_size(h, pool[0], strides[0], 1, padding),
             out_size(w, pool[1], strides[1], 1, padding), c)
    return g.op(op, [x], name, shape, padding=padding.upper(), stride_h=strides[0],
                stride_w=strides[1], filter_height=pool[0], filter_width=pool[1])


def _pool_layer(ctx: Context, layer: Layer, x: Tensor, op: str, nd: int) -> Tensor:
    channels_last(layer)
    _check_spatial(layer, x, nd + 2)
    pool = pair(layer.get("pool_size", 2), nd)
    st = layer.get("strides")
    strides = pair(st, nd) if st is not None else pool
    padding = _padding(layer)
    g = ctx.g
    if nd == 2:
        return _pool2d(g, op, x, pool, strides, padding, layer.name)  # type: ignore[arg-type]
    x4 = _to_2d(g, x, f"{layer.name}/ExpandDims")
    y = _pool2d(g, op, x4, (1, pool[0]), (1, strides[0]), padding, f"{layer.name}/pool")
    return _from_2d(g, y, layer.name)


@lowering("MaxPooling2D", "MaxPool2D")
def max_pool2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _pool_layer(ctx, layer, inputs[0], "MAX_POOL_2D", 2)


@lowering("AveragePooling2D", "AvgPool2D")
def avg_pool2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _pool_layer(ctx, layer, inputs[0], "AVERAGE_POOL_2D", 2)


@lowering("MaxPooling1D", "MaxPool1D")
def max_pool1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _pool_layer(ctx, layer, inputs[0], "MAX_POOL_2D", 1)


@lowering("AveragePooling1D", "AvgPool1D")
def avg_pool1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _pool_layer(ctx, layer, inputs[0], "AVERAGE_POOL_2D", 1)


def _global_pool(ctx: Context, layer: Layer, x: Tensor, op: str, nd: int) -> Tensor:
    channels_last(layer)
    _check_spatial(layer, x, nd + 2)
    keep = bool(layer.get("keepdims", False))
    axes = list(range(1, nd + 1))
    shape = [x.shape[0], *([1] * nd if keep else []), x.shape[-1]]
    return ctx.g.op(op, [x, const_int(ctx.g, f"{layer.name}/reduction_indices", axes)],
                    layer.name, shape, keep_dims=keep)


@lowering("GlobalAveragePooling2D", "GlobalAvgPool2D")
def gap2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _global_pool(ctx, layer, inputs[0], "MEAN", 2)


@lowering("GlobalAveragePooling1D", "GlobalAvgPool1D")
def gap1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    if len(inputs) > 1:
        raise layer.unsupported("a mask input is not supported")
    return _global_pool(ctx, layer, inputs[0], "MEAN", 1)


@lowering("GlobalMaxPooling2D", "GlobalMaxPool2D")
def gmp2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _global_pool(ctx, layer, inputs[0], "REDUCE_MAX", 2)


@lowering("GlobalMaxPooling1D", "GlobalMaxPool1D")
def gmp1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _global_pool(ctx, layer, inputs[0], "REDUCE_MAX", 1)


# -- padding, cropping, upsampling ------------------------------------------------------------
def _two_sided(v: object, nd: int) -> list[list[int]]:
    """Keras padding/cropping specs: int, (a, b) per axis, or ((t, b), (l, r))."""
    if isinstance(v, int):
        return [[v, v] for _ in range(nd)]
    v = list(v)  # type: ignore[call-overload]
    if nd == 1:
        return [[int(v[0]), int(v[1])]] if len(v) == 2 else [[int(v[0]), int(v[0])]]
    out = []
    for p in v:
        out.append([int(p), int(p)] if isinstance(p, int) else [int(p[0]), int(p[1])])
    return out


@lowering("ZeroPadding2D")
def zero_pad2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    channels_last(layer)
    p = _two_sided(layer.get("padding", 1), 2)
    return _pad(ctx.g, x, [[0, 0], *p, [0, 0]], layer.name)


@lowering("ZeroPadding1D")
def zero_pad1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    p = _two_sided(layer.get("padding", 1), 1)
    return _pad(ctx.g, x, [[0, 0], *p, [0, 0]], layer.name)


@lowering("Cropping2D", "Cropping1D")
def cropping(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    channels_last(layer)
    nd = len(x.shape) - 2
    crops = _two_sided(layer.get("cropping", 1), nd)
    begin = [0, *[c[0] for c in crops], 0]
    end = [0, *[x.shape[i + 1] - c[1] for i, c in enumerate(crops)], 0]
    shape = [x.shape[0], *[e - b for b, e in zip(begin[1:-1], end[1:-1])], x.shape[-1]]
    mask = 1 | (1 << (nd + 1))
    g = ctx.g
    return g.op("STRIDED_SLICE", [x, const_int(g, f"{layer.name}/begin", begin),
                                  const_int(g, f"{layer.name}/end", end),
                                  const_int(g, f"{layer.name}/strides", [1] * (nd + 2))],
                layer.name, shape, begin_mask=mask, end_mask=mask)


@lowering("UpSampling2D")
def upsampling2d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    channels_last(layer)
    sh, sw = pair(layer.get("size", 2), 2)
    n, h, w, c = x.shape
    interp = str(layer.get("interpolation", "nearest"))
    g = ctx.g
    size = const_int(g, f"{layer.name}/size", [h * sh, w * sw])
    shape = (n, h * sh, w * sw, c)
    if interp == "nearest":
        return g.op("RESIZE_NEAREST_NEIGHBOR", [x, size], layer.name, shape,
                    half_pixel_centers=True)
    if interp == "bilinear":
        return g.op("RESIZE_BILINEAR", [x, size], layer.name, shape, half_pixel_centers=True)
    raise layer.unsupported(f"interpolation={interp!r} is not supported (nearest, bilinear)")


@lowering("UpSampling1D")
def upsampling1d(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    s = int(layer.get("size", 2))
    n, w, c = x.shape
    g = ctx.g
    x4 = reshape(g, x, [n, w, 1, c], f"{layer.name}/ExpandDims")
    size = const_int(g, f"{layer.name}/size", [w * s, 1])
    y = g.op("RESIZE_NEAREST_NEIGHBOR", [x4, size], f"{layer.name}/resize", (n, w * s, 1, c),
             half_pixel_centers=True)
    return reshape(g, y, [n, w * s, c], layer.name)
