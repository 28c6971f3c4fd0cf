"""UNIDIRECTIONAL_SEQUENCE_LSTM, float kernel (tflite/kernels/unidirectional_sequence_lstm.cc,
lstm_eval.cc EvalFloat / LstmStepFloat / CalculateLstmGateFloat).

Inputs by TFLite index: 0 input [batch, time, n_input] ([time, batch, ...] with time_major);
1-4 input-to-{input, forget, cell, output} weights [n_cell, n_input]; 5-8 recurrent-to-same
[n_cell, n_output] (or [n_cell] with diagonal_recurrent_tensors); 9-11 peephole
cell-to-{input, forget, output} [n_cell]; 12-15 gate biases; 16-17 projection weights
[n_output, n_cell] and bias; 18 output state and 19 cell state (variable tensors: LiteRT starts
them at zero, and edgequant hands the kernel None for them, so None means zeros); 20-23
layer-norm coefficients. Omitted input-gate tensors (1, 5, 9, 12, 20) mean CIFG: the input
gate is 1 - forget gate.

Per step: each gate is bias + W x + R h (+ peephole P . c), or with layer norm
ln . normalize(W x + R h + P . c) + bias (mean/variance over the cell, epsilon 1e-8); sigmoid
for the input, forget and output gates and the fused activation for the cell gate;
c = f . c + i . g, clipped to +-cell_clip when cell_clip > 0; the output gate's peephole sees
the new c; h = o . act(c), then h = clip(Proj h + bias) with a projection.

LiteRT quirks reproduced: with fused activation NONE the kernel never writes the activation's
destination buffer, so (a) h = o . g (the cell gate) instead of o . c, and (b) the cell gate
keeps its initial value (the bias, or 0 with layer norm) whenever the pre-activation sum ended
in the other scratch buffer: input all zeros with a full recurrent matrix, or a non-zero input
with a diagonal one. "Input all zeros" is judged per batch row in batch-major layout and over
the whole time step in time-major layout.

The state tensors are updated in place by LiteRT and so carry over between invocations; this
functional kernel always starts from the given (or zero) state.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext, fused_activation, randn

OP = "UNIDIRECTIONAL_SEQUENCE_LSTM"
OPTIONS = "UnidirectionalSequenceLSTMOptions"

Arr = Optional[np.ndarray]
# The input, forget and output gates' own nonlinearity (not a schema fused activation).
_SIGMOID = "SIGMOID"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32)


def _layer_norm(x: np.ndarray) -> np.ndarray:
    n = np.float32(x.shape[-1])
    mean = np.add.accumulate(x, axis=-1, dtype=np.float32)[..., -1:] / n
    diff = x - mean
    var = np.add.accumulate(diff * diff, axis=-1, dtype=np.float32)[..., -1:] / n
    inv = np.float32(1) / np.sqrt(var + np.float32(1e-8))
    return (diff * inv).astype(np.float32)


def _gate(x: np.ndarray, h: np.ndarray, c: Arr, zero_in: np.ndarray, w: np.ndarray,
          r: np.ndarray, peep: Arr, ln: Arr, bias: np.ndarray, act: str) -> np.ndarray:
    diag = r.ndim == 1
    pre = (x @ w.T).astype(np.float32)
    pre = np.where(zero_in, np.float32(0), pre)  # the kernel skips W x for all-zero input
    if ln is None:
        pre = pre + bias
    pre = pre + (h * r if diag else h @ r.T)
    if peep is not None:
        pre = pre + peep * c
    if ln is not None:
        pre = _layer_norm(pre.astype(np.float32)) * ln + bias
    pre = pre.astype(np.float32)
    if act == _SIGMOID:
        return _sigmoid(pre)
    if act in ("NONE", 0):
        init = np.zeros_like(pre) if ln is not None else np.broadcast_to(bias, pre.shape)
        lost = zero_in != diag  # the sum landed in the scratch buffer, see module docstring
        return np.where(lost, init, pre).astype(np.float32)
    return fused_activation(pre, act)


def run_float(ctx: OpContext, x: np.ndarray, *rest: Arr) -> np.ndarray:
    o = ctx.options
    if len(rest) + 1 not in (20, 24):
        raise ValueError(f"{OP} takes 20 or 24 inputs, got {len(rest) + 1}")
    args: list[Arr] = list(rest) + [None] * (23 - len(rest))
    (wi, wf, wc, wo, ri, rf, rc, ro, pi, pf, po, bi, bf, bc, bo, proj_w, proj_b,
     h0, c0, lni, lnf, lnc, lno) = args
    if lnf is None:  # 24 inputs but no forget coefficients: not a layer-norm LSTM
        lni = lnc = lno = None
    if x.ndim != 3:
        raise ValueError(f"{OP} input must be 3-D, got shape {list(x.shape)}")
    if x.dtype != np.float32 or wf is None or wf.dtype != np.float32:
        raise TypeError(f"{OP} float kernel needs float32 input and weights")
    time_major = bool(o.get("time_major", False))
    seq = x if time_major else np.swapaxes(x, 0, 1)  # [time, batch, n_input]
    n_time, n_batch = seq.shape[:2]
    n_cell = wo.shape[0]
    n_output = ro.shape[0] if ro.ndim == 1 else ro.shape[1]
    cifg = wi is None
    act = o.get("fused_activation_function", "TANH")
    cell_clip = np.float32(o.get("cell_clip", 0.0) or 0.0)
    proj_clip = np.float32(o.get("proj_clip", 0.0) or 0.0)
    if cell_clip < 0 or proj_clip < 0:
        raise ValueError(f"{OP}: cell_clip and proj_clip must be >= 0")

    h = (np.zeros((n_batch, n_output), np.float32) if h0 is None
         else np.asarray(h0, np.float32).reshape(n_batch, n_output))
    c = (np.zeros((n_batch, n_cell), np.float32) if c0 is None
         else np.asarray(c0, np.float32).reshape(n_batch, n_cell))
    outs = np.empty((n_time, n_batch, n_output), np.float32)
    for t in range(n_time):
        xt = seq[t]
        if time_major:
            zero_in = np.full((n_batch, 1), not np.any(xt))
        else:
            zero_in = ~np.any(xt, axis=1, keepdims=True)
        if not cifg:
            ig = _gate(xt, h, c, zero_in, wi, ri, pi, lni, bi, _SIGMOID)
        fg = _gate(xt, h, c, zero_in, wf, rf, pf, lnf, bf, _SIGMOID)
        g = _gate(xt, h, None, zero_in, wc, rc, None, lnc, bc, act)
        c = (fg * c + g * ((np.float32(1) - fg) if cifg else ig)).astype(np.float32)
        if cell_clip > 0:
            c = np.clip(c, -cell_clip, cell_clip)
        og = _gate(xt, h, c, zero_in, wo, ro, po, lno, bo, _SIGMOID)
        # With activation NONE the kernel multiplies by the untouched cell-gate buffer.
        hc = (og * (g if act in ("NONE", 0) else fused_activation(c, act))).astype(np.float32)
        if proj_w is not None:
            h = (hc @ proj_w.T).astype(np.float32)
            if proj_b is not None:
                h = h + proj_b
            if proj_clip > 0:
                h = np.clip(h, -proj_clip, proj_clip)
            h = h.astype(np.float32)
        else:
            h = hc
        outs[t] = h
    return outs if time_major else np.ascontiguousarray(np.swapaxes(outs, 0, 1))


def version(op: Operator) -> int:
    ins = op.inputs
    src = ins[0].dtype if ins and ins[0] is not None else "float32"
    weight = ins[2].dtype if len(ins) > 2 and ins[2] is not None else src
    if src == "int16" and weight == "int8" and op.outputs[0].dtype == "int16":
        v = 5
    elif op.options.get("diagonal_recurrent_tensors"):
        v = 4
    elif src == "float32" and weight == "int8" and op.outputs[0].dtype == "float32":
        v = 3 if op.options.get("asymmetric_quantize_inputs") else 2
    else:
        v = 1
    # BUILTIN_REF registers versions 1-3 only.
    return min(v, 3)


# -- examples ------------------------------------------------------------------------------

def _lstm(rng: np.random.Generator, name: str, *, batch: int = 2, time: int = 4,
          n_input: int = 3, n_cell: int = 5, n_output: Optional[int] = None,
          cifg: bool = False, peephole: bool = False, projection: bool = False,
          proj_bias: bool = True, layer_norm: bool = False, diagonal: bool = False,
          zero_step: bool = False, **options: object) -> Example:
    n_output = n_output or n_cell
    if diagonal:
        n_output = n_cell

    def mat(*shape: int) -> Const:
        return Const(randn(rng, *shape, scale=0.5))

    x = randn(rng, batch, time, n_input)
    if zero_step:
        x[0, 1] = 0.0  # one all-zero input row (batch-major: judged per row)
    if options.get("time_major"):
        x = np.ascontiguousarray(np.swapaxes(x, 0, 1))
        if zero_step:
            x[2] = 0.0
    rec = (lambda: mat(n_cell)) if diagonal else (lambda: mat(n_cell, n_output))
    inputs: list = [x]
    inputs += [None if cifg else mat(n_cell, n_input)] + [mat(n_cell, n_input)
                                                           for _ in range(3)]
    inputs += [None if cifg else rec()] + [rec() for _ in range(3)]
    inputs += ([None if cifg else mat(n_cell), mat(n_cell), mat(n_cell)] if peephole
               else [None, None, None])
    inputs += [None if cifg else mat(n_cell)] + [mat(n_cell) for _ in range(3)]
    inputs += ([mat(n_output, n_cell), mat(n_output) if proj_bias else None] if projection
               else [None, None])
    inputs += [np.zeros((batch, n_output), np.float32), np.zeros((batch, n_cell), np.float32)]
    if layer_norm:
        inputs += [None if cifg else mat(n_cell)] + [mat(n_cell) for _ in range(3)]
    opts = {"fused_activation_function": "TANH", "cell_clip": 0.0, "proj_clip": 0.0,
            "time_major": False}
    opts.update(options)
    if diagonal:
        opts["diagonal_recurrent_tensors"] = True
    return Example(inputs, opts, name, rtol=1e-5, atol=2e-6, variables=(18, 19))


EXAMPLES = [
    lambda rng: _lstm(rng, "basic tanh"),
    lambda rng: _lstm(rng, "time_major cifg cell_clip", cifg=True, time_major=True,
                      cell_clip=0.4, batch=3, time=5),
    lambda rng: _lstm(rng, "peephole projection proj_clip", peephole=True, projection=True,
                      n_output=3, proj_clip=0.3, n_cell=6),
    lambda rng: _lstm(rng, "layer norm, projection without bias", layer_norm=True,
                      projection=True, proj_bias=False, n_output=4, peephole=True),
    lambda rng: _lstm(rng, "cifg layer norm relu6", cifg=True, layer_norm=True,
                      fused_activation_function="RELU6", cell_clip=2.0),
    lambda rng: _lstm(rng, "diagonal recurrent, activation NONE, zero step", diagonal=True,
                      fused_activation_function="NONE", zero_step=True),
]
