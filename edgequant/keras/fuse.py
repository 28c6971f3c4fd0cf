"""Graph tidying after lowering, as TensorFlow's converter does it (the TFLite MLIR
``optimize`` patterns FuseBinaryOpToFollowingAffineOp's counterparts for preceding ops,
FuseFullyConnectedAndRelu, fused activations on binary ops, pad into SAME convolution):

* ``MUL``/``ADD`` by a per-channel (or scalar) constant right after a CONV_2D,
  DEPTHWISE_CONV_2D, FULLY_CONNECTED or TRANSPOSE_CONV is folded into its weights and bias
  (this is where a BatchNormalization goes);
* ``RELU``/``RELU6``/``RELU_N1_TO_1`` after an op with a fused activation slot becomes that
  op's ``fused_activation_function``;
* a zero ``PAD`` of the spatial axes feeding a VALID CONV_2D / DEPTHWISE_CONV_2D becomes SAME
  padding when it pads exactly as SAME would.

Each fold needs the producer's output to have no other reader and not be a graph output.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Operator, Tensor
from ..ops import get as get_op
from .graph import Graph

_AFFINE = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0, "TRANSPOSE_CONV": 0}
_ACT_HOSTS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL")
_ACTS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


class _Uses:
    def __init__(self, g: Graph):
        self.producer: dict[int, Operator] = {}
        self.readers: dict[int, int] = {}
        for op in g.ops:
            for t in op.outputs:
                self.producer[id(t)] = op
            for t in op.inputs:
                if t is not None:
                    self.readers[id(t)] = self.readers.get(id(t), 0) + 1
        for t in g.outputs:
            self.readers[id(t)] = self.readers.get(id(t), 0) + 100  # never fold away

    def sole(self, t: Tensor) -> Operator | None:
        """The op producing ``t`` if ``t`` has exactly one reader and is not an output."""
        if self.readers.get(id(t), 0) != 1:
            return None
        return self.producer.get(id(t))


def _bias_input(op: Operator) -> int:
    return 3 if op.type == "TRANSPOSE_CONV" else 2


def _fold_affine(g: Graph) -> bool:
    uses = _Uses(g)
    for op in list(g.ops):
        if op.type not in ("MUL", "ADD") or op.options.get("fused_activation_function",
                                                           "NONE") != "NONE":
            continue
        a, b = op.inputs
        if a.data is None and b is not None and b.data is not None:
            act, c = a, b
        elif b.data is None and a.data is not None:
            act, c = b, a
        else:
            continue
        prod = uses.sole(act)
        if prod is None or prod.type not in _AFFINE \
                or prod.options.get("fused_activation_function", "NONE") != "NONE":
            continue
        w = prod.inputs[1]
        if w is None or w.data is None or w.dtype != "float32":
            continue
        channels = prod.outputs[0].shape[-1]
        cv = np.asarray(c.data, np.float32)
        if cv.ndim > 0 and (cv.shape[-1] not in (1, channels) or any(d != 1
                                                                    for d in cv.shape[:-1])):
            continue
        if cv.ndim > len(prod.outputs[0].shape):
            continue
        vec = np.broadcast_to(cv.reshape(-1) if cv.ndim else cv, (channels,)).astype(np.float32)
        bi = _bias_input(prod)
        bias_t = prod.inputs[bi] if len(prod.inputs) > bi else None
        bias = np.zeros(channels, np.float32) if bias_t is None else \
            np.asarray(bias_t.data, np.float32)
        if op.type == "MUL":
            axis = _AFFINE[prod.type]
            shape = [1] * w.data.ndim
            shape[axis] = channels
            new_w = (w.data * vec.reshape(shape)).astype(np.float32)
            prod.inputs[1] = g.const(w.name, new_w)
            bias = (bias * vec).astype(np.float32)
        else:
            bias = (bias + vec).astype(np.float32)
        name = bias_t.name if bias_t is not None else f"{prod.outputs[0].name}/bias"
        new_b = g.const(name, bias)
        while len(prod.inputs) <= bi:
            prod.inputs.append(None)
        prod.inputs[bi] = new_b
        prod.outputs[0] = op.outputs[0]
        g.ops.remove(op)
        return True
    return False


def _fuse_activation(g: Graph) -> bool:
    uses = _Uses(g)
    for op in list(g.ops):
        if op.type not in _ACTS:
            continue
        prod = uses.sole(op.inputs[0])
        if prod is None or prod.type not in _ACT_HOSTS \
                or prod.options.get("fused_activation_function", "NONE") != "NONE" \
                or prod.outputs[0].dtype != "float32":
            continue
        prod.options["fused_activation_function"] = _ACTS[op.type]
        prod.outputs[0] = op.outputs[0]
        g.ops.remove(op)
        return True
    return False


def _same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = math.ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _fold_pad(g: Graph) -> bool:
    uses = _Uses(g)
    consumers: dict[int, list[Operator]] = {}
    for op in g.ops:
        for t in op.inputs:
            if t is not None:
                consumers.setdefault(id(t), []).append(op)
    for pad in list(g.ops):
        if pad.type != "PAD" or pad.inputs[1].data is None:
            continue
        out = pad.outputs[0]
        if uses.readers.get(id(out), 0) != 1:
            continue
        (conv,) = consumers.get(id(out), [None])
        if conv is None or conv.type not in ("CONV_2D", "DEPTHWISE_CONV_2D") \
                or conv.inputs[0] is not out or conv.options.get("padding") != "VALID":
            continue
        p = np.asarray(pad.inputs[1].data).tolist()
        if len(p) != 4 or p[0] != [0, 0] or p[3] != [0, 0]:
            continue
        x = pad.inputs[0]
        w = conv.inputs[1]
        kh, kw = w.shape[1], w.shape[2]
        o = conv.options
        want = [list(_same_pads(x.shape[1], kh, o["stride_h"], o["dilation_h_factor"])),
                list(_same_pads(x.shape[2], kw, o["stride_w"], o["dilation_w_factor"]))]
        if [p[1], p[2]] != want:
            continue
        conv.inputs[0] = x
        conv.options["padding"] = "SAME"
        g.ops.remove(pad)
        return True
    return False


def run(g: Graph) -> None:
    while _fold_pad(g):
        pass
    while _fold_affine(g):
        pass
    while _fuse_activation(g):
        pass
    for op in g.ops:
        mod = get_op(op.type)
        if hasattr(mod, "version"):
            op.version = mod.version(op)
