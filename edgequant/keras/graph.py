"""A small builder for TFLite graphs in edgequant's IR, used by the Keras frontend.

``Graph`` holds one subgraph under construction: activation tensors carry a concrete shape
(batch 1 where the Keras batch is unknown) and, in the main graph, a ``shape_signature`` with
-1 in the batch position, as TensorFlow's converter writes them. Ops come from
``ops._build.make_op``, so they get the schema's default options and the version their op file
computes (called again by ``finish`` once options are final).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir import Operator, Subgraph, Tensor
from ..ops._build import make_op

_NP_DTYPE = {"float32": np.float32, "int32": np.int32, "int64": np.int64, "bool": np.bool_,
             "int8": np.int8, "int16": np.int16, "uint8": np.uint8, "float16": np.float16}


class Graph:
    """One subgraph being built. ``dyn_batch``: activations' first dimension is the batch and
    is dynamic (-1 in the shape signature)."""

    def __init__(self, name: str, *, dyn_batch: bool = False):
        self.name = name
        self.dyn_batch = dyn_batch
        self.ops: list[Operator] = []
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self._names: dict[str, int] = {}

    # -- tensors -----------------------------------------------------------------------------
    def unique(self, name: str) -> str:
        n = self._names.get(name, 0)
        self._names[name] = n + 1
        return name if n == 0 else f"{name}_{n}"

    def signature(self, shape: Sequence[int], batched: bool = True) -> tuple[int, ...] | None:
        if not self.dyn_batch or not batched or not shape:
            return None
        return (-1, *shape[1:])

    def tensor(self, name: str, shape: Sequence[int], dtype: str = "float32", *,
               batched: bool = True) -> Tensor:
        shape = tuple(int(d) for d in shape)
        return Tensor(name=self.unique(name), shape=shape, dtype=dtype,
                      shape_signature=self.signature(shape, batched))

    def const(self, name: str, value: Any, dtype: str = "float32") -> Tensor:
        # np.array, not np.ascontiguousarray, which turns a scalar into shape [1].
        arr = np.array(value, dtype=_NP_DTYPE[dtype], order="C")
        return Tensor(name=self.unique(name), shape=tuple(arr.shape), dtype=dtype, data=arr)

    def input(self, name: str, shape: Sequence[int], dtype: str = "float32") -> Tensor:
        t = self.tensor(name, shape, dtype)
        self.inputs.append(t)
        return t

    # -- ops ---------------------------------------------------------------------------------
    def op(self, op_type: str, inputs: list[Tensor | None], name: str,
           shape: Sequence[int] | None = None, dtype: str = "float32", *,
           outputs: list[Tensor] | None = None, batched: bool = True, **options: Any) -> Any:
        """Append an op. With ``shape``, one output tensor of that shape is made and returned;
        with ``outputs``, those tensors are used and the op is returned."""
        if outputs is None:
            assert shape is not None
            out = self.tensor(name, shape, dtype, batched=batched)
            self.ops.append(make_op(op_type, inputs, [out], **options))
            return out
        op = make_op(op_type, inputs, outputs, **options)
        self.ops.append(op)
        return op

    def subgraph(self) -> Subgraph:
        sg = Subgraph(name=self.name, inputs=list(self.inputs), outputs=list(self.outputs),
                      operators=list(self.ops))
        sg.tensors = list(sg.all_tensors())
        return sg


def const_int(g: Graph, name: str, values: Sequence[int] | int) -> Tensor:
    return g.const(name, np.asarray(values, dtype=np.int32), "int32")
