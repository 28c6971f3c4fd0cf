"""Run a Model in NumPy: ``Runner`` (the engine), ``run()`` and a tf.lite-style ``Interpreter``.

Execution follows TFLite's ``Subgraph::Invoke``: ops run in the order stored in the model;
control-flow kernels (WHILE, IF) call back into ``Runner.run_subgraph``. Shapes are dynamic:
each kernel computes its output from the arrays it is given, so a batch of N samples runs in one
pass wherever the model's ``shape_signature`` allows it (calibration relies on this).

The ``Interpreter`` class mirrors ``tf.lite.Interpreter`` (``ai_edge_litert.interpreter``):
same constructor arguments, tensor-detail dicts with the same keys and meanings, same errors
for wrong dtypes and shapes in ``set_tensor``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from . import ops as op_registry
from .errors import EdgeQuantError, UnsupportedOpError
from .ir import Model, Operator, Subgraph, Tensor
from .ops._base import OpContext
from .tflite_io import load

log = logging.getLogger(__name__)


class KernelError(EdgeQuantError, RuntimeError):
    """A kernel failed on the data it was given (names the op and where it is)."""


@dataclass
class _Step:
    fn: Callable[..., Any]
    ctx: OpContext
    ins: list[int]  # slot per input, -1 for an omitted optional input
    outs: list[int]
    where: str


@dataclass
class _Plan:
    slots: dict[int, int]  # id(tensor) -> slot
    tensors: list[Tensor]
    consts: list[tuple[int, np.ndarray]]
    steps: list[_Step]
    inputs: list[int]
    outputs: list[int]
    free_after: list[list[int]] = field(default_factory=list)


def _quantized(t: Tensor | None) -> bool:
    return (t is not None and t.dtype in ("int8", "uint8", "int16", "int4")
            and t.quantization is not None and t.quantization.scale is not None
            and t.quantization.scale.size > 0)


class Runner:
    """Executes a Model. Builds a plan per subgraph once (kernels looked up, constants bound)."""

    def __init__(self, model: Model, *, profile: str = "reference"):
        self.model = model
        self.profile = profile
        self.debug = bool(os.environ.get("EDGEQUANT_DEBUG"))
        self._plans: dict[int, _Plan] = {}
        missing = self._missing_kernels()
        if missing:
            lines = "\n".join(f"  - {m}" for m in missing)
            raise UnsupportedOpError(
                f"no edgequant kernel for {len(missing)} op(s):\n{lines}\n"
                f"supported ops: {', '.join(op_registry.supported_ops())}")

    def _kernel(self, op: Operator) -> tuple[Callable[..., Any] | None, str]:
        mod = op_registry.get(op.type)
        if mod is None:
            return None, "no kernel for this op"
        if op.type not in ("QUANTIZE", "DEQUANTIZE") and any(
                _quantized(t) for t in [*op.inputs, *op.outputs] if t is None or t.data is None):
            fn = getattr(mod, "run_int", None)
            return fn, "no integer kernel for this op" if fn is None else ""
        if op.type not in ("DEQUANTIZE",) and any(
                _quantized(t) for t in op.inputs if t is not None and t.data is not None):
            fn = getattr(mod, "run_hybrid", None)
            return fn, "no hybrid (int8-weight) kernel for this op" if fn is None else ""
        fn = getattr(mod, "run_float", None)
        return fn, "" if fn else "no float kernel for this op"

    def _missing_kernels(self) -> list[str]:
        out = []
        for si, sg in enumerate(self.model.subgraphs):
            for oi, op in enumerate(sg.operators):
                fn, why = self._kernel(op)
                if fn is None:
                    name = op.type if op.type != "CUSTOM" else f"CUSTOM ({op.custom_code})"
                    out.append(f"{name} (subgraph {si} {sg.name!r}, op {oi}): {why}")
        return out

    def plan(self, sg: Subgraph) -> _Plan:
        p = self._plans.get(id(sg))
        if p is None:
            p = self._plans[id(sg)] = self._build_plan(sg)
        return p

    def _build_plan(self, sg: Subgraph) -> _Plan:
        tensors = list(sg.all_tensors())
        slots = {id(t): i for i, t in enumerate(tensors)}
        consts = [(slots[id(t)], t.data) for t in tensors if t.data is not None]
        si = self.model.subgraph_index(sg)
        steps = []
        for oi, op in enumerate(sg.operators):
            fn, _ = self._kernel(op)
            assert fn is not None
            steps.append(_Step(fn, OpContext(op, self),
                               [-1 if t is None else slots[id(t)] for t in op.inputs],
                               [slots[id(t)] for t in op.outputs],
                               f"{op.type} (subgraph {si}, op {oi})"))
        return _Plan(slots, tensors, consts, steps, [slots[id(t)] for t in sg.inputs],
                     [slots[id(t)] for t in sg.outputs])

    def run_subgraph(self, sg: Subgraph, inputs: Sequence[np.ndarray],
                     keep: dict[int, np.ndarray] | None = None) -> list[np.ndarray]:
        """Run ``sg`` on ``inputs``; if ``keep`` is a dict it receives every tensor's value
        keyed by id(tensor)."""
        p = self.plan(sg)
        if len(inputs) != len(p.inputs):
            raise ValueError(f"subgraph {sg.name!r} takes {len(p.inputs)} inputs, got "
                             f"{len(inputs)}")
        env: list[Any] = [None] * len(p.tensors)
        for slot, data in p.consts:
            env[slot] = data
        for slot, value in zip(p.inputs, inputs):
            env[slot] = value
        for step in p.steps:
            args = [None if i < 0 else env[i] for i in step.ins]
            try:
                res = step.fn(step.ctx, *args)
            except EdgeQuantError:
                raise
            except Exception as exc:
                raise KernelError(f"{step.where}: {type(exc).__name__}: {exc}") from exc
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) != len(step.outs):
                raise KernelError(f"{step.where}: kernel returned {len(res)} outputs, the op "
                                  f"has {len(step.outs)}")
            for slot, value in zip(step.outs, res):
                env[slot] = value
            if self.debug:
                for slot, value in zip(step.outs, res):
                    v = np.asarray(value)
                    rng = f"[{v.min()}, {v.max()}]" if v.size and v.dtype.kind in "biuf" else ""
                    log.debug("%s -> %s %s %s %s", step.where, p.tensors[slot].name, v.dtype,
                              list(v.shape), rng)
        if keep is not None:
            for i, t in enumerate(p.tensors):
                if env[i] is not None:
                    keep[id(t)] = env[i]
        return [env[i] for i in p.outputs]


def _as_input_list(model: Model, inputs: Any) -> list[np.ndarray]:
    sg = model.main
    if isinstance(inputs, Mapping):
        by_name = {t.name: t for t in sg.inputs}
        sig_names: dict[str, Tensor] = {}
        for s in model.signature_defs:
            if s.subgraph is sg:
                sig_names.update(s.inputs)
        out = []
        for t in sg.inputs:
            key = next((k for k, v in sig_names.items() if v is t and k in inputs), t.name)
            if key not in inputs:
                raise ValueError(f"missing model input {t.name!r}; got {sorted(inputs)}")
            out.append(np.asarray(inputs[key]))
        unknown = set(inputs) - set(by_name) - set(sig_names)
        if unknown:
            raise ValueError(f"unknown input name(s) {sorted(unknown)}; the model's inputs are "
                             f"{[t.name for t in sg.inputs]}")
        return out
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    return [np.asarray(x) for x in inputs]


def check_input(t: Tensor, value: np.ndarray, what: str) -> None:
    """Raise ValueError unless ``value`` fits input tensor ``t`` (dtype exact; shape equal to
    the shape signature, where -1 matches anything)."""
    want = t.np_dtype
    if want is not None and value.dtype != want:
        raise ValueError(f"{what} {t.name!r}: expected dtype {want}, got {value.dtype}")
    sig = t.shape_signature if t.shape_signature is not None else t.shape
    if len(sig) != value.ndim or any(s != -1 and s != v for s, v in zip(sig, value.shape)):
        raise ValueError(f"{what} {t.name!r}: expected shape {list(sig)} (-1 = any), got "
                         f"{list(value.shape)}")


def run(model: Model | str | bytes, inputs: Any, *, return_intermediates: bool = False,
        profile: str = "reference") -> Any:
    """Run ``model`` on ``inputs`` (a list in input order, a dict keyed by input or signature
    name, or one array) and return the list of outputs. With ``return_intermediates`` returns
    ``(outputs, values)`` where ``values`` maps every Tensor of the main subgraph to its array.
    """
    if not isinstance(model, Model):
        model = load(model)
    arrays = _as_input_list(model, inputs)
    sg = model.main
    if len(arrays) != len(sg.inputs):
        raise ValueError(f"the model takes {len(sg.inputs)} input(s), got {len(arrays)}")
    for t, a in zip(sg.inputs, arrays):
        check_input(t, a, "input")
    runner = Runner(model, profile=profile)
    if not return_intermediates:
        return runner.run_subgraph(sg, arrays)
    keep: dict[int, np.ndarray] = {}
    outs = runner.run_subgraph(sg, arrays, keep)
    by_tensor = {t: keep[id(t)] for t in sg.all_tensors() if id(t) in keep}
    return outs, by_tensor
