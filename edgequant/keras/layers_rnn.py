"""Lowerings of Keras's recurrent layers (LSTM, GRU, SimpleRNN).

Without ``return_sequences``, the layer becomes what TensorFlow's converter makes of Keras 3's
``while_loop``: the input is made time-major (TRANSPOSE, or a RESHAPE for batch 1), a WHILE
op carries (step, states..., sequence) through a cond subgraph (``step < T``) and a body
subgraph that GATHERs step ``t`` and runs one cell step with FULLY_CONNECTED, SPLIT, LOGISTIC,
TANH, MUL and ADD, and the last hidden state is the output. These are all ops edgequant
calibrates and quantizes (int8, 16x8) inside loop bodies, which LiteRT's fused
UNIDIRECTIONAL_SEQUENCE_LSTM is not in int8 from a float model. With ``return_sequences`` the
steps are unrolled (T copies of the cell, then PACK along time), since a loop would need to
write a growing tensor.

Cell maths (keras/src/layers/rnn/{lstm,gru,simple_rnn}.py): gate order i, f, c, o (LSTM) and
z, r, h (GRU); GRU ``reset_after`` applies the reset gate after the recurrent matmul with a
separate recurrent bias (bias shape [2, 3U]); the state update is ``h = z*h + (1-z)*hh``.
Initial states are zero; ``stateful`` layers and masks are not supported.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Tensor
from .base import Context, Layer, lowering
from .graph import Graph, const_int
from .layers_core import apply_activation, binary


def _fc(g: Graph, x: Tensor, kernel: np.ndarray, bias: np.ndarray | None, name: str) -> Tensor:
    w = g.const(f"{name}/MatMul", np.ascontiguousarray(kernel.T))
    b = g.const(f"{name}/BiasAdd", bias) if bias is not None else None
    return g.op("FULLY_CONNECTED", [x, w, b], name, (x.shape[0], kernel.shape[1]))


def _split(g: Graph, x: Tensor, n: int, name: str) -> list[Tensor]:
    b, width = x.shape
    outs = [g.tensor(f"{name}_{i}" if i else name, (b, width // n)) for i in range(n)]
    g.op("SPLIT", [const_int(g, f"{name}/axis", 1), x], name, outputs=outs, num_splits=n)
    return outs


Step = Callable[[Graph, Tensor, list[Tensor], str], tuple[Tensor, list[Tensor]]]


class _Cell:
    def __init__(self, layer: Layer):
        self.layer = layer
        self.units = int(layer.get("units"))
        self.act = layer.get("activation", "tanh")
        self.rec_act = layer.get("recurrent_activation", "sigmoid")
        self.use_bias = bool(layer.get("use_bias", True))
        w = layer.need_weights(2)
        self.kernel, self.recurrent = w[0], w[1]
        self.bias = w[2] if self.use_bias and len(w) > 2 else None
        kind = layer.class_name
        self.n_states = 2 if kind == "LSTM" else 1
        self.step: Step = {"LSTM": self.lstm, "GRU": self.gru, "SimpleRNN": self.simple}[kind]

    def _act(self, g: Graph, x: Tensor, act: object, name: str) -> Tensor:
        return apply_activation(g, self.layer, x, act, name)

    def lstm(self, g: Graph, x: Tensor, states: list[Tensor], p: str
             ) -> tuple[Tensor, list[Tensor]]:
        h, c = states
        zx = _fc(g, x, self.kernel, self.bias, f"{p}/MatMul")
        zh = _fc(g, h, self.recurrent, None, f"{p}/MatMul_1")
        z = binary(g, "ADD", zx, zh, f"{p}/BiasAdd")
        i, f, cc, o = _split(g, z, 4, f"{p}/split")
        i = self._act(g, i, self.rec_act, f"{p}/Sigmoid")
        f = self._act(g, f, self.rec_act, f"{p}/Sigmoid_1")
        fc = binary(g, "MUL", f, c, f"{p}/mul")
        o = self._act(g, o, self.rec_act, f"{p}/Sigmoid_2")
        cc = self._act(g, cc, self.act, f"{p}/Tanh")
        ic = binary(g, "MUL", i, cc, f"{p}/mul_1")
        c2 = binary(g, "ADD", fc, ic, f"{p}/add")
        h2 = binary(g, "MUL", o, self._act(g, c2, self.act, f"{p}/Tanh_1"), f"{p}/mul_2")
        return h2, [h2, c2]

    def gru(self, g: Graph, x: Tensor, states: list[Tensor], p: str
            ) -> tuple[Tensor, list[Tensor]]:
        (h,) = states
        u = self.units
        reset_after = bool(self.layer.get("reset_after", True))
        b_in = b_rec = None
        if self.bias is not None:
            if reset_after:
                b_in, b_rec = self.bias[0], self.bias[1]
            else:
                b_in = self.bias
        xz, xr, xh = _split(g, _fc(g, x, self.kernel, b_in, f"{p}/MatMul"), 3, f"{p}/split")
        if reset_after:
            hz, hr, hh_in = _split(g, _fc(g, h, self.recurrent, b_rec, f"{p}/MatMul_1"), 3,
                                   f"{p}/split_1")
        else:
            hz, hr = _split(g, _fc(g, h, self.recurrent[:, :2 * u], None, f"{p}/MatMul_1"), 2,
                            f"{p}/split_1")
        z = self._act(g, binary(g, "ADD", xz, hz, f"{p}/add"), self.rec_act, f"{p}/Sigmoid")
        r = self._act(g, binary(g, "ADD", xr, hr, f"{p}/add_1"), self.rec_act,
                      f"{p}/Sigmoid_1")
        if reset_after:
            rh = binary(g, "MUL", r, hh_in, f"{p}/mul")
        else:
            rh = _fc(g, binary(g, "MUL", r, h, f"{p}/mul"), self.recurrent[:, 2 * u:], None,
                     f"{p}/MatMul_2")
        hh = self._act(g, binary(g, "ADD", xh, rh, f"{p}/add_2"), self.act, f"{p}/Tanh")
        # z*h + (1-z)*hh == hh + z*(h - hh)
        d = binary(g, "SUB", h, hh, f"{p}/sub")
        h2 = binary(g, "ADD", hh, binary(g, "MUL", z, d, f"{p}/mul_1"), f"{p}/add_3")
        return h2, [h2]

    def simple(self, g: Graph, x: Tensor, states: list[Tensor], p: str
               ) -> tuple[Tensor, list[Tensor]]:
        (h,) = states
        zx = _fc(g, x, self.kernel, self.bias, f"{p}/MatMul")
        zh = _fc(g, h, self.recurrent, None, f"{p}/MatMul_1")
        h2 = self._act(g, binary(g, "ADD", zx, zh, f"{p}/add"), self.act, f"{p}/Tanh")
        return h2, [h2]


@lowering("LSTM", "GRU", "SimpleRNN")
def recurrent(ctx: Context, layer: Layer, inputs: list[Tensor]) -> list[Tensor] | Tensor:
    x = inputs[0]
    if len(inputs) > 1:
        raise layer.unsupported("initial states or masks as inputs are not supported")
    if layer.get("stateful", False):
        raise layer.unsupported("stateful=True is not supported")
    if len(x.shape) != 3:
        raise layer.unsupported(f"expects [batch, time, features], got {list(x.shape)}")
    cell = _Cell(layer)
    if layer.get("return_sequences", False):
        out, states = _unrolled(ctx, layer, cell, x)
    else:
        out, states = _loop(ctx, layer, cell, x)
    if layer.get("return_state", False):
        return [out, *states]
    return out


def _zeros(g: Graph, name: str, b: int, u: int) -> Tensor:
    return g.const(name, np.zeros((b, u), np.float32))


def _unrolled(ctx: Context, layer: Layer, cell: _Cell, x: Tensor
              ) -> tuple[Tensor, list[Tensor]]:
    g = ctx.g
    b, steps, _ = x.shape
    states = [_zeros(g, f"{layer.name}/zeros_{i}", b, cell.units)
              for i in range(cell.n_states)]
    order = range(steps - 1, -1, -1) if layer.get("go_backwards", False) else range(steps)
    outs = []
    for k, t in enumerate(order):
        xt = g.op("GATHER", [x, const_int(g, f"{layer.name}/t{t}", t)], f"{layer.name}/x{t}",
                  (b, x.shape[2]), axis=1)
        h, states = cell.step(g, xt, states, f"{layer.name}/step{k}")
        outs.append(h)
    seq = g.op("PACK", outs, layer.name, (b, steps, cell.units), values_count=steps, axis=1)
    return seq, states


def _loop(ctx: Context, layer: Layer, cell: _Cell, x: Tensor) -> tuple[Tensor, list[Tensor]]:
    g = ctx.g
    b, steps, feat = x.shape
    n = layer.name
    if b == 1:
        xs = g.op("RESHAPE", [x, const_int(g, f"{n}/transpose/perm", [steps, 1, feat])],
                  f"{n}/transpose", (steps, 1, feat))
    else:
        xs = g.op("TRANSPOSE", [x, const_int(g, f"{n}/transpose/perm", [1, 0, 2])],
                  f"{n}/transpose", (steps, b, feat))
    shapes = [(), *[(b, cell.units)] * cell.n_states, (steps, b, feat)]
    dtypes = ["int32", *["float32"] * cell.n_states, "float32"]

    cond = Graph(f"{n}/while_cond")
    cargs = [cond.input(f"{n}/while_cond_arg{i}", s, d)
             for i, (s, d) in enumerate(zip(shapes, dtypes))]
    cond.outputs = [cond.op("LESS", [cargs[0], const_int(cond, f"{n}/steps", steps)],
                            f"{n}/while/Less", (), "bool")]

    body = Graph(f"{n}/while_body")
    bargs = [body.input(f"{n}/while_body_arg{i}", s, d)
             for i, (s, d) in enumerate(zip(shapes, dtypes))]
    t = bargs[0]
    idx = t
    if layer.get("go_backwards", False):
        idx = body.op("SUB", [const_int(body, f"{n}/last", steps - 1), t], f"{n}/while/rev",
                      (), "int32")
    xt = body.op("GATHER", [bargs[-1], idx], f"{n}/while/TensorArrayV2Read", (b, feat), axis=0)
    t1 = body.op("ADD", [t, const_int(body, f"{n}/one", 1)], f"{n}/while/add", (), "int32")
    _, new_states = cell.step(body, xt, bargs[1:-1], f"{n}/while/cell")
    body.outputs = [t1, *new_states, bargs[-1]]

    cond_sg = ctx.add_subgraph(cond.subgraph())
    body_sg = ctx.add_subgraph(body.subgraph())
    init = [const_int(g, f"{n}/time", 0),
            *[_zeros(g, f"{n}/zeros_{i}", b, cell.units) for i in range(cell.n_states)], xs]
    outs = [g.tensor(f"{n}/while" + (f"_{i}" if i else ""), s, d, batched=False)
            for i, (s, d) in enumerate(zip(shapes, dtypes))]
    g.op("WHILE", init, f"{n}/while", outputs=outs, cond_subgraph_index=cond_sg,
         body_subgraph_index=body_sg)
    states = outs[1:-1]
    return states[0], states
