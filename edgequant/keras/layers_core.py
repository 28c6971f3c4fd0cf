"""Lowerings of Keras's core layers: Dense, activations, shape changes, merges, normalization,
Embedding, Rescaling, the Dropout family (removed at inference).

Activations follow ``keras/src/activations/activations.py`` (Keras 3): ``gelu`` is the exact
erf form unless ``approximate``; ``hard_sigmoid`` is ``relu6(x + 3) / 6`` and ``hard_silu`` /
``hard_swish`` ``x * relu6(x + 3) / 6`` (TFLite's HARD_SWISH); ``leaky_relu`` defaults to a
0.2 slope. Normalizations follow the layers' ``call`` methods: BatchNormalization is
``x * gamma / sqrt(var + eps) + (beta - mean * gamma / sqrt(var + eps))`` (folded into the
preceding conv or dense layer afterwards, see ``fuse``), LayerNormalization computes its moments
with MEAN, SUB and MUL, Normalization divides by
``max(sqrt(variance), 1e-7)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Tensor
from .base import Context, Layer, lowering
from .graph import Graph, const_int


# -- helpers --------------------------------------------------------------------------------
def bshape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes))


def binary(g: Graph, op: str, a: Tensor, b: Tensor, name: str, **opts: Any) -> Tensor:
    return g.op(op, [a, b], name, bshape(a.shape, b.shape), a.dtype, **opts)


def unary(g: Graph, op: str, x: Tensor, name: str, **opts: Any) -> Tensor:
    return g.op(op, [x], name, x.shape, x.dtype, **opts)


def scalar(g: Graph, name: str, v: float) -> Tensor:
    return g.const(name, np.float32(v))


def batch_dim(g: Graph, x: Tensor) -> int:
    return -1 if g.dyn_batch else x.shape[0]


def reshape(g: Graph, x: Tensor, shape: list[int], name: str) -> Tensor:
    """RESHAPE to ``shape`` (concrete, batch first): the shape constant says -1 for a dynamic
    batch so the model still runs on any batch."""
    spec = list(shape)
    if g.dyn_batch and spec:
        spec[0] = -1
    return g.op("RESHAPE", [x, const_int(g, f"{name}/shape", spec)], name, shape, x.dtype)


def act_name(act: Any) -> str | None:
    """An activation as the config stores it: a name, or a serialized function."""
    if act is None:
        return None
    if isinstance(act, dict):
        cfg = act.get("config")
        if isinstance(cfg, str):
            return cfg
        if isinstance(cfg, dict) and "name" in cfg:
            return str(cfg["name"])
        return str(act.get("class_name"))
    return str(act)


def activation(ctx: Context, layer: Layer, x: Tensor, act: Any, name: str | None = None
               ) -> Tensor:
    return apply_activation(ctx.g, layer, x, act, name)


def apply_activation(g: Graph, layer: Layer, x: Tensor, act: Any, name: str | None = None
                     ) -> Tensor:
    a = act_name(act)
    n = name or f"{layer.name}/{a}"
    if a in (None, "linear", "identity"):
        return x
    if a == "relu":
        return unary(g, "RELU", x, n)
    if a == "relu6":
        return unary(g, "RELU6", x, n)
    if a == "sigmoid":
        return unary(g, "LOGISTIC", x, n)
    if a == "tanh":
        return unary(g, "TANH", x, n)
    if a == "softmax":
        return unary(g, "SOFTMAX", x, n, beta=1.0)
    if a == "log_softmax":
        return unary(g, "LOG_SOFTMAX", x, n)
    if a == "gelu":
        return unary(g, "GELU", x, n, approximate=False)
    if a in ("hard_silu", "hard_swish"):
        return unary(g, "HARD_SWISH", x, n)
    if a == "hard_sigmoid":
        t = binary(g, "ADD", x, scalar(g, f"{n}/three", 3.0), f"{n}/add")
        t = unary(g, "RELU6", t, f"{n}/relu6")
        return binary(g, "MUL", t, scalar(g, f"{n}/sixth", 1.0 / 6.0), n)
    if a in ("silu", "swish"):
        s = unary(g, "LOGISTIC", x, f"{n}/sigmoid")
        return binary(g, "MUL", x, s, n)
    if a == "leaky_relu":
        return unary(g, "LEAKY_RELU", x, n, alpha=0.2)
    if a == "elu":
        return elu(g, x, 1.0, n)
    if a == "selu":
        alpha, scale = 1.6732632423543772, 1.0507009873554805
        e = elu(g, x, alpha, f"{n}/elu")
        return binary(g, "MUL", e, scalar(g, f"{n}/scale", scale), n)
    if a == "exponential":
        return unary(g, "EXP", x, n)
    raise layer.unsupported(f"activation {a!r} is not supported")


def elu(g: Graph, x: Tensor, alpha: float, name: str) -> Tensor:
    """ELU as TFLite builtins edgequant can run and quantize:
    relu(x) + alpha * (exp(min(x, 0)) - 1)."""
    neg = binary(g, "MINIMUM", x, scalar(g, f"{name}/zero", 0.0), f"{name}/min")
    e = unary(g, "EXP", neg, f"{name}/exp")
    em1 = binary(g, "SUB", e, scalar(g, f"{name}/one", 1.0), f"{name}/expm1")
    if alpha != 1.0:
        em1 = binary(g, "MUL", em1, scalar(g, f"{name}/alpha", alpha), f"{name}/scaled")
    pos = unary(g, "RELU", x, f"{name}/relu")
    return binary(g, "ADD", pos, em1, name)


def fully_connected(g: Graph, x: Tensor, kernel: np.ndarray, bias: np.ndarray | None,
                    name: str) -> Tensor:
    """Keras kernel [in, units] as TFLite FULLY_CONNECTED weights [units, in]."""
    units = kernel.shape[1]
    w = g.const(f"{name}/MatMul", np.ascontiguousarray(kernel.T))
    b = g.const(f"{name}/BiasAdd", bias) if bias is not None else None
    keep_dims = len(x.shape) > 2
    shape = (*x.shape[:-1], units) if keep_dims else (x.shape[0], units)
    return g.op("FULLY_CONNECTED", [x, w, b], name, shape, keep_num_dims=keep_dims)


# -- Dense, activations -----------------------------------------------------------------------
@lowering("Dense")
def dense(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    if layer.get("lora_rank"):
        raise layer.unsupported("LoRA-enabled Dense layers are not supported")
    w = layer.need_weights(1)
    bias = w[1] if layer.get("use_bias", True) else None
    y = fully_connected(ctx.g, x, w[0], bias, layer.name)
    return activation(ctx, layer, y, layer.get("activation"))


@lowering("Activation")
def activation_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    return activation(ctx, layer, x, layer.get("activation"), layer.name)


@lowering("ReLU")
def relu_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    g = ctx.g
    mx = layer.get("max_value")
    slope = float(layer.get("negative_slope") or 0.0)
    thr = float(layer.get("threshold") or 0.0)
    if thr != 0.0:
        raise layer.unsupported(f"threshold={thr} is not supported")
    if slope != 0.0:
        if mx is not None:
            raise layer.unsupported("negative_slope together with max_value is not supported")
        return unary(g, "LEAKY_RELU", x, layer.name, alpha=slope)
    if mx is None:
        return unary(g, "RELU", x, layer.name)
    if float(mx) == 6.0:
        return unary(g, "RELU6", x, layer.name)
    r = unary(g, "RELU", x, f"{layer.name}/relu")
    return binary(g, "MINIMUM", r, scalar(g, f"{layer.name}/max", float(mx)), layer.name)


@lowering("LeakyReLU")
def leaky_relu_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    slope = layer.get("negative_slope", layer.get("alpha", 0.3))
    return unary(ctx.g, "LEAKY_RELU", x, layer.name, alpha=float(slope))


@lowering("ELU")
def elu_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    return elu(ctx.g, x, float(layer.get("alpha", 1.0)), layer.name)


@lowering("PReLU")
def prelu_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    (alpha,) = layer.need_weights(1)[:1]
    a = ctx.g.const(f"{layer.name}/alpha", alpha)
    return ctx.g.op("PRELU", [x, a], layer.name, x.shape)


@lowering("Softmax")
def softmax_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    if len(inputs) > 1:
        raise layer.unsupported("a mask input is not supported")
    axis = layer.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    if [a % len(x.shape) for a in axes] != [len(x.shape) - 1]:
        raise layer.unsupported(f"softmax over axis {axis} (only the last axis is supported)")
    return unary(ctx.g, "SOFTMAX", x, layer.name, beta=1.0)


@lowering("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
          "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
          "Identity")
def identity(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return inputs[0]


# -- shapes -----------------------------------------------------------------------------------
@lowering("Flatten")
def flatten(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    if len(x.shape) == 2:
        return x
    n = int(np.prod(x.shape[1:]))
    return reshape(ctx.g, x, [x.shape[0], n], layer.name)


@lowering("Reshape")
def reshape_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    target = [int(d) for d in layer.get("target_shape")]
    total = int(np.prod(x.shape[1:]))
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1]))
        target[target.index(-1)] = total // known
    if int(np.prod(target)) != total:
        raise layer.unsupported(f"cannot reshape {list(x.shape[1:])} to {target}")
    return reshape(ctx.g, x, [x.shape[0], *target], layer.name)


@lowering("Permute")
def permute(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    perm = [0, *[int(d) for d in layer.get("dims")]]
    shape = [x.shape[p] for p in perm]
    return ctx.g.op("TRANSPOSE", [x, const_int(ctx.g, f"{layer.name}/perm", perm)], layer.name,
                    shape)


@lowering("RepeatVector")
def repeat_vector(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    n = int(layer.get("n"))
    g = ctx.g
    e = reshape(g, x, [x.shape[0], 1, x.shape[1]], f"{layer.name}/expand")
    return g.op("TILE", [e, const_int(g, f"{layer.name}/multiples", [1, n, 1])], layer.name,
                [x.shape[0], n, x.shape[1]])


# -- merges -----------------------------------------------------------------------------------
def _chain(ctx: Context, layer: Layer, op: str, xs: list[Tensor]) -> Tensor:
    if len(xs) < 2:
        raise layer.unsupported(f"needs at least 2 inputs, got {len(xs)}")
    y = xs[0]
    for i, t in enumerate(xs[1:]):
        name = layer.name if i == len(xs) - 2 else f"{layer.name}/{i}"
        y = binary(ctx.g, op, y, t, name)
    return y


@lowering("Add")
def add_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _chain(ctx, layer, "ADD", inputs)


@lowering("Subtract")
def sub_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    if len(inputs) != 2:
        raise layer.unsupported(f"Subtract takes 2 inputs, got {len(inputs)}")
    return _chain(ctx, layer, "SUB", inputs)


@lowering("Multiply")
def mul_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _chain(ctx, layer, "MUL", inputs)


@lowering("Maximum")
def max_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _chain(ctx, layer, "MAXIMUM", inputs)


@lowering("Minimum")
def min_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    return _chain(ctx, layer, "MINIMUM", inputs)


@lowering("Average")
def average_layer(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    s = _chain(ctx, Layer(layer.class_name, f"{layer.name}/sum", layer.config, layer.path,
                          layer.source), "ADD", inputs)
    return binary(ctx.g, "MUL", s, scalar(ctx.g, f"{layer.name}/inv_n", 1.0 / len(inputs)),
                  layer.name)


@lowering("Concatenate")
def concatenate(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    rank = len(inputs[0].shape)
    axis = int(layer.get("axis", -1)) % rank
    if axis == 0:
        raise layer.unsupported("concatenation along the batch axis is not supported")
    shape = list(inputs[0].shape)
    shape[axis] = sum(t.shape[axis] for t in inputs)
    return ctx.g.op("CONCATENATION", list(inputs), layer.name, shape, axis=axis)


# -- normalization ----------------------------------------------------------------------------
def _last_axis(layer: Layer, x: Tensor, axis: Any) -> bool:
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    return [int(a) % len(x.shape) for a in axes] == [len(x.shape) - 1]


def _param_shape(x: Tensor, axes: list[int]) -> list[int]:
    return [x.shape[a] if a in axes else 1 for a in range(len(x.shape))]


@lowering("BatchNormalization")
def batch_norm(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    g = ctx.g
    w = list(layer.weights)
    gamma = w.pop(0) if layer.get("scale", True) else None
    beta = w.pop(0) if layer.get("center", True) else None
    if len(w) < 2:
        raise layer.unsupported("moving mean and variance are missing from the weights")
    mean, var = w[0], w[1]
    eps = np.float32(layer.get("epsilon", 1e-3))
    # As TF's constant folding does it: mul = gamma * rsqrt(var + eps); sub = beta - mean * mul.
    mul = (np.float32(1.0) / np.sqrt(var + eps)).astype(np.float32)
    if gamma is not None:
        mul = (mul * gamma).astype(np.float32)
    sub = (-mean * mul).astype(np.float32)
    if beta is not None:
        sub = (beta + sub).astype(np.float32)
    axis = layer.get("axis", -1)
    axes = [int(a) % len(x.shape) for a in (axis if isinstance(axis, list) else [axis])]
    if 0 in axes:
        raise layer.unsupported("normalizing over the batch axis is not supported")
    if not _last_axis(layer, x, axis):
        shape = _param_shape(x, axes)[1:]
        mul, sub = mul.reshape(shape), sub.reshape(shape)
    m = binary(g, "MUL", x, g.const(f"{layer.name}/batchnorm/mul", mul),
               f"{layer.name}/batchnorm/mul_1")
    return binary(g, "ADD", m, g.const(f"{layer.name}/batchnorm/sub", sub), layer.name)


@lowering("LayerNormalization")
def layer_norm(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    g = ctx.g
    n = layer.name
    axis = layer.get("axis", -1)
    axes = sorted(int(a) % len(x.shape) for a in (axis if isinstance(axis, list) else [axis]))
    if 0 in axes:
        raise layer.unsupported("normalizing over the batch axis is not supported")
    w = list(layer.weights)
    gamma = w.pop(0) if layer.get("scale", True) else None
    beta = w.pop(0) if layer.get("center", True) else None
    pshape = _param_shape(x, axes)[1:] if axes != [len(x.shape) - 1] else [x.shape[-1]]
    keep = [d if i not in axes else 1 for i, d in enumerate(x.shape)]
    ax = const_int(g, f"{n}/axes", axes)
    eps = float(layer.get("epsilon", 1e-3))
    if layer.get("rms_scaling", False):
        sq = binary(g, "MUL", x, x, f"{n}/square")
        ms = g.op("MEAN", [sq, ax], f"{n}/mean_square", keep, keep_dims=True)
        r = unary(g, "RSQRT", binary(g, "ADD", ms, scalar(g, f"{n}/eps", eps), f"{n}/add"),
                  f"{n}/rsqrt")
        y = binary(g, "MUL", x, r, f"{n}/normalized" if gamma is not None else n)
        if gamma is not None:
            y = binary(g, "MUL", y, g.const(f"{n}/gamma", gamma.reshape(pshape)), n)
        return y
    # (x - mean)^2 as MUL of the centred values rather than SQUARED_DIFFERENCE, which LiteRT
    # has no 16x8 kernel for; the centred values are needed anyway.
    mean = g.op("MEAN", [x, ax], f"{n}/mean", keep, keep_dims=True)
    d = binary(g, "SUB", x, mean, f"{n}/centered")
    sd = binary(g, "MUL", d, d, f"{n}/squared")
    var = g.op("MEAN", [sd, const_int(g, f"{n}/axes", axes)], f"{n}/variance", keep,
               keep_dims=True)
    r = unary(g, "RSQRT", binary(g, "ADD", var, scalar(g, f"{n}/eps", eps), f"{n}/add"),
              f"{n}/rsqrt")
    last = n if gamma is None and beta is None else f"{n}/normalized"
    y = binary(g, "MUL", d, r, last)
    if gamma is not None:
        last = n if beta is None else f"{n}/scaled"
        y = binary(g, "MUL", y, g.const(f"{n}/gamma", gamma.reshape(pshape)), last)
    if beta is not None:
        y = binary(g, "ADD", y, g.const(f"{n}/beta", beta.reshape(pshape)), n)
    return y


@lowering("Rescaling")
def rescaling(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    g = ctx.g
    scale = np.asarray(_unwrap(layer.get("scale", 1.0)), np.float32)
    offset = np.asarray(_unwrap(layer.get("offset", 0.0)), np.float32)
    y = x
    if not np.all(scale == 1.0):
        y = binary(g, "MUL", y, g.const(f"{layer.name}/scale", scale),
                   layer.name if np.all(offset == 0.0) else f"{layer.name}/mul")
    if not np.all(offset == 0.0):
        y = binary(g, "ADD", y, g.const(f"{layer.name}/offset", offset), layer.name)
    return y


def _unwrap(v: Any) -> Any:
    """Config values that Keras serialized as tensors or arrays."""
    if isinstance(v, dict):
        cfg = v.get("config", v)
        if isinstance(cfg, dict) and "value" in cfg:
            return cfg["value"]
    return v


@lowering("Normalization")
def normalization(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    g = ctx.g
    axis = layer.get("axis", -1)
    axes = [] if axis is None else \
        [int(a) % len(x.shape) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    mean = _unwrap(layer.get("mean"))
    var = _unwrap(layer.get("variance"))
    if mean is None or var is None:
        w = layer.need_weights(2)
        mean, var = w[0], w[1]
    bshape_ = _param_shape(x, axes)[1:]
    mean = np.broadcast_to(np.asarray(mean, np.float32).reshape(
        bshape_ if np.size(mean) > 1 else ()), bshape_ if np.size(mean) > 1 else ())
    var = np.broadcast_to(np.asarray(var, np.float32).reshape(
        bshape_ if np.size(var) > 1 else ()), bshape_ if np.size(var) > 1 else ())
    std = np.maximum(np.sqrt(var), np.float32(1e-7)).astype(np.float32)
    if layer.get("invert", False):
        y = binary(g, "MUL", x, g.const(f"{layer.name}/std", std), f"{layer.name}/mul")
        return binary(g, "ADD", y, g.const(f"{layer.name}/mean", mean), layer.name)
    y = binary(g, "SUB", x, g.const(f"{layer.name}/mean", mean), f"{layer.name}/sub")
    return binary(g, "MUL", y, g.const(f"{layer.name}/inv_std",
                                       (np.float32(1.0) / std).astype(np.float32)), layer.name)


# -- Embedding --------------------------------------------------------------------------------
@lowering("Embedding")
def embedding(ctx: Context, layer: Layer, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    g = ctx.g
    (table,) = layer.need_weights(1)[:1]
    idx = x
    if x.dtype != "int32":
        idx = g.op("CAST", [x], f"{layer.name}/Cast", x.shape, "int32",
                   in_data_type=x.dtype, out_data_type="int32")
    params = g.const(f"{layer.name}/embeddings", table)
    return g.op("GATHER", [params, idx], layer.name, (*x.shape, table.shape[1]), axis=0)
