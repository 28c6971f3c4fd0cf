"""What the Keras layer lowerings share: the ``Layer`` being lowered, the lowering context and
the registry of lowerings by Keras class name.

A lowering is ``fn(ctx, layer, inputs) -> Tensor | list[Tensor]``: ``inputs`` is the list of
the call's input tensors (several for merge layers), already edgequant IR tensors, and the
lowering appends TFLite ops to ``ctx.g`` (the main graph) that compute the layer's outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConversionError, UnsupportedOpError
from ..ir import Subgraph, Tensor
from .graph import Graph
from .reader import WeightSource

Lowering = Callable[["Context", "Layer", list[Tensor]], "Tensor | list[Tensor]"]
LOWERINGS: dict[str, Lowering] = {}


def lowering(*class_names: str) -> Callable[[Lowering], Lowering]:
    def deco(fn: Lowering) -> Lowering:
        for n in class_names:
            LOWERINGS[n] = fn
        return fn
    return deco


@dataclass
class Layer:
    class_name: str
    name: str
    config: dict[str, Any]
    path: tuple[str, ...]  # layer names from the outermost model down to this layer
    source: WeightSource
    _weights: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def weights(self) -> list[np.ndarray]:
        if self._weights is None:
            self._weights = [np.asarray(w, dtype=np.float32) if np.asarray(w).dtype.kind == "f"
                             else np.asarray(w) for w in self.source.get(self.path)]
        return self._weights

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def unsupported(self, what: str) -> UnsupportedOpError:
        return UnsupportedOpError(f"Keras layer {self.name!r} ({self.class_name}): {what}")

    def need_weights(self, n: int) -> list[np.ndarray]:
        w = self.weights
        if len(w) < n:
            raise ConversionError(f"Keras layer {self.name!r} ({self.class_name}): expected "
                                  f"{n} weight arrays, the model has {len(w)}")
        return w


@dataclass
class Context:
    g: Graph
    subgraphs: list[Subgraph] = field(default_factory=list)  # WHILE cond/body, in order

    def add_subgraph(self, sg: Subgraph) -> Subgraph:
        self.subgraphs.append(sg)
        return sg


def channels_last(layer: Layer) -> None:
    fmt = layer.get("data_format", "channels_last")
    if fmt not in (None, "channels_last"):
        raise layer.unsupported(f"data_format={fmt!r} (only channels_last is supported; TFLite "
                                "kernels are NHWC)")


def pair(v: Any, n: int = 2) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(x) for x in v)
    return tuple(int(v) for _ in range(n))
