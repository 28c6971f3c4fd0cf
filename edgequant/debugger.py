"""Per-layer quantization error: ``QuantizationDebugger``, after TF's
``tf.lite.experimental.QuantizationDebugger``
(``tensorflow/lite/tools/optimize/debugging/python/debugger.py``), for every mode edgequant
writes (int8, int8-only, 16x8, dynamic range, float16), not only int8.

TF instruments the quantized model with NumericVerify ops (a "debug model"); edgequant needs
none: it runs the float model and the quantized model side by side in its own interpreter and
matches tensors by name (the full-integer rewrite keeps each float tensor's name on its integer
twin; dynamic range keeps every name). For each output of a quantized op (integer, hybrid, or
float with dequantized weights) it measures two differences against the float model's value:

* accumulated: the quantized model run end to end, the tensor dequantized, minus the float
  value. Everything earlier layers passed on is included.
* local: the op's own quantized kernel alone, fed the float model's input values quantized with
  the op's input parameters (as a QUANTIZE op would: round half away, clamp), minus the float
  value. This separates what the op itself loses (input and output rounding, weight rounding,
  clamping) from what it inherited.

Metrics are TF's defaults (``num_elements``, ``stddev``, ``mean_error``, ``max_abs_error``,
``mean_squared_error`` of the difference), computed per sample and averaged with ``nanmean``
as TF does, plus ``sqnr`` = 10 log10(sum f^2 / sum (q - f)^2) over all samples (inf when the
difference is zero). ``scale`` and ``zero_point`` are the quantized tensor's (None for float
outputs of hybrid / weight-only ops).

Only the main subgraph is examined (ops inside WHILE / IF bodies are not listed).
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from . import ops as op_registry
from . import qmath
from .calibrate import iter_samples
from .errors import EdgeQuantError
from .evaluate import op_kind
from .interpreter import Runner
from .ir import Model, Operator, Subgraph, Tensor
from .ops._rules import WEIGHT
from .progress import Progress
from .samples import batchable
from .tflite_io import load

log = logging.getLogger(__name__)

# TF's default layer metrics, each a function of one sample's difference (quantized - float).
DEFAULT_LAYER_METRICS: dict[str, Callable[[np.ndarray], float]] = {
    "num_elements": lambda d: d.size,
    "stddev": np.std,
    "mean_error": np.average,
    "max_abs_error": lambda d: np.max(np.abs(d)),
    "mean_squared_error": lambda d: np.average(d ** 2),
}

_QTYPES = ("int8", "uint8", "int16", "int4")
_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int4": (-8, 7)}
# A weight channel whose max |w| exceeds this many times the median channel's is an outlier.
OUTLIER_FACTOR = 8.0


@dataclass
class QuantizationDebugOptions:
    """TF's debug options that apply here: extra layer metrics (functions of one sample's
    difference), model metrics (functions of the float and quantized output lists) and the
    op types / tensor names to keep float when the debugger converts."""

    layer_debug_metrics: Mapping[str, Callable[[np.ndarray], float]] | None = None
    model_debug_metrics: Mapping[str, Callable[[Sequence[np.ndarray], Sequence[np.ndarray]],
                                               float]] | None = None
    denylisted_ops: list[str] | None = None
    denylisted_nodes: list[str] | None = None


def _is_quantized(t: Tensor | None) -> bool:
    return (t is not None and t.dtype in _QTYPES and t.quantization is not None
            and t.quantization.scale is not None and t.quantization.scale.size > 0)


def dequantize(t: Tensor, value: np.ndarray) -> np.ndarray:
    """Float value of an array held by tensor ``t`` (per-tensor or per-axis parameters)."""
    if not _is_quantized(t):
        return np.asarray(value, np.float32)
    q = t.quantization
    assert q is not None
    v = np.asarray(value)
    axis = q.quantized_dimension if q.scale.size > 1 else None
    return qmath.dequantize(v, q.scale, q.zero_point, axis=axis).astype(np.float32)


def quantize_like(t: Tensor, value: np.ndarray) -> np.ndarray:
    """``value`` (float) in the form tensor ``t`` holds: quantized with its parameters as a
    QUANTIZE op would (round half away from zero, clamp), or cast."""
    if not _is_quantized(t):
        return np.asarray(value).astype(t.np_dtype or np.float32, copy=False)
    q = t.quantization
    assert q is not None
    lo, hi = _RANGE[t.dtype]
    # As the QUANTIZE reference kernel: the division in float32, then round half away.
    with np.errstate(over="ignore", invalid="ignore"):
        r = qmath.round_half_away(np.asarray(value, np.float32) / np.float32(q.scale[0]))
    return np.clip(r.astype(np.int64) + int(q.zero_point[0]), lo, hi).astype(t.np_dtype)


@dataclass
class _Acc:
    """Running per-layer statistics of one error flavour."""

    rows: dict[str, list[float]] = field(default_factory=dict)
    signal: float = 0.0
    noise: float = 0.0

    def add(self, diff: np.ndarray, ref: np.ndarray, samples: int,
            metrics: Mapping[str, Callable[[np.ndarray], float]]) -> None:
        d64 = diff.astype(np.float64)
        self.signal += float(np.sum(ref.astype(np.float64) ** 2))
        self.noise += float(np.sum(d64 ** 2))
        if samples > 1 and d64.ndim and d64.shape[0] == samples:
            parts: Iterable[np.ndarray] = list(d64)
        else:
            parts = [d64]
        for name, fn in metrics.items():
            lst = self.rows.setdefault(name, [])
            lst.extend(float(fn(p)) for p in parts)

    def result(self) -> dict[str, float]:
        out = {k: float(np.nanmean(v)) if v else float("nan") for k, v in self.rows.items()}
        out["sqnr"] = sqnr(self.signal, self.noise)
        return out


def sqnr(signal: float, noise: float) -> float:
    """10 log10(signal / noise) in dB; inf for zero noise."""
    if noise <= 0.0:
        return float("inf")
    if signal <= 0.0:
        return float("-inf")
    return float(10.0 * np.log10(signal / noise))


@dataclass
class Layer:
    """One output tensor of a quantized op, present in both models under ``name``."""

    name: str
    op_type: str
    op_index: int  # in the quantized model's main subgraph
    float_op_index: int  # in the float model's main subgraph
    kind: str  # 'int', 'hybrid', 'weight-only'
    tensor: Tensor  # the quantized model's tensor
    float_tensor: Tensor
    op: Operator
    local: Subgraph | None = None
    local_feeds: list[tuple[Tensor, str]] = field(default_factory=list)
    local_why: str = ""

    @property
    def scale(self) -> float | None:
        q = self.tensor.quantization
        return float(q.scale[0]) if _is_quantized(self.tensor) and q is not None else None

    @property
    def zero_point(self) -> int | None:
        q = self.tensor.quantization
        return int(q.zero_point[0]) if _is_quantized(self.tensor) and q is not None else None


def _float_source(t: Tensor, producers: Mapping[int, Operator], fnames: Mapping[str, Tensor]
                  ) -> str | None:
    """Name of the float-model tensor that ``t`` (a quantized-model tensor) stands for: its
    own name, or through QUANTIZE / DEQUANTIZE ops (requantized inputs, converted I/O)."""
    seen = 0
    while t is not None and seen < 8:
        if t.name in fnames:
            return t.name
        p = producers.get(id(t))
        if p is None or p.type not in ("QUANTIZE", "DEQUANTIZE"):
            return None
        t = p.inputs[0]
        seen += 1
    return None


def _local_graph(layer: Layer, producers: Mapping[int, Operator], fnames: Mapping[str, Tensor]
                 ) -> None:
    """A one-op subgraph running ``layer.op`` (plus the DEQUANTIZE of its constant weights for
    weight-only ops) whose runtime inputs are fed from the float model."""
    op = layer.op
    ops: list[Operator] = []
    inputs: list[Tensor] = []
    feeds: list[tuple[Tensor, str]] = []
    for t in op.inputs:
        if t is None or t.data is not None or any(t is s for s in inputs):
            continue
        p = producers.get(id(t))
        if p is not None and p.type == "DEQUANTIZE" and p.inputs[0].data is not None:
            ops.append(p)
            continue
        src = _float_source(t, producers, fnames)
        if src is None:
            layer.local_why = f"input {t.name!r} has no counterpart in the float model"
            return
        inputs.append(t)
        feeds.append((t, src))
    ops.append(op)
    layer.local = Subgraph(name=f"local:{layer.name}", inputs=inputs, outputs=list(op.outputs),
                           operators=ops)
    layer.local.tensors = list(layer.local.all_tensors())
    layer.local_feeds = feeds


def find_layers(fmodel: Model, qmodel: Model) -> tuple[list[Layer], list[dict[str, Any]]]:
    """The quantized layers of ``qmodel`` matched to ``fmodel`` by output tensor name, and the
    main-graph ops of ``qmodel`` that compute in float (type, index, output names)."""
    fsg, qsg = fmodel.main, qmodel.main
    fnames: dict[str, Tensor] = {}
    for t in fsg.all_tensors():
        fnames.setdefault(t.name, t)
    fprod = {id(t): i for i, op in enumerate(fsg.operators) for t in op.outputs if t is not None}
    qprod = qsg.producers()
    layers: list[Layer] = []
    floats: list[dict[str, Any]] = []
    for i, op in enumerate(qsg.operators):
        kind = op_kind(op, qprod)
        if kind in ("quant", "other"):  # Q/DQ, int32/bool/shape ops, control flow
            continue
        names = [t.name for t in op.outputs if t is not None]
        if kind == "float":
            # Ops computing a float value (not SHAPE-like readers of float tensors, not
            # control flow).
            if op.type not in ("WHILE", "IF", "CALL_ONCE") and any(
                    t is not None and t.dtype == "float32" for t in op.outputs):
                floats.append({"op": op.type, "index": i, "outputs": names})
            continue
        for t in op.outputs:
            ft = fnames.get(t.name) if t is not None else None
            if ft is None or id(ft) not in fprod:
                continue
            layer = Layer(t.name, op.type, i, fprod[id(ft)], kind, t, ft, op)
            _local_graph(layer, qprod, fnames)
            layers.append(layer)
    return layers, floats


def weight_stats(fop: Operator, qop: Operator, qprod: Mapping[int, Operator],
                 factor: float = OUTLIER_FACTOR) -> dict[str, Any] | None:
    """Per-channel ranges of ``fop``'s constant weights, their outlier channels and the SQNR of
    the weights ``qop`` actually uses (dequantized) against the float ones."""
    mod = op_registry.get(fop.type)
    rule = getattr(mod, "QUANT", None)
    k = None
    if rule is not None:
        k = next((j for j in range(len(fop.inputs)) if rule.input_role(j) == WEIGHT), None)
    if k is None:  # ops without integer rules (hybrid-only kernels): first big constant
        k = next((j for j, t in enumerate(fop.inputs) if t is not None and t.data is not None
                  and t.dtype == "float32" and t.data.ndim >= 2), None)
    if k is None or k >= len(qop.inputs):
        return None
    wf = fop.inputs[k]
    if wf is None or wf.data is None or wf.dtype != "float32" or not wf.data.size:
        return None
    axis = rule.weight_axis if rule is not None and rule.weight_axis is not None else 0
    w = np.asarray(wf.data, np.float64)
    axis = axis if axis < w.ndim else 0
    per = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    lo, hi = per.min(axis=1), per.max(axis=1)
    absmax = np.maximum(np.abs(lo), np.abs(hi))
    med = float(np.median(absmax))
    ratio = absmax / med if med > 0 else np.zeros_like(absmax)
    outliers = [int(c) for c in np.argsort(-ratio) if ratio[c] > factor]
    out: dict[str, Any] = {
        "tensor": wf.name, "axis": axis, "channels": int(w.shape[axis]),
        "min": lo.tolist(), "max": hi.tolist(),
        "absmax_median": med, "absmax_max": float(absmax.max()),
        "outlier_channels": outliers[:16], "outlier_ratio": float(ratio.max()) if ratio.size
        else 0.0, "quantized": None, "per_channel": None, "sqnr": None,
    }
    wq = qop.inputs[k]
    p = qprod.get(id(wq)) if wq is not None else None
    if p is not None and p.type == "DEQUANTIZE":
        wq = p.inputs[0]
    if wq is not None and wq.data is not None and wq.dtype != "float32":
        if _is_quantized(wq):
            deq = dequantize(wq, wq.data).astype(np.float64)
            out["quantized"] = wq.dtype
            out["per_channel"] = bool(wq.quantization.scale.size > 1)  # type: ignore[union-attr]
        else:  # float16
            deq = np.asarray(wq.data, np.float64)
            out["quantized"] = wq.dtype
        out["sqnr"] = sqnr(float(np.sum(w ** 2)), float(np.sum((deq - w) ** 2)))
    return out


class QuantizationDebugger:
    """Per-layer error of a quantized model against its float model (see module docstring).

    Give either ``converter`` (an edgequant ``TFLiteConverter`` set up for any quantized mode;
    the debugger converts, applying ``debug_options``' denylists) or the two models
    (``quant_debug_model_path`` / ``_content``, and ``float_model_path`` / ``_content``: unlike
    TF, edgequant needs the float model, and any quantized model will do, no debug build).
    ``debug_dataset`` is a callable returning an iterable of samples, as for
    ``representative_dataset`` (defaults to the converter's).
    """

    def __init__(self, quant_debug_model_path: str | os.PathLike | None = None,
                 quant_debug_model_content: bytes | None = None,
                 float_model_path: str | os.PathLike | None = None,
                 float_model_content: bytes | None = None,
                 debug_dataset: Callable[[], Iterable[Any]] | None = None,
                 debug_options: QuantizationDebugOptions | None = None,
                 converter: Any = None, *, batch: int = 16, max_samples: int | None = None,
                 progress: bool = False, profile: str = "reference", plan: Any = None,
                 mode: str | None = None):
        self.options = debug_options or QuantizationDebugOptions()
        self.converter = converter
        self.plan: Any = plan
        self.batch = batch
        self.max_samples = max_samples
        self.progress = progress
        self.profile = profile
        if converter is not None:
            if self.options.denylisted_ops:
                converter.denylisted_ops = list(self.options.denylisted_ops)
            if self.options.denylisted_nodes:
                converter.denylisted_nodes = list(self.options.denylisted_nodes)
            self.mode = converter.mode()
            if self.mode == "float":
                raise EdgeQuantError("the converter does not quantize: set optimizations="
                                     "[Optimize.DEFAULT] (and a representative_dataset for the "
                                     "full-integer modes)")
            self.quant_model_content = converter.convert()
            self.plan = converter.last_plan if self.mode in ("int8", "int8-only", "16x8") \
                else None
            self.float_model = converter._model
            if debug_dataset is None:
                debug_dataset = converter.representative_dataset
        else:
            if (quant_debug_model_path is None) == (quant_debug_model_content is None):
                raise ValueError("pass the quantized model: quant_debug_model_path or "
                                 "quant_debug_model_content (or a converter)")
            if (float_model_path is None) == (float_model_content is None):
                raise ValueError("edgequant's debugger compares against the float model: pass "
                                 "float_model_path or float_model_content too")
            src = quant_debug_model_path if quant_debug_model_path is not None \
                else quant_debug_model_content
            if isinstance(src, bytes):
                self.quant_model_content = src
            else:
                with open(src, "rb") as f:
                    self.quant_model_content = f.read()
            self.float_model = load(float_model_path if float_model_path is not None
                                    else float_model_content)
            self.mode = mode
        if debug_dataset is None:
            raise ValueError("debug_dataset is required: a callable returning samples, as for "
                             "representative_dataset")
        self._dataset = debug_dataset
        self.quant_model = load(self.quant_model_content)
        if len(self.quant_model.main.inputs) != len(self.float_model.main.inputs):
            raise ValueError("the float and quantized models have different numbers of inputs")
        self.layers, self._float_ops = find_layers(self.float_model, self.quant_model)
        if not self.layers:
            raise EdgeQuantError("no quantized op of the quantized model matches a float-model "
                                 "tensor by name: is it a quantized version of this float model?")
        self._metrics = dict(DEFAULT_LAYER_METRICS)
        self._metrics.update(self.options.layer_debug_metrics or {})
        self.layer_statistics: dict[str, dict[str, Any]] | None = None
        self.accumulated_statistics: dict[str, dict[str, Any]] | None = None
        self.model_statistics: dict[str, float] | None = None
        self.activation_channels: dict[str, dict[str, Any]] = {}
        self.samples = 0

    # -- TF API ------------------------------------------------------------------------------
    def get_nondebug_quantized_model(self) -> bytes:
        """The quantized model the statistics describe (edgequant needs no debug build)."""
        return self.quant_model_content

    get_debug_quantized_model = get_nondebug_quantized_model

    def run(self) -> None:
        """Run both models over the debug dataset and fill ``layer_statistics`` (local error),
        ``accumulated_statistics`` and ``model_statistics``."""
        fmodel, qmodel = self.float_model, self.quant_model
        fsg, qsg = fmodel.main, qmodel.main
        frun = Runner(fmodel, profile=self.profile)
        qrun = Runner(qmodel, profile=self.profile)
        local_sgs = [la.local for la in self.layers if la.local is not None]
        lrun = Runner(Model(subgraphs=[*qmodel.subgraphs, *local_sgs]), profile=self.profile)
        fname_ids = {}
        for t in fsg.all_tensors():
            fname_ids.setdefault(t.name, id(t))
        local_acc = {la.name: _Acc() for la in self.layers}
        accum_acc = {la.name: _Acc() for la in self.layers}
        chan: dict[str, np.ndarray] = {}
        model_rows: dict[str, list[float]] = {}
        fout = [0.0, 0.0]  # signal and noise power of the model outputs
        stack = batchable(fmodel) and batchable(qmodel) and self.batch > 1
        pending: list[list[np.ndarray]] = []
        total = self.max_samples or 0

        def flush() -> None:
            if not pending:
                return
            n = len(pending)
            inputs = pending[0] if n == 1 else [np.concatenate(p, 0) for p in zip(*pending)]
            pending.clear()
            fkeep: dict[int, np.ndarray] = {}
            fouts = frun.run_subgraph(fsg, inputs, fkeep)
            fvals = {name: fkeep[i] for name, i in fname_ids.items() if i in fkeep}
            qin = [quantize_like(t, x) for t, x in zip(qsg.inputs, inputs)]
            qkeep: dict[int, np.ndarray] = {}
            qouts = qrun.run_subgraph(qsg, qin, qkeep)
            for la in self.layers:
                f = fvals.get(la.name)
                if f is None or id(la.tensor) not in qkeep:
                    continue
                f = np.asarray(f, np.float32)
                q = dequantize(la.tensor, qkeep[id(la.tensor)])
                accum_acc[la.name].add(q - f, f, n, self._metrics)
                if f.ndim:
                    a = np.abs(f).reshape(-1, f.shape[-1]).max(axis=0)
                    chan[la.name] = a if la.name not in chan else np.maximum(chan[la.name], a)
                if la.local is not None:
                    feeds = [quantize_like(t, fvals[src]) for t, src in la.local_feeds]
                    res = lrun.run_subgraph(la.local, feeds)
                    k = next(j for j, t in enumerate(la.local.outputs) if t is la.tensor)
                    local_acc[la.name].add(dequantize(la.tensor, res[k]) - f, f, n,
                                           self._metrics)
            fq = [dequantize(t, v) for t, v in zip(qsg.outputs, qouts)]
            ff = [np.asarray(v, np.float32) for v in fouts]
            for a, b in zip(ff, fq):
                fout[0] += float(np.sum(a.astype(np.float64) ** 2))
                fout[1] += float(np.sum((b.astype(np.float64) - a) ** 2))
            a2, b2 = _per_sample(ff, n), _per_sample(fq, n)
            model_rows.setdefault("cosine", []).extend(cosine_rows(a2, b2))
            model_rows.setdefault("max_abs_error", []).extend(np.abs(b2 - a2).max(1).tolist())
            if ff[0].size > a2.shape[0]:
                m = a2.shape[0]
                agree = ff[0].reshape(m, -1).argmax(1) == fq[0].reshape(m, -1).argmax(1)
                model_rows.setdefault("argmax_agreement", []).extend(agree.astype(float))
            for name, fn in (self.options.model_debug_metrics or {}).items():
                model_rows.setdefault(name, []).append(float(fn(ff, fq)))

        self.samples = 0
        with Progress(total or 1, "debugging", enabled=self.progress and bool(total)) as bar:
            for sample in iter_samples(fmodel, self._dataset, self.max_samples):
                pending.append(sample)
                self.samples += 1
                if not stack or len(pending) >= self.batch:
                    flush()
                    bar.update(self.samples)
            flush()
            bar.update(self.samples)
        if not self.samples:
            raise EdgeQuantError("the debug dataset gave no samples")
        self.layer_statistics = {}
        self.accumulated_statistics = {}
        for la in self.layers:
            extra = {"scale": la.scale, "zero_point": la.zero_point}
            if la.local is not None and local_acc[la.name].rows:
                self.layer_statistics[la.name] = {**local_acc[la.name].result(), **extra}
            else:
                self.layer_statistics[la.name] = {**{k: float("nan") for k in self._metrics},
                                                  "sqnr": float("nan"), **extra}
            self.accumulated_statistics[la.name] = {**accum_acc[la.name].result(), **extra}
            if la.name in chan and chan[la.name].size > 1:
                a = chan[la.name]
                med = float(np.median(a))
                self.activation_channels[la.name] = {
                    "absmax": a.tolist(), "median": med,
                    "ratio": float(a.max() / med) if med > 0 else float("inf"),
                    "outlier_channels": [int(c) for c in np.argsort(-a)
                                         if med > 0 and a[c] > OUTLIER_FACTOR * med][:16]}
        self.model_statistics = {k: float(np.nanmean(v)) for k, v in model_rows.items()}
        self.model_statistics["max_abs_error"] = float(np.max(model_rows["max_abs_error"]))
        self.model_statistics["sqnr"] = sqnr(fout[0], fout[1])

    # -- extras ------------------------------------------------------------------------------
    def float_ops(self) -> list[dict[str, Any]]:
        """Ops that compute in float in the quantized model, with the reason when known."""
        reasons: dict[str, str] = {}
        if self.plan is not None:
            for p in self.plan.ops.values():
                if p.kind == "float" and p.sg is not None:
                    for t in p.op.outputs:
                        if t is not None:
                            reasons.setdefault(t.name, p.reason)
        out = []
        qops = self.quant_model.main.operators
        for f in self._float_ops:
            why = next((reasons[n] for n in f["outputs"] if n in reasons), None)
            if why is None and self.mode in ("dynamic", "float16"):
                consts = [t for t in qops[f["index"]].inputs
                          if t is not None and t.data is not None and t.dtype == "float32"]
                if consts:
                    n = max(t.data.size for t in consts)
                    why = (f"its largest constant has {n} elements, below the converter's "
                           "min_elements_for_weights (1024 by default, as TF), or it was "
                           "kept float on request")
                else:
                    why = f"no constant weights: {self.mode} quantizes weights only"
            out.append({**f, "reason": why or "computes in float in the given model"})
        return out

    def weight_statistics(self, factor: float = OUTLIER_FACTOR) -> dict[str, dict[str, Any]]:
        """Per layer with constant weights: per-channel ranges, outlier channels, weight SQNR."""
        fops = self.float_model.main.operators
        qprod = self.quant_model.main.producers()
        out = {}
        for la in self.layers:
            if la.name in out:
                continue
            ws = weight_stats(fops[la.float_op_index], la.op, qprod, factor)
            if ws is not None:
                out[la.name] = ws
        return out

    def layer_statistics_dump(self, file: IO[str]) -> None:
        """Write ``layer_statistics`` as CSV with TF's columns (op_name, tensor_idx, the metrics,
        scale, zero_point, tensor_name) plus sqnr and the accumulated error's mse and sqnr."""
        if self.layer_statistics is None or self.accumulated_statistics is None:
            raise ValueError("call run() first")
        index = {id(t): i for i, t in enumerate(self.quant_model.main.all_tensors())}
        fields = ["op_name", "tensor_idx", *self._metrics, "sqnr",
                  "accumulated_mean_squared_error", "accumulated_sqnr", "scale", "zero_point",
                  "tensor_name"]
        writer = csv.DictWriter(file, fields)
        writer.writeheader()
        for la in self.layers:
            row = dict(self.layer_statistics[la.name])
            acc = self.accumulated_statistics[la.name]
            row.update(op_name=la.op_type, tensor_idx=index.get(id(la.tensor)),
                       tensor_name=la.name,
                       accumulated_mean_squared_error=acc["mean_squared_error"],
                       accumulated_sqnr=acc["sqnr"])
            writer.writerow({k: row.get(k) for k in fields})


def cosine_rows(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Cosine of each row of ``a`` with the same row of ``b``; two zero rows count as 1."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = np.linalg.norm(a64, axis=1), np.linalg.norm(b64, axis=1)
    den = na * nb
    cos = np.where(den > 0, np.sum(a64 * b64, axis=1) / np.where(den > 0, den, 1.0), 0.0)
    return np.where((na == 0) & (nb == 0), 1.0, cos).tolist()


def _per_sample(outputs: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Outputs flattened per sample and concatenated: (samples, values)."""
    m = n if all(np.ndim(o) and np.shape(o)[0] == n for o in outputs) else 1
    return np.concatenate([np.asarray(o, np.float64).reshape(m, -1) for o in outputs], axis=1)


def output_cosine(ref: Sequence[np.ndarray], got: Sequence[np.ndarray]) -> float:
    """Mean per-sample cosine between float and quantized model outputs (samples on axis 0,
    every output flattened into one vector per sample, as ``edgequant evaluate`` does)."""
    n = int(np.shape(ref[0])[0]) if np.ndim(ref[0]) else 1
    return float(np.mean(cosine_rows(_per_sample(ref, n), _per_sample(got, n))))
