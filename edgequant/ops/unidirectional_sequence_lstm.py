"""UNIDIRECTIONAL_SEQUENCE_LSTM: float kernel (tflite/kernels/unidirectional_sequence_lstm.cc,
lstm_eval.cc EvalFloat / LstmStepFloat / CalculateLstmGateFloat) and hybrid kernel (float
input, int8 weights: lstm_eval.cc EvalHybrid / LstmStepHybrid / CalculateLstmGateHybrid).

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

Hybrid kernel (``run_hybrid``, versions 2 / 3 with ``asymmetric_quantize_inputs``): bit-exact
with LiteRT 2.3 on x86-64 (BUILTIN_REF, and AUTO too: XNNPACK never takes an LSTM and both
resolvers register the same kernel, so every profile runs it). Weights 1-11 and 16 are int8
(or uint8, read as int8 bytes) with one per-tensor scale; a diagonal recurrent vector stays
float; biases and layer-norm coefficients are float. It refuses what LiteRT refuses (float
recurrent or peephole tensors next to int8 ones) and what LiteRT silently misreads (float
input or projection matrices, int8 diagonal vectors, per-channel scales, which LiteRT reads as
scale 0). The float32 arithmetic follows LiteRT's x86 build op for op (see run_hybrid and
_hybrid_lstm): per-row input quantization (_hybrid's Neon quantizers), exact int32 dot
products with the SSE -128 wrap and 16-bit row-sum lanes, Eigen's logistic whose packet /
scalar split depends on each gate row's offset in LiteRT's scratch buffer (so, as in LiteRT,
the same sample can differ in the last bit between batch sizes), Eigen's tanh. Quirk (a) above
applies; (b) does not (hybrid gates accumulate in place).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Operator
from ..weights import symmetric_int8
from . import _hybrid
from . import _hybrid_lstm as _hl
from ._base import Const, Example, OpContext, fused_activation, randn

OP = "UNIDIRECTIONAL_SEQUENCE_LSTM"
OPTIONS = "UnidirectionalSequenceLSTMOptions"

Arr = np.ndarray | None
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


@dataclass
class _Args:
    """The op's inputs by role (see the module docstring), its options and sizes."""

    wx: list[Arr]       # input-to-gate weights, gate order i, f, c, o
    wr: list[Arr]       # recurrent weights
    peep: list[Arr]     # peephole i, f, o
    bias: list[Arr]
    ln: list[Arr]       # layer-norm coefficients (all None without layer norm)
    proj_w: Arr
    proj_b: Arr
    h0: Arr
    c0: Arr
    seq: np.ndarray     # [time, batch, n_input]
    time_major: bool
    n_cell: int
    n_output: int
    act: str
    cell_clip: np.float32
    proj_clip: np.float32

    @property
    def cifg(self) -> bool:
        return self.wx[0] is None

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        n_batch = self.seq.shape[1]
        h = (np.zeros((n_batch, self.n_output), np.float32) if self.h0 is None
             else np.asarray(self.h0, np.float32).reshape(n_batch, self.n_output))
        c = (np.zeros((n_batch, self.n_cell), np.float32) if self.c0 is None
             else np.asarray(self.c0, np.float32).reshape(n_batch, self.n_cell))
        return h, c

    def output(self, outs: np.ndarray) -> np.ndarray:
        """[time, batch, n_output] -> the op's output layout."""
        return outs if self.time_major else np.ascontiguousarray(np.swapaxes(outs, 0, 1))


def _unpack(ctx: OpContext, x: np.ndarray, rest: tuple) -> _Args:
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
    if wf is None or wc is None or wo is None or rf is None or rc is None or ro is None:
        raise ValueError(f"{OP}: the forget, cell and output gate weights are required")
    if (wi is None) != (ri is None):
        raise ValueError(f"{OP}: input-to-input and recurrent-to-input weights must both be "
                         "present (LSTM) or both omitted (CIFG)")
    time_major = bool(o.get("time_major", False))
    cell_clip = np.float32(o.get("cell_clip", 0.0) or 0.0)
    proj_clip = np.float32(o.get("proj_clip", 0.0) or 0.0)
    if cell_clip < 0 or proj_clip < 0:
        raise ValueError(f"{OP}: cell_clip and proj_clip must be >= 0")
    return _Args(
        wx=[wi, wf, wc, wo], wr=[ri, rf, rc, ro], peep=[pi, pf, po], bias=[bi, bf, bc, bo],
        ln=[lni, lnf, lnc, lno], proj_w=proj_w, proj_b=proj_b, h0=h0, c0=c0,
        seq=x if time_major else np.swapaxes(x, 0, 1), time_major=time_major,
        n_cell=wo.shape[0], n_output=ro.shape[0] if ro.ndim == 1 else ro.shape[1],
        act=o.get("fused_activation_function", "TANH"), cell_clip=cell_clip,
        proj_clip=proj_clip)


def run_float(ctx: OpContext, x: np.ndarray, *rest: Arr) -> np.ndarray:
    a = _unpack(ctx, x, rest)
    if x.dtype != np.float32 or a.wx[1].dtype != np.float32:
        raise TypeError(f"{OP} float kernel needs float32 input and weights")
    (wi, wf, wc, wo), (ri, rf, rc, ro) = a.wx, a.wr
    pi, pf, po = a.peep
    bi, bf, bc, bo = a.bias
    lni, lnf, lnc, lno = a.ln
    seq, act, cifg, time_major = a.seq, a.act, a.cifg, a.time_major
    n_time, n_batch = seq.shape[:2]
    h, c = a.initial_state()
    outs = np.empty((n_time, n_batch, a.n_output), np.float32)
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
        if a.cell_clip > 0:
            c = np.clip(c, -a.cell_clip, a.cell_clip)
        og = _gate(xt, h, c, zero_in, wo, ro, po, lno, bo, _SIGMOID)
        # With activation NONE the kernel multiplies by the untouched cell-gate buffer.
        hc = (og * (g if act in ("NONE", 0) else fused_activation(c, act))).astype(np.float32)
        if a.proj_w is not None:
            h = (hc @ a.proj_w.T).astype(np.float32)
            if a.proj_b is not None:
                h = h + a.proj_b
            if a.proj_clip > 0:
                h = np.clip(h, -a.proj_clip, a.proj_clip)
            h = h.astype(np.float32)
        else:
            h = hc
        outs[t] = h
    return a.output(outs)


# -- hybrid kernel ----------------------------------------------------------------------------

_INT8 = (np.dtype(np.int8), np.dtype(np.uint8))
_NAMES = {1: "input_to_input", 2: "input_to_forget", 3: "input_to_cell", 4: "input_to_output",
          5: "recurrent_to_input", 6: "recurrent_to_forget", 7: "recurrent_to_cell",
          8: "recurrent_to_output", 9: "cell_to_input", 10: "cell_to_forget",
          11: "cell_to_output", 16: "projection"}


def _weight_scale(ctx: OpContext, index: int) -> np.float32:
    """GetTensorScale: the tensor's legacy per-tensor scale."""
    t = ctx.op.inputs[index]
    q = None if t is None else t.quantization
    if q is None or q.scale is None or q.scale.size == 0:
        raise ValueError(f"{OP}: int8 {_NAMES[index]} weights have no quantization scale")
    if q.scale.size != 1:
        raise ValueError(
            f"{OP}: {_NAMES[index]} weights have {q.scale.size} scales; LiteRT's hybrid LSTM "
            "reads only a per-tensor scale (a per-channel tensor's is 0, which silently zeroes "
            "every product), so quantize LSTM weights per tensor")
    return np.float32(q.scale[0])


def _check_hybrid(ctx: OpContext, x: np.ndarray, a: _Args) -> None:
    wtype = a.wx[1].dtype
    if x.dtype != np.float32 or wtype not in _INT8 or a.wx[3].dtype not in _INT8:
        raise TypeError(f"{OP} hybrid kernel needs a float32 input and int8 weights, got "
                        f"{x.dtype} input and {a.wx[3].dtype} input_to_output weights")
    # LiteRT's Prepare checks recurrent (2-D) and peephole weights against input_to_forget's
    # type; the input and projection matrices are read as int8 whatever they hold, and a
    # diagonal (1-D) recurrent vector always as float.
    for i, w in [(1, a.wx[0]), (3, a.wx[2]), (4, a.wx[3]), (16, a.proj_w)]:
        if w is not None and w.dtype != wtype:
            raise TypeError(f"{OP} hybrid: {_NAMES[i]} weights are {w.dtype}, the other "
                            f"matrices {wtype}; LiteRT would read them as int8")
    for i, w in zip((5, 6, 7, 8), a.wr):
        if w is None:
            continue
        if w.ndim == 1 and w.dtype != np.float32:
            raise TypeError(f"{OP} hybrid: diagonal {_NAMES[i]} weights must stay float32 "
                            f"(LiteRT reads them as float), got {w.dtype}")
        if w.ndim == 2 and w.dtype != wtype:
            raise TypeError(f"{OP} hybrid: {_NAMES[i]} weights are {w.dtype}, "
                            f"input_to_forget {wtype} (LiteRT requires the same type)")
    for i, w in zip((9, 10, 11), a.peep):
        if w is not None and w.dtype != wtype:
            raise TypeError(f"{OP} hybrid: peephole {_NAMES[i]} weights are {w.dtype}, "
                            f"input_to_forget {wtype} (LiteRT requires the same type)")
    for v in [*a.bias, *a.ln, a.proj_b]:
        if v is not None and v.dtype != np.float32:
            raise TypeError(f"{OP} hybrid: biases and layer-norm coefficients must be "
                            f"float32, got {v.dtype}")


def _calls(v: np.ndarray, time_major: bool) -> np.ndarray:
    """[batch, n] rows -> the vectors one tensor_utils call sees: every batch row separately
    (batch-major: LiteRT steps one row at a time) or the whole step (time-major)."""
    return v.reshape(1, -1) if time_major else v


def _per_row(flags: np.ndarray, n_batch: int) -> np.ndarray:
    """One flag per call -> one per batch row, as a [batch, 1] column."""
    return np.broadcast_to(flags.reshape(-1, 1), (n_batch, 1))


def _sigmoid_calls(a: _Args, g: int, pre: np.ndarray) -> np.ndarray:
    """Eigen logistic of gate ``g``'s rows in place in LiteRT's scratch buffer: [batch, n_cell]
    per gate, gates stored i, c, f, o (CIFG: c, f, o), so a row starts ``slot * n_cell *
    batch + b * n_cell`` floats into the 64-byte aligned buffer (batch-major rows are separate
    calls; a time-major step is one call)."""
    n_batch, n_cell = pre.shape
    slot = {0: 0, 2: 1, 1: 2, 3: 3}[g] - (1 if a.cifg else 0)
    if a.time_major:
        return _hl.eigen_logistic(pre.reshape(1, -1), slot * n_cell * n_batch).reshape(
            pre.shape)
    return _hl.eigen_logistic(pre, slot * n_cell * n_batch + np.arange(n_batch) * n_cell)


def run_hybrid(ctx: OpContext, x: np.ndarray, *rest: Arr) -> np.ndarray:
    """lstm_eval.cc EvalHybrid / LstmStepHybrid with float activations and int8 weights.

    Per step: the input and the output state are quantized per batch row (symmetric, or
    asymmetric with ``asymmetric_quantize_inputs``; skipped, with the matmuls, when the whole
    input / state of a call is zero). Each gate starts from its bias (0 with layer norm) and
    adds, in float32 and in this order, float(acc_x) * (input_scale * weight_scale),
    float(acc_h) * (state_scale * recurrent_scale) (or diag . h for a float diagonal
    recurrent vector), (float(peephole) * peephole_scale) . c; then layer norm * coefficient +
    bias; then Eigen's logistic (input, forget, output gates) or the fused activation (cell
    gate). The cell update and output are the float kernel's; a projection quantizes o . act(c)
    per row the same way, adds float(acc) * scale to its bias and clips. With activation NONE
    the output uses the cell gate (the float kernel's quirk (a); quirk (b) does not apply:
    hybrid gates accumulate in place)."""
    a = _unpack(ctx, x, rest)
    _check_hybrid(ctx, x, a)
    asym = bool(ctx.options.get("asymmetric_quantize_inputs", False))
    seq, tm = a.seq, a.time_major
    n_time, n_batch, n_input = seq.shape
    n_cell, n_output = a.n_cell, a.n_output
    gates = [g for g in range(4) if a.wx[g] is not None]           # i (unless CIFG), f, c, o
    layer_norm = a.ln[1] is not None
    f32 = np.float32

    wx_scale = {g: _weight_scale(ctx, 1 + g) for g in gates}
    mx = _hl.Matrix(ctx, "wx", _cached_concat(ctx, "wx_cat", [a.wx[g] for g in gates]))
    diag = {g: a.wr[g].ndim == 1 for g in gates}
    rec = [g for g in gates if not diag[g]]
    wr_scale = {g: _weight_scale(ctx, 5 + g) for g in rec}
    mr = (_hl.Matrix(ctx, "wr", _cached_concat(ctx, "wr_cat", [a.wr[g] for g in rec]))
          if rec else None)
    peep = {}
    for g, p in zip((0, 1, 3), a.peep):
        if p is not None and g in gates:
            w8 = p.view(np.int8) if p.dtype == np.uint8 else p
            # VectorScalarMultiply: float(int8) * scale, recomputed every step (same values).
            peep[g] = (w8.astype(f32) * _weight_scale(ctx, 9 + (0, 1, None, 2)[g])).astype(f32)
    base = {g: np.zeros(n_cell, f32) if layer_norm else np.asarray(a.bias[g], f32)
            for g in gates}

    # Input contributions of every step at once (they do not depend on the state).
    rows = np.ascontiguousarray(seq, dtype=f32).reshape(n_time * n_batch, n_input)
    if tm:
        x_zero = np.repeat(_hl.neon_is_zero(seq.reshape(n_time, -1)), n_batch)
    else:
        x_zero = _hl.neon_is_zero(rows)
    q, s, zp = _hl.quantize_rows(rows, asym)
    acc = mx.acc(q, zp if asym else None)
    x_part = {}
    for k, g in enumerate(gates):
        term = _hl.scaled(acc[:, k * n_cell:(k + 1) * n_cell], (s * wx_scale[g]).astype(f32))
        b = np.broadcast_to(base[g], term.shape)
        x_part[g] = np.where(x_zero[:, None], b, (b + term).astype(f32)).reshape(
            n_time, n_batch, n_cell)

    h, c = a.initial_state()
    outs = np.empty((n_time, n_batch, n_output), f32)
    for t in range(n_time):
        h_zero = _per_row(_hl.neon_is_zero(_calls(h, tm)), n_batch)
        h_part = {}
        if mr is not None and not h_zero.all():
            qh, sh, zh = _hl.quantize_rows(h, asym)
            acc_h = mr.acc(qh, zh if asym else None)
            for k, g in enumerate(rec):
                h_part[g] = _hl.scaled(acc_h[:, k * n_cell:(k + 1) * n_cell],
                                       (sh * wr_scale[g]).astype(f32))

        st = _Step(x_part, t, h, h_zero, h_part)
        ig = None if a.cifg else _hybrid_gate(a, st, 0, c, diag, peep)
        fg = _hybrid_gate(a, st, 1, c, diag, peep)
        g_ = _hybrid_gate(a, st, 2, None, diag, peep)
        c = (fg * c).astype(f32)
        if a.cifg:
            c = (c + (g_ * (f32(1) - fg).astype(f32)).astype(f32)).astype(f32)
        else:
            c = (c + (g_ * ig).astype(f32)).astype(f32)
        if a.cell_clip > 0:
            c = np.maximum(np.minimum(a.cell_clip, c), -a.cell_clip).astype(f32)
        og = _hybrid_gate(a, st, 3, c, diag, peep)
        # With activation NONE the kernel multiplies by the untouched cell-gate buffer.
        act_c = g_ if a.act in ("NONE", 0) else _hybrid._fc_activation(c, a.act)
        hc = (og * act_c).astype(f32)
        if a.proj_w is not None:
            h = _project(ctx, a, hc, asym)
        else:
            h = hc
        outs[t] = h
    return a.output(outs)


@dataclass
class _Step:
    """What one time step's gates share."""

    x_part: dict[int, np.ndarray]   # gate -> bias + input term, [time, batch, n_cell]
    t: int
    h: np.ndarray                   # output state before the step
    h_zero: np.ndarray              # [batch, 1]: the call's output state is all zero
    h_part: dict[int, np.ndarray]   # gate -> recurrent term (full recurrent matrices)


def _hybrid_gate(a: _Args, st: _Step, g: int, cell: np.ndarray | None, diag: dict[int, bool],
                 peep: dict[int, np.ndarray]) -> np.ndarray:
    """CalculateLstmGateHybrid for gate ``g`` (0 i, 1 f, 2 c, 3 o) after the input term."""
    f32 = np.float32
    pre = st.x_part[g][st.t]
    if diag[g]:
        step = (pre + (a.wr[g] * st.h).astype(f32)).astype(f32)
    else:
        step = (pre + st.h_part[g]).astype(f32) if g in st.h_part else pre
    pre = np.where(st.h_zero, pre, step)
    if cell is not None and g in peep:
        pre = (pre + (peep[g] * cell).astype(f32)).astype(f32)
    if a.ln[g] is not None:
        pre = (_layer_norm(pre) * a.ln[g]).astype(f32)
        pre = (pre + a.bias[g]).astype(f32)
    if g == 2:
        return _hybrid._fc_activation(pre, a.act)
    return _sigmoid_calls(a, g, pre)


def _cached_concat(ctx: OpContext, key: str, mats: list[np.ndarray]) -> np.ndarray:
    """The gate matrices stacked row-wise (one GEMM for all gates), built once per plan."""
    hit = ctx.state.get(key)
    if hit is None or len(hit[0]) != len(mats) or any(p is not m for p, m in zip(hit[0], mats)):
        hit = (list(mats), np.ascontiguousarray(np.concatenate(mats, axis=0)))
        ctx.state[key] = hit
    return hit[1]


def _project(ctx: OpContext, a: _Args, hc: np.ndarray, asym: bool) -> np.ndarray:
    """CalculateLstmOutputHybrid's projection: bias (or 0) + float(acc) * scale, per row,
    skipped for a call whose o . act(c) is all zero; then proj_clip."""
    f32 = np.float32
    n_batch = hc.shape[0]
    n_output = a.proj_w.shape[0]
    h = (np.zeros((n_batch, n_output), f32) if a.proj_b is None
         else np.broadcast_to(np.asarray(a.proj_b, f32), (n_batch, n_output)).astype(f32))
    zero = _per_row(_hl.neon_is_zero(_calls(hc, a.time_major)), n_batch)
    if not zero.all():
        q, s, zp = _hl.quantize_rows(hc, asym)
        acc = _hl.Matrix(ctx, "proj", a.proj_w).acc(q, zp if asym else None)
        term = _hl.scaled(acc, (s * _weight_scale(ctx, 16)).astype(f32))
        h = np.where(zero, h, (h + term).astype(f32))
    if a.proj_clip > 0:
        h = np.maximum(np.minimum(a.proj_clip, h), -a.proj_clip)
    return h.astype(f32)


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
          n_input: int = 3, n_cell: int = 5, n_output: int | None = None,
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


def _hybrid_ex(rng: np.random.Generator, name: str, *, asymmetric: bool, minus_128: bool = False,
               **kw) -> Example:
    """A float example with its weight matrices, peephole and projection weights turned into
    per-tensor int8 constants (max|w| / 127, narrow range), as dynamic-range conversion
    writes them; diagonal recurrent vectors stay float, as LiteRT reads them. ``minus_128``
    puts -128 into the first 16 columns of the input weights (the x86 dot product's wrap)."""
    ex = _lstm(rng, name, **kw)
    quant: dict[str, tuple] = {}
    for i in (*range(1, 12), 16):
        w = ex.inputs[i]
        if not isinstance(w, Const) or (5 <= i <= 8 and w.value.ndim == 1):
            continue
        q, scale = symmetric_int8(w.value, None)
        if minus_128 and 1 <= i <= 4:
            q[rng.random(q.shape) < 0.2] = -128
            q[:, 16:] = np.clip(q[:, 16:], -127, 127)
        ex.inputs[i] = Const(q)
        quant[f"in{i}"] = (float(scale[0]), 0)
    ex.quant = quant
    ex.options["asymmetric_quantize_inputs"] = asymmetric
    ex.rtol = ex.atol = 0.0
    return ex


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
    # Hybrid (int8 weights): must equal LiteRT bit for bit.
    lambda rng: _hybrid_ex(rng, "hybrid symmetric", asymmetric=False, n_input=20, n_cell=7),
    lambda rng: _hybrid_ex(rng, "hybrid asymmetric", asymmetric=True, n_input=20, n_cell=7),
    lambda rng: _hybrid_ex(rng, "hybrid time_major cifg cell_clip, batch 3", asymmetric=True,
                        cifg=True, time_major=True, cell_clip=0.4, batch=3, time=5, n_cell=6),
    lambda rng: _hybrid_ex(rng, "hybrid symmetric time_major zero step", asymmetric=False,
                        time_major=True, zero_step=True, batch=3, n_input=9, n_cell=8),
    lambda rng: _hybrid_ex(rng, "hybrid peephole projection proj_clip", asymmetric=True,
                        peephole=True, projection=True, n_output=3, proj_clip=0.3, n_cell=6),
    lambda rng: _hybrid_ex(rng, "hybrid symmetric peephole projection, no proj bias",
                        asymmetric=False, peephole=True, projection=True, proj_bias=False,
                        n_output=9, n_cell=5, n_input=33, time=6),
    lambda rng: _hybrid_ex(rng, "hybrid layer norm peephole projection", asymmetric=True,
                        layer_norm=True, peephole=True, projection=True, n_output=4),
    lambda rng: _hybrid_ex(rng, "hybrid cifg layer norm relu6, batch 4", asymmetric=False,
                        cifg=True, layer_norm=True, fused_activation_function="RELU6",
                        cell_clip=2.0, batch=4, n_cell=10),
    lambda rng: _hybrid_ex(rng, "hybrid activation NONE, zero step", asymmetric=True,
                        fused_activation_function="NONE", zero_step=True),
    lambda rng: _hybrid_ex(rng, "hybrid diagonal recurrent (float)", asymmetric=True,
                        diagonal=True, peephole=True),
    lambda rng: _hybrid_ex(rng, "hybrid -128 weights", asymmetric=True, minus_128=True,
                        n_input=40, batch=3),
    lambda rng: _hybrid_ex(rng, "hybrid -128 weights symmetric", asymmetric=False,
                        minus_128=True, n_input=24, time_major=True, batch=2),
]
