"""Reading a Keras 3 model: its config and its weights, from a ``.keras`` file or a live model.

A ``.keras`` file is a zip of ``config.json`` (the ``serialize_keras_object`` form of the
model: class name, layer configs, functional wiring) and ``model.weights.h5`` (HDF5; Keras 3's
``saving_lib`` layout: ``layers/<attr>/vars/<i>`` per layer, where ``<attr>`` is the snake-case
class name made unique and the ``vars`` group's ``name`` attribute is the layer's name; nested
objects such as an RNN's ``cell`` or a nested model's ``layers`` are sub-groups). Reading it
needs json and h5py only: no Keras, no backend.

A live ``keras.Model`` gives the same config through ``get_config()`` and its weights through
``layer.get_weights()``, which work on every backend.

Either way the result is a config dict ``{"class_name", "config"}`` and a ``WeightSource``
that returns a layer's weight arrays, in ``get_weights()`` order, by the chain of layer names
from the outer model down to the layer.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConversionError


class WeightSource:
    def get(self, path: tuple[str, ...]) -> list[np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class _Node:
    vars: list[np.ndarray] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)  # nested model layers by name


class H5Weights(WeightSource):
    """Weights of a ``model.weights.h5`` read into memory (the files are small next to what
    they describe; reading once keeps the zip and HDF5 handles short-lived)."""

    def __init__(self, data: bytes, label: str):
        try:
            import h5py
        except ImportError:
            raise ConversionError(f"{label}: reading a .keras file needs h5py (pip install "
                                  "'edgequant[keras]')") from None
        self.label = label
        with h5py.File(io.BytesIO(data), "r") as f:
            self.root = self._node(f, h5py)

    @classmethod
    def _vars(cls, group: Any, h5py: Any) -> list[np.ndarray]:
        if "vars" not in group:
            return []
        v = group["vars"]
        keys = sorted((k for k in v if isinstance(v[k], h5py.Dataset)), key=int)
        return [np.asarray(v[k][()]) for k in keys]

    @classmethod
    def _node(cls, group: Any, h5py: Any) -> _Node:
        node = _Node(vars=cls._vars(group, h5py))
        # Sub-objects (an RNN's cell, a wrapper's inner layer): their variables follow the
        # layer's own, as get_weights() lists them.
        for key in sorted(group.keys()):
            if key in ("vars", "layers", "optimizer") or not isinstance(group[key], h5py.Group):
                continue
            sub = cls._node(group[key], h5py)
            node.vars = node.vars + cls._flatten(sub)
        if "layers" in group:
            for key in group["layers"]:
                child = group["layers"][key]
                name = key
                if "vars" in child and "name" in child["vars"].attrs:
                    name = child["vars"].attrs["name"]
                    name = name.decode() if isinstance(name, bytes) else str(name)
                node.children[name] = cls._node(child, h5py)
        return node

    @classmethod
    def _flatten(cls, node: _Node) -> list[np.ndarray]:
        out = list(node.vars)
        for c in node.children.values():
            out += cls._flatten(c)
        return out

    def get(self, path: tuple[str, ...]) -> list[np.ndarray]:
        node = self.root
        for name in path:
            if name not in node.children:
                raise ConversionError(f"{self.label}: no weights for layer {'/'.join(path)!r} "
                                      f"in model.weights.h5")
            node = node.children[name]
        return self._flatten(node) if node.children else list(node.vars)


class LiveWeights(WeightSource):
    """Weights of an in-memory Keras model, through ``get_layer(name).get_weights()``."""

    def __init__(self, model: Any):
        self.model = model

    def get(self, path: tuple[str, ...]) -> list[np.ndarray]:
        obj = self.model
        for name in path:
            obj = obj.get_layer(name)
        return [np.asarray(w) for w in obj.get_weights()]


class NoWeights(WeightSource):
    def get(self, path: tuple[str, ...]) -> list[np.ndarray]:
        return []


def read_keras_file(path: str | os.PathLike) -> tuple[dict[str, Any], WeightSource]:
    label = os.fspath(path)
    if os.path.isdir(label):
        raise ConversionError(f"{label}: a directory is not a .keras file (for a TensorFlow "
                              "SavedModel use TFLiteConverter.from_saved_model)")
    if not zipfile.is_zipfile(label):
        hint = (" (a legacy Keras 2 HDF5 model: load it in Keras and save it as .keras)"
                if label.endswith((".h5", ".hdf5")) else "")
        raise ConversionError(f"{label}: not a Keras 3 .keras file (zip){hint}")
    with zipfile.ZipFile(label) as z:
        names = set(z.namelist())
        if "config.json" not in names:
            raise ConversionError(f"{label}: no config.json in the archive")
        try:
            config = json.loads(z.read("config.json"))
        except ValueError as exc:
            raise ConversionError(f"{label}: config.json is not valid JSON: {exc}") from None
        weights: WeightSource = NoWeights()
        if "model.weights.h5" in names:
            weights = H5Weights(z.read("model.weights.h5"), label)
        elif "model.weights.npz" in names:  # pragma: no cover - other weights formats
            raise ConversionError(f"{label}: weights stored as model.weights.npz are not "
                                  "supported; save with the default HDF5 weights")
    return config, weights


def read_live_model(model: Any) -> tuple[dict[str, Any], WeightSource]:
    cls_name = type(model).__name__
    try:
        cfg = model.get_config()
    except Exception as exc:  # noqa: BLE001 - subclassed models raise NotImplementedError
        raise ConversionError(f"cannot read the config of Keras model {model.name!r} "
                              f"({cls_name}): {exc}; subclassed models need get_config()"
                              ) from None
    if not isinstance(cfg, dict) or "layers" not in cfg:
        raise ConversionError(f"Keras model {getattr(model, 'name', '?')!r} ({cls_name}) is "
                              "neither Sequential nor functional (its config lists no layers); "
                              "subclassed models are not supported")
    class_name = "Sequential" if cls_name == "Sequential" or "input_layers" not in cfg \
        else "Functional"
    return {"class_name": class_name, "config": cfg}, LiveWeights(model)
