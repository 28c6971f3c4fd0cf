"""Datasets of samples for a model: read ``.npz`` files, match arrays to inputs, batch them.

An ``.npz`` holds one array per model input, keyed by the input tensor's name or its signature
name, or a single array ``x`` for a one-input model; the first axis indexes samples (``y`` holds
labels and is not an input). A model whose signature has a dynamic batch dimension (-1) runs
many samples per pass; a fixed-batch model runs one sample at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from .interpreter import Runner, check_input
from .ir import Model, Tensor
from .progress import Progress

LABEL_KEYS = ("y", "label", "labels")


def input_names(model: Model) -> list[list[str]]:
    """For each main-graph input, the names a dataset may use for it."""
    sg = model.main
    names = [[t.name] for t in sg.inputs]
    for s in model.signature_defs:
        if s.subgraph is sg:
            for key, t in s.inputs.items():
                for i, inp in enumerate(sg.inputs):
                    if inp is t:
                        names[i].insert(0, key)
    return names


def match_inputs(model: Model, arrays: Mapping[str, np.ndarray], source: str
                 ) -> list[np.ndarray]:
    """Pick the array for each model input out of ``arrays`` (see module docstring)."""
    sg = model.main
    candidates = input_names(model)
    data = {k: v for k, v in arrays.items() if k not in LABEL_KEYS}
    if len(sg.inputs) == 1 and "x" in data and not any(n in data for n in candidates[0]):
        picked = [data["x"]]
    else:
        picked = []
        for t, names in zip(sg.inputs, candidates):
            key = next((n for n in names if n in data), None)
            if key is None:
                raise ValueError(f"{source}: no array for model input {t.name!r}; expected one "
                                 f"of {names}" + (" or 'x'" if len(sg.inputs) == 1 else "")
                                 + f", found {sorted(data)}")
            picked.append(data[key])
    counts = {a.shape[0] if a.ndim else 0 for a in picked}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"{source}: inputs must share a non-empty first (sample) axis; got "
                         f"shapes {[list(a.shape) for a in picked]}")
    return [_coerce(t, a, source) for t, a in zip(sg.inputs, picked)]


def _coerce(t: Tensor, a: np.ndarray, source: str) -> np.ndarray:
    want = t.np_dtype
    if a.dtype == want:
        return a
    if want is not None and want.kind == "f" and a.dtype.kind in "fiu":
        return a.astype(want)  # float64 / integer data for a float input: exact enough
    raise ValueError(f"{source}: input {t.name!r} expects {want}, got {a.dtype}")


def load_npz(path: str | Path, model: Model) -> tuple[list[np.ndarray], np.ndarray | None]:
    """(arrays per model input, labels or None) from an ``.npz`` file."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    labels = next((arrays[k] for k in LABEL_KEYS if k in arrays), None)
    return match_inputs(model, arrays, str(path)), labels


def batchable(model: Model) -> bool:
    """True when every input's first dimension is dynamic (-1) in the shape signature."""
    return all(t.shape_signature is not None and len(t.shape_signature) > 0
               and t.shape_signature[0] == -1 for t in model.main.inputs)


def batches(model: Model, arrays: list[np.ndarray], batch: int = 32
            ) -> Iterator[tuple[int, list[np.ndarray]]]:
    """Yield (number of samples, inputs shaped for the model) over the dataset."""
    n = arrays[0].shape[0]
    sg = model.main
    if batchable(model):
        for start in range(0, n, batch):
            chunk = [a[start:start + batch] for a in arrays]
            for t, c in zip(sg.inputs, chunk):
                check_input(t, c, "input")
            yield chunk[0].shape[0], chunk
        return
    for i in range(n):
        sample = []
        for t, a in zip(sg.inputs, arrays):
            x = a[i]
            if x.ndim == len(t.shape) - 1:
                x = x[None]
            check_input(t, x, "input")
            sample.append(x)
        yield 1, sample


def run_dataset(model: Model, arrays: list[np.ndarray], *, batch: int = 32,
                runner: Runner | None = None, progress: bool = False) -> list[np.ndarray]:
    """Run every sample; returns one array per model output with the samples on axis 0."""
    runner = runner or Runner(model)
    per_output: list[list[np.ndarray]] = [[] for _ in model.main.outputs]
    batched = batchable(model)
    total = arrays[0].shape[0]
    done = 0
    with Progress(total, "running", enabled=progress) as bar:
        for count, inputs in batches(model, arrays, batch):
            outs = runner.run_subgraph(model.main, inputs)
            for lst, o in zip(per_output, outs):
                o = np.asarray(o)
                lst.append(o if batched or (o.ndim and o.shape[0] == 1) else o[None])
            done += count
            bar.update(done)
    return [np.concatenate(lst, axis=0) for lst in per_output]
