"""Calibration: run the float model over a representative dataset and record the range of every
float tensor (in every subgraph and loop iteration).

Samples come as TF's converter takes them (``tflite/python/optimize/calibrator.py``): a
callable returning an iterable whose items are a list/tuple of arrays in input order, or a dict
keyed by input tensor name or signature input name; a bare array is accepted for a one-input
model. Every sample is checked before it runs (number of inputs, dtype, shape, NaN/inf), and
any problem raises ``CalibrationError`` naming the sample, the input and what was expected.

For speed, samples of a model whose inputs have a dynamic batch dimension are stacked and run
through the interpreter ``batch`` at a time; each observer sees whole batches (which gives the
same global min/max as one sample at a time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from . import observers
from .errors import CalibrationError, EdgeQuantError
from .interpreter import Runner
from .ir import Model, Tensor
from .progress import Progress
from .samples import batchable, input_names

log = logging.getLogger(__name__)


@dataclass
class Stats:
    """Calibration result: an observer per float tensor, keyed by id(tensor)."""

    observers: dict[int, observers.MinMax] = field(default_factory=dict)
    tensors: dict[int, Tensor] = field(default_factory=dict)
    samples: int = 0
    statistic: str = "minmax"

    def range(self, t: Tensor) -> tuple[float, float] | None:
        o = self.observers.get(id(t))
        return o.range() if o is not None and o.seen else None


def _sample_list(model: Model, sample: Any, k: int) -> list[np.ndarray]:
    sg = model.main
    n = len(sg.inputs)
    if isinstance(sample, np.ndarray) and n == 1:
        sample = [sample]
    if isinstance(sample, Mapping):
        names = input_names(model)
        out = []
        for t, cands in zip(sg.inputs, names):
            key = next((c for c in cands if c in sample), None)
            if key is None:
                raise CalibrationError(
                    f"calibration sample {k}: no value for model input {t.name!r}; expected a "
                    f"key among {cands}, got {sorted(map(str, sample))}")
            out.append(sample[key])
        known = {c for cands in names for c in cands}
        extra = sorted(str(key) for key in sample if key not in known)
        if extra:
            raise CalibrationError(f"calibration sample {k}: unknown input name(s) {extra}; the "
                                   f"model's inputs are {[c[0] for c in names]}")
        sample = out
    if not isinstance(sample, (list, tuple)):
        raise CalibrationError(
            f"calibration sample {k}: expected a list of {n} array(s) in input order or a dict "
            f"keyed by input name, got {type(sample).__name__}")
    if len(sample) != n:
        raise CalibrationError(f"calibration sample {k}: the model has {n} input(s) "
                               f"{[t.name for t in sg.inputs]}, the sample has {len(sample)}")
    return [_check(t, x, k) for t, x in zip(sg.inputs, sample)]


def _check(t: Tensor, x: Any, k: int) -> np.ndarray:
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise CalibrationError(f"calibration sample {k}, input {t.name!r}: not an array "
                               f"({exc})") from None
    want = t.np_dtype
    where = f"calibration sample {k}, input {t.name!r}"
    if want is not None and a.dtype != want:
        if want.kind == "f" and a.dtype.kind in "fiu":
            a = a.astype(want)
        elif want.kind in "iu" and a.dtype.kind in "iu" and np.can_cast(a, want, "same_kind"):
            info = np.iinfo(want)
            if a.size and (a.min() < info.min or a.max() > info.max):
                raise CalibrationError(f"{where}: values out of the {want} range")
            a = a.astype(want)
        else:
            raise CalibrationError(f"{where}: expected dtype {want}, got {a.dtype}")
    sig = t.shape_signature if t.shape_signature is not None else t.shape
    if len(sig) != a.ndim or any(s != -1 and s != v for s, v in zip(sig, a.shape)):
        raise CalibrationError(f"{where}: expected shape {list(sig)} (-1 = any), got "
                               f"{list(a.shape)}")
    if a.dtype.kind == "f" and a.size and not np.isfinite(a).all():
        raise CalibrationError(f"{where}: contains NaN or infinity")
    return a


def iter_samples(model: Model, dataset: Callable[[], Iterable] | Iterable,
                 limit: int | None = None) -> Iterator[list[np.ndarray]]:
    """Validated samples (one list of input arrays each) from a representative dataset."""
    try:
        it = iter(dataset() if callable(dataset) else dataset)
    except EdgeQuantError:
        raise
    except Exception as exc:
        raise CalibrationError(f"representative_dataset failed to start: "
                               f"{type(exc).__name__}: {exc}") from exc
    k = 0
    while limit is None or k < limit:
        try:
            sample = next(it)
        except StopIteration:
            break
        except EdgeQuantError:
            raise
        except Exception as exc:
            raise CalibrationError(f"representative_dataset raised at sample {k}: "
                                   f"{type(exc).__name__}: {exc}") from exc
        yield _sample_list(model, sample, k)
        k += 1


def calibrate(model: Model, dataset: Callable[[], Iterable] | Iterable, *,
              statistic: str = "minmax", limit: int | None = None, batch: int = 32,
              progress: bool = False, total: int | None = None) -> Stats:
    """Run ``model`` (float) over ``dataset`` and return per-tensor ranges."""
    stats = Stats(statistic=statistic)
    observers.make(statistic)  # fail early on an unknown name
    runner = Runner(model)
    current = {"batch": 1}

    def observe(t: Tensor, value: Any) -> None:
        if t.dtype != "float32" or t.data is not None:
            return
        o = stats.observers.get(id(t))
        if o is None:
            o = stats.observers[id(t)] = observers.make(statistic)
            stats.tensors[id(t)] = t
        o.update(np.asarray(value), current["batch"])

    runner.observer = observe
    stack = batchable(model) and batch > 1
    pending: list[list[np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        if len(pending) == 1:
            inputs = pending[0]
        else:
            inputs = [np.concatenate(parts, axis=0) for parts in zip(*pending)]
        current["batch"] = int(inputs[0].shape[0]) if inputs and inputs[0].ndim else 1
        try:
            runner.run_subgraph(model.main, inputs)
        except EdgeQuantError:
            raise
        except Exception as exc:  # pragma: no cover - kernels wrap their errors already
            raise CalibrationError(f"calibration run failed: {exc}") from exc
        pending.clear()

    bar_total = total if total is not None else (limit or 0)
    with Progress(bar_total or 1, "calibrating", enabled=progress and bool(bar_total)) as bar:
        for sample in iter_samples(model, dataset, limit):
            stats.samples += 1
            pending.append(sample)
            if not stack or len(pending) >= batch:
                flush()
                bar.update(stats.samples)
        flush()
        bar.update(stats.samples)
    if stats.samples == 0:
        raise CalibrationError("the representative dataset gave no samples")
    bad = sum(o.bad for o in stats.observers.values())
    if bad:
        log.warning("calibration: %d NaN/inf values inside the model were skipped", bad)
    return stats
