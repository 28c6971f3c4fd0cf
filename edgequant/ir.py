"""edgequant's in-memory model: Model, Subgraph, Tensor, Operator, QuantParams.

Mirrors the tables of LiteRT's ``schema.fbs`` (Model, SubGraph, Tensor, Operator,
QuantizationParameters, SignatureDef) but with object references instead of indices: an
Operator holds its input Tensors, a WHILE op's options hold the body Subgraph, a SignatureDef
holds Tensors. Only the writer (``tflite_io``) turns references back into indices, so passes
can add, drop and reorder freely.

Helpers here are what graph rewrites need: producers/consumers of a tensor, inserting an op
before/after another, replacing uses, dropping dead ops and tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from . import dtypes

# Builtin ops with side effects that a dead-code pass must never drop even when nothing reads
# their outputs (they write resources or variables).
_SIDE_EFFECT_OPS = frozenset({
    "ASSIGN_VARIABLE", "CALL_ONCE", "VAR_HANDLE", "HASHTABLE_IMPORT", "CUSTOM",
    "WHILE", "IF", "CALL",
})


@dataclass(eq=False)
class QuantParams:
    """A tensor's quantization table. ``scale``/``zero_point`` have one entry per channel of
    ``quantized_dimension`` (or one entry for per-tensor quantization)."""

    scale: np.ndarray | None = None  # float32
    zero_point: np.ndarray | None = None  # int64
    quantized_dimension: int = 0
    min: np.ndarray | None = None  # float32, kept as written
    max: np.ndarray | None = None
    custom: bytes | None = None  # CustomQuantization.custom, carried through untouched

    @property
    def per_axis(self) -> bool:
        return self.scale is not None and self.scale.size > 1

    @property
    def is_empty(self) -> bool:
        return all(v is None for v in (self.scale, self.zero_point, self.min, self.max,
                                       self.custom))

    def as_tuple(self) -> tuple[float, int]:
        """(scale, zero_point) of a per-tensor table, as tf.lite's ``quantization`` key."""
        if self.scale is None or self.scale.size == 0:
            return (0.0, 0)
        zp = int(self.zero_point[0]) if self.zero_point is not None and self.zero_point.size else 0
        return (float(self.scale[0]), zp)


@dataclass(eq=False)
class Tensor:
    """A tensor. ``data`` is the constant's value (a NumPy array shaped like ``shape``) or None
    for an activation. int4 data is held unpacked as int8; STRING and other byte-level types
    keep their raw bytes as a 1-D uint8 array."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    data: np.ndarray | None = None
    quantization: QuantParams | None = None
    shape_signature: tuple[int, ...] | None = None
    is_variable: bool = False
    sparsity: dict[str, Any] | None = None
    has_rank: bool = False
    variant_tensors: list[dict[str, Any]] | None = None  # {shape, dtype, has_rank}

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def np_dtype(self) -> np.dtype | None:
        return dtypes.to_numpy(self.dtype)

    @property
    def qparams(self) -> tuple[float, int]:
        """(scale, zero_point) like tf.lite's ``quantization`` (0.0, 0) when unquantized."""
        return self.quantization.as_tuple() if self.quantization else (0.0, 0)

    def __repr__(self) -> str:  # short: tensors appear in many error messages
        kind = "const " if self.data is not None else ""
        return f"<Tensor {self.name!r} {kind}{self.dtype}{list(self.shape)}>"


@dataclass(eq=False)
class Operator:
    """An op. ``type`` is the BuiltinOperator name ('CONV_2D', 'CUSTOM', or 'BUILTIN_<n>' for a
    code newer than our schema). ``options`` is the builtin options table as a dict with
    snake_case keys (enums as names, subgraph indices as Subgraph objects); ``options_type`` is
    the table's name ('Conv2DOptions') or None. Missing optional inputs are None."""

    type: str
    inputs: list[Tensor | None] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    options_type: str | None = None
    version: int = 1
    custom_code: str | None = None
    custom_options: bytes | None = None
    custom_options_format: int = 0
    options2: dict[str, Any] = field(default_factory=dict)
    options2_type: str | None = None
    mutating_variable_inputs: list[bool] | None = None
    intermediates: list[Tensor] = field(default_factory=list)
    builtin_code: int | None = None  # numeric code when ``type`` is unknown to our schema

    def __repr__(self) -> str:
        outs = ", ".join(repr(t.name) for t in self.outputs if t is not None)
        return f"<Operator {self.type} v{self.version} -> {outs}>"


@dataclass(eq=False)
class Subgraph:
    name: str = ""
    tensors: list[Tensor] = field(default_factory=list)
    inputs: list[Tensor] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)
    operators: list[Operator] = field(default_factory=list)

    # -- queries -----------------------------------------------------------------------------
    def producers(self) -> dict[int, Operator]:
        """Map id(tensor) -> the op that writes it (build once, query many)."""
        return {id(t): op for op in self.operators for t in op.outputs if t is not None}

    def consumers(self) -> dict[int, list[Operator]]:
        """Map id(tensor) -> ops that read it, in execution order."""
        out: dict[int, list[Operator]] = {}
        for op in self.operators:
            for t in op.inputs:
                if t is not None:
                    lst = out.setdefault(id(t), [])
                    if not lst or lst[-1] is not op:
                        lst.append(op)
        return out

    def producer(self, tensor: Tensor) -> Operator | None:
        return self.producers().get(id(tensor))

    def consumers_of(self, tensor: Tensor) -> list[Operator]:
        return self.consumers().get(id(tensor), [])

    def all_tensors(self) -> Iterator[Tensor]:
        """Every tensor the subgraph refers to, each once: the ``tensors`` list first, then any
        tensor an op, input or output references that is not in it (in op order)."""
        seen: set[int] = set()
        for t in self.tensors:
            if id(t) not in seen:
                seen.add(id(t))
                yield t
        for t in self._referenced():
            if id(t) not in seen:
                seen.add(id(t))
                yield t

    def _referenced(self) -> Iterator[Tensor]:
        yield from self.inputs
        for op in self.operators:
            yield from (t for t in op.inputs if t is not None)
            yield from (t for t in op.outputs if t is not None)
            yield from op.intermediates
        yield from self.outputs

    # -- edits -------------------------------------------------------------------------------
    def _index(self, op: Operator) -> int:
        for i, o in enumerate(self.operators):
            if o is op:
                return i
        raise ValueError(f"{op!r} is not in subgraph {self.name!r}")

    def insert_before(self, anchor: Operator, op: Operator) -> Operator:
        self.operators.insert(self._index(anchor), op)
        self._adopt(op)
        return op

    def insert_after(self, anchor: Operator, op: Operator) -> Operator:
        self.operators.insert(self._index(anchor) + 1, op)
        self._adopt(op)
        return op

    def _adopt(self, op: Operator) -> None:
        known = {id(t) for t in self.tensors}
        for t in [*op.inputs, *op.outputs]:
            if t is not None and id(t) not in known:
                self.tensors.append(t)
                known.add(id(t))

    def replace_uses(self, old: Tensor, new: Tensor, *, skip: Operator | None = None,
                     outputs: bool = True) -> int:
        """Make every op (except ``skip``) that reads ``old`` read ``new`` instead; also the
        subgraph outputs when ``outputs``. Returns the number of uses replaced."""
        n = 0
        for op in self.operators:
            if op is skip:
                continue
            for i, t in enumerate(op.inputs):
                if t is old:
                    op.inputs[i] = new
                    n += 1
        if outputs:
            for i, t in enumerate(self.outputs):
                if t is old:
                    self.outputs[i] = new
                    n += 1
        if n and all(t is not new for t in self.tensors):
            self.tensors.append(new)
        return n

    def remove_op(self, op: Operator) -> None:
        del self.operators[self._index(op)]

    def drop_dead(self) -> tuple[int, int]:
        """Drop ops none of whose outputs are used (side-effecting ops are kept), then tensors
        nothing refers to. Returns (ops dropped, tensors dropped)."""
        dropped_ops = 0
        while True:
            live = {id(t) for t in self.outputs}
            for op in self.operators:
                live.update(id(t) for t in op.inputs if t is not None)
            dead = [op for op in self.operators
                    if op.type not in _SIDE_EFFECT_OPS
                    and all(t is None or (id(t) not in live and not t.is_variable)
                            for t in op.outputs)]
            if not dead:
                break
            dead_ids = {id(op) for op in dead}
            self.operators = [op for op in self.operators if id(op) not in dead_ids]
            dropped_ops += len(dead)
        referenced = {id(t) for t in self._referenced()}
        before = len(self.tensors)
        self.tensors = [t for t in self.tensors if id(t) in referenced]
        return dropped_ops, before - len(self.tensors)


@dataclass(eq=False)
class SignatureDef:
    key: str
    subgraph: Subgraph
    inputs: dict[str, Tensor] = field(default_factory=dict)
    outputs: dict[str, Tensor] = field(default_factory=dict)


@dataclass(eq=False)
class Model:
    version: int = 3
    description: str = ""
    subgraphs: list[Subgraph] = field(default_factory=list)
    signature_defs: list[SignatureDef] = field(default_factory=list)
    metadata: dict[str, bytes] = field(default_factory=dict)
    # Where the model was read from (a path), so save() can refuse to overwrite it.
    source_path: str | None = None

    @property
    def main(self) -> Subgraph:
        if not self.subgraphs:
            raise ValueError("model has no subgraphs")
        return self.subgraphs[0]

    def operators(self) -> Iterator[tuple[Subgraph, int, Operator]]:
        for sg in self.subgraphs:
            for i, op in enumerate(sg.operators):
                yield sg, i, op

    def subgraph_index(self, sg: Subgraph) -> int:
        for i, s in enumerate(self.subgraphs):
            if s is sg:
                return i
        raise ValueError(f"subgraph {sg.name!r} is not part of this model")
