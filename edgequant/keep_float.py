"""Selective quantization search: the smallest keep-float list that meets an accuracy target,
and what keeping those ops float costs in size and latency.

``Quantizer`` converts one float model in one mode with any keep-float list (the converter's
``denylisted_nodes``). Full-integer modes calibrate once and re-plan from the same statistics
for every candidate list (the bytes are identical to ``TFLiteConverter.convert()``'s with the
same settings; the tests check it), so trying a list costs a plan, a rewrite and a run.

``propose`` searches a list. Keeping one op float removes its weight rounding and its kernel's
arithmetic, but not the rounding of its output (the next integer op quantizes it again), so
single-op sensitivities mislead; what helps is keeping runs of ops float, and where errors are
amplified downstream (deep nets with random or poorly conditioned weights), the early ones. The
search therefore tries several orderings of the quantized layers and, for each, finds the
shortest prefix that meets the target by bisection (re-converting and measuring each time):

* ``local error``: worst local SQNR first (the layer's own error, ``debugger``);
* ``error share``: largest local / accumulated error first (a layer whose output error is
  mostly its own, so removing it removes most of the error there);
* ``graph order``: execution order (everything up to some op float).

The shortest such list is then pruned: each member, least important first, is dropped if the
target still holds without it. The result is a short list, not a proven minimum.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import dynamic_range
from .calibrate import Stats, calibrate
from .converter import OpsSet, Optimize, TFLiteConverter
from .errors import ConversionError
from .interpreter import Runner
from .ir import Model
from .samples import batches, run_dataset
from .tflite_io import load, to_bytes

log = logging.getLogger(__name__)

FULL_INT = ("int8", "int8-only", "16x8")


def dataset_from_arrays(model: Model, arrays: list[np.ndarray], limit: int | None = None
                        ) -> Callable[[], Any]:
    """A representative dataset (one sample at a time, shaped like the model's inputs) over
    arrays holding samples on axis 0."""
    inputs = model.main.inputs
    n = arrays[0].shape[0] if limit is None else min(limit, arrays[0].shape[0])

    def dataset() -> Any:
        for i in range(n):
            yield [a[i:i + 1] if a.ndim == len(t.shape) else a[i] for t, a in zip(inputs, arrays)]

    return dataset


def configure(conv: TFLiteConverter, mode: str, dataset: Callable[[], Any] | None = None,
              samples: int | None = None) -> TFLiteConverter:
    """Set ``conv`` up for a CLI mode name (as ``edgequant convert --mode`` does)."""
    conv.optimizations = [Optimize.DEFAULT]
    if mode == "float16":
        conv.target_spec.supported_types = ["float16"]
    elif mode in FULL_INT:
        if dataset is None:
            raise ConversionError(f"mode {mode} needs calibration data")
        conv.representative_dataset = dataset
        conv.calibration_samples = samples
        if mode == "int8-only":
            conv.target_spec.supported_ops = {OpsSet.TFLITE_BUILTINS_INT8}
        elif mode == "16x8":
            conv.target_spec.supported_ops = {
                OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
                OpsSet.TFLITE_BUILTINS}
    elif mode != "dynamic":
        raise ConversionError(f"unknown mode {mode!r}; use int8, int8-only, 16x8, dynamic or "
                              "float16")
    return conv


class Quantizer:
    """Convert ``model`` in ``mode`` with any keep-float list (see module docstring)."""

    def __init__(self, model: Model, mode: str, dataset: Callable[[], Any] | None = None, *,
                 samples: int | None = None, statistic: str = "minmax", progress: bool = False):
        self.model = model
        self.mode = mode
        self.dataset = dataset
        self.samples = samples
        self.statistic = statistic
        self.progress = progress
        self._stats: Stats | None = None
        configure(TFLiteConverter(model), mode, dataset, samples)  # validate early

    def converter(self, keep: Sequence[str] = ()) -> TFLiteConverter:
        conv = configure(TFLiteConverter(self.model), self.mode, self.dataset, self.samples)
        conv.calibration_statistic = self.statistic
        conv.show_progress = self.progress
        conv.denylisted_nodes = list(keep)
        return conv

    def convert(self, keep: Sequence[str] = ()) -> tuple[bytes, Any]:
        """(model bytes, full-integer plan or None)."""
        if self.mode not in FULL_INT:
            conv = self.converter(keep)
            return conv.convert(), None
        from .plan import Config, make_plan
        from .rewrite import apply_plan, finish

        conv = self.converter(keep)
        mode = conv.mode()
        if self._stats is None:
            dynamic_range.check_not_quantized(self.model)
            assert self.dataset is not None
            self._stats = calibrate(self.model, self.dataset, statistic=self.statistic,
                                    limit=self.samples, progress=self.progress,
                                    total=self.samples)
        m = load(to_bytes(self.model))
        int16 = mode == "16x8"
        cfg = Config(act_dtype="int16" if int16 else "int8", fallback=mode != "int8-only",
                     keep_float_nodes=frozenset(keep))
        try:
            plan = make_plan(m, self._remap(m), cfg)
        except ValueError as exc:
            raise ConversionError(str(exc)) from None
        apply_plan(m, plan)
        return to_bytes(finish(m)), plan

    def _remap(self, copy: Model) -> Stats:
        """The calibration statistics keyed by the tensors of ``copy`` (a byte-for-byte copy
        of the calibrated model: same subgraphs, same tensor order)."""
        assert self._stats is not None
        out = Stats(statistic=self._stats.statistic, samples=self._stats.samples)
        for a, b in zip(self.model.subgraphs, copy.subgraphs):
            ta, tb = list(a.all_tensors()), list(b.all_tensors())
            assert len(ta) == len(tb), "model copy differs from the calibrated model"
            for x, y in zip(ta, tb):
                assert x.name == y.name, "model copy differs from the calibrated model"
                o = self._stats.observers.get(id(x))
                if o is not None:
                    out.observers[id(y)] = o
                    out.tensors[id(y)] = y
        return out


class Evaluator:
    """Model-output cosine against the float model on a fixed set of samples."""

    def __init__(self, float_model: Model, arrays: list[np.ndarray]):
        self.arrays = arrays
        self.model = float_model
        self.reference = run_dataset(float_model, arrays)
        self.runs = 0

    def outputs(self, content: bytes) -> list[np.ndarray]:
        from .debugger import dequantize, quantize_like

        m = load(content)
        runner = Runner(m)
        feeds = [quantize_like(t, a) for t, a in zip(m.main.inputs, self.arrays)]
        outs = run_dataset(m, feeds, runner=runner)
        self.runs += 1
        return [dequantize(t, o) for t, o in zip(m.main.outputs, outs)]

    def cosine(self, content: bytes) -> float:
        from .debugger import output_cosine

        return output_cosine(self.reference, self.outputs(content))


@dataclass
class Proposal:
    target: float
    baseline: float
    keep: list[str] = field(default_factory=list)
    achieved: float = float("nan")
    met: bool = False
    strategy: str = ""
    evaluations: int = 0
    tried: list[dict[str, Any]] = field(default_factory=list)  # {strategy, size, cosine}
    prefixes: dict[str, int] = field(default_factory=dict)  # strategy -> shortest prefix


def propose(quantizer: Quantizer, orderings: dict[str, list[str]],
            evaluate: Callable[[bytes], float], target: float, *, max_evals: int = 60,
            prune: bool = True) -> Proposal:
    """Search a short keep-float list meeting ``evaluate(model) >= target`` (module
    docstring). ``orderings`` maps a strategy name to layer names, most promising first."""
    cache: dict[frozenset[str], float] = {}

    def score(keep: Sequence[str], strategy: str) -> float:
        key = frozenset(keep)
        if key not in cache:
            content, _ = quantizer.convert(sorted(key))
            cache[key] = evaluate(content)
            prop.tried.append({"strategy": strategy, "size": len(key),
                               "cosine": cache[key]})
            log.info("  keep-float search: %s, %d op(s) float: cosine %.5f", strategy,
                     len(key), cache[key])
        return cache[key]

    prop = Proposal(target=target, baseline=float("nan"))
    prop.baseline = score([], "baseline")
    if prop.baseline >= target:
        prop.achieved, prop.met, prop.strategy = prop.baseline, True, "none needed"
        prop.evaluations = len(cache)
        return prop
    best: tuple[int, str, list[str]] | None = None
    for name, order in orderings.items():
        if not order:
            continue
        lo, hi = 0, len(order)
        if score(order, name) < target:
            prop.prefixes[name] = -1
            continue
        while hi - lo > 1 and len(cache) < max_evals:
            mid = (lo + hi) // 2
            if score(order[:mid], name) >= target:
                hi = mid
            else:
                lo = mid
        prop.prefixes[name] = hi
        if best is None or hi < best[0]:
            best = (hi, name, list(order[:hi]))
    if best is None:  # even every layer float misses (non-quantized ops differ?)
        full = max(orderings.values(), key=len)
        prop.keep, prop.achieved, prop.strategy = list(full), cache[frozenset(full)], "none"
        prop.evaluations = len(cache)
        return prop
    _, prop.strategy, keep = best
    if prune:
        for name in list(reversed(keep)):
            if len(keep) <= 1 or len(cache) >= max_evals:
                break
            trial = [k for k in keep if k != name]
            if score(trial, f"{prop.strategy}, pruned") >= target:
                keep = trial
    prop.keep = keep
    prop.achieved = cache[frozenset(keep)]
    prop.met = prop.achieved >= target
    prop.evaluations = len(cache)
    return prop


# -- costs -----------------------------------------------------------------------------------

def edgequant_latency_ms(content: bytes, arrays: list[np.ndarray], runs: int = 10) -> float:
    """Median single-sample latency of edgequant's interpreter (reference kernels)."""
    from .debugger import quantize_like

    m = load(content)
    runner = Runner(m)
    _, sample = next(batches(m, [a[:1] for a in arrays], 1))
    feeds = [quantize_like(t, x) for t, x in zip(m.main.inputs, sample)]
    runner.run_subgraph(m.main, feeds)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        runner.run_subgraph(m.main, feeds)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def litert_latency_ms(content: bytes, arrays: list[np.ndarray], runs: int = 50
                      ) -> float | None:
    """Median single-sample latency on LiteRT (default resolver: XNNPACK on; 1 thread), or
    None when ai-edge-litert is not installed or refuses the model."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    from .debugger import quantize_like

    m = load(content)
    _, sample = next(batches(m, [a[:1] for a in arrays], 1))
    try:
        with _native_stderr_silenced():  # LiteRT's "Created XNNPACK delegate" line
            it = Interpreter(model_content=content, num_threads=1)
            for d, x in zip(it.get_input_details(), sample):
                if list(d["shape"]) != list(x.shape):
                    it.resize_tensor_input(d["index"], x.shape)
            it.allocate_tensors()
            for d, t, x in zip(it.get_input_details(), m.main.inputs, sample):
                it.set_tensor(d["index"], quantize_like(t, x))
            for _ in range(5):
                it.invoke()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            it.invoke()
            times.append(time.perf_counter() - t0)
    except (RuntimeError, ValueError) as exc:
        log.warning("LiteRT could not run the model (%s); no LiteRT latency", exc)
        return None
    return float(np.median(times) * 1e3)


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null for a moment."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured / replaced sys.stderr
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)
