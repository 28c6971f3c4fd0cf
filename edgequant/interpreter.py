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
        # Called as observer(tensor, value) for every subgraph input and every op output, in
        # every subgraph and loop iteration (calibration hooks its statistics in here).
        self.observer: Callable[[Tensor, np.ndarray], None] | None = None
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
        plan = _Plan(slots, tensors, consts, steps, [slots[id(t)] for t in sg.inputs],
                     [slots[id(t)] for t in sg.outputs])
        # Free each intermediate after its last reader (unless the caller keeps them all):
        # big activations stay in cache and memory stays flat on long graphs.
        last: dict[int, int] = {}
        for k, step in enumerate(steps):
            for i in [*step.ins, *step.outs]:
                if i >= 0:
                    last[i] = k
        pinned = {slot for slot, _ in consts} | set(plan.outputs) | set(plan.inputs)
        plan.free_after = [[] for _ in steps]
        for slot, k in last.items():
            if slot not in pinned:
                plan.free_after[k].append(slot)
        return plan

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
        observer = self.observer
        if observer is not None:
            for slot, value in zip(p.inputs, inputs):
                observer(p.tensors[slot], value)
        for k, step in enumerate(p.steps):
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
                if observer is not None:
                    observer(p.tensors[slot], value)
            if keep is None:
                for slot in p.free_after[k]:
                    env[slot] = None
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


# ===================================================================== tf.lite API ===========
_DTYPE_CLASS = {np.dtype(t): t for t in (np.float32, np.float16, np.float64, np.int8, np.uint8,
                                         np.int16, np.uint16, np.int32, np.uint32, np.int64,
                                         np.uint64, np.bool_, np.complex64, np.complex128)}


def _details(t: Tensor, index: int, shape: Sequence[int] | None = None) -> dict[str, Any]:
    """One entry of get_input_details()/get_tensor_details(), keyed as tf.lite does."""
    q = t.quantization
    scales = np.zeros(0, np.float32) if q is None or q.scale is None else q.scale.astype(np.float32)
    zps = np.zeros(0, np.int32) if q is None or q.zero_point is None else \
        q.zero_point.astype(np.int32)
    npdt = t.np_dtype
    sig = t.shape_signature if t.shape_signature is not None else t.shape
    return {
        "name": t.name,
        "index": index,
        "shape": np.array(shape if shape is not None else t.shape, dtype=np.int32),
        "shape_signature": np.array(sig, dtype=np.int32),
        "dtype": _DTYPE_CLASS.get(npdt, np.object_) if npdt is not None else np.object_,
        "quantization": t.qparams,
        "quantization_parameters": {"scales": scales, "zero_points": zps,
                                    "quantized_dimension": 0 if q is None
                                    else int(q.quantized_dimension)},
        "sparsity_parameters": {} if t.sparsity is None else dict(t.sparsity),
    }


class Interpreter:
    """A drop-in for ``tf.lite.Interpreter`` running edgequant's NumPy kernels.

    ``kernel_profile`` picks whose arithmetic the quantized kernels reproduce: 'reference'
    (LiteRT's BUILTIN_REF kernels, the default), 'optimized' (its builtin optimized kernels,
    BUILTIN_WITHOUT_DEFAULT_DELEGATES) or 'xnnpack' (the default XNNPACK delegate). Delegates,
    thread counts and op-resolver types are accepted for
    compatibility and ignored.
    """

    def __init__(self, model_path: str | None = None, model_content: bytes | None = None,
                 experimental_delegates: Any = None, num_threads: int | None = None,
                 experimental_op_resolver_type: Any = None,
                 experimental_preserve_all_tensors: bool = False,
                 kernel_profile: str = "reference", **_: Any):
        if (model_path is None) == (model_content is None):
            raise ValueError("pass exactly one of model_path or model_content")
        self._model = load(model_path if model_path is not None else model_content)
        self._runner = Runner(self._model, profile=kernel_profile)
        self._sg = self._model.main
        self._tensors = list(self._sg.all_tensors())
        self._index = {id(t): i for i, t in enumerate(self._tensors)}
        self._shapes: dict[int, tuple[int, ...]] = {
            self._index[id(t)]: tuple(t.shape) for t in self._sg.inputs}
        self._values: dict[int, np.ndarray] = {}
        self._allocated = False
        # As in tf.lite, intermediate tensors are only readable after invoke() with
        # experimental_preserve_all_tensors=True; otherwise their memory is released early.
        self._preserve = experimental_preserve_all_tensors

    # -- details -----------------------------------------------------------------------------
    def get_input_details(self) -> list[dict[str, Any]]:
        return [_details(t, self._index[id(t)], self._shapes[self._index[id(t)]])
                for t in self._sg.inputs]

    def get_output_details(self) -> list[dict[str, Any]]:
        out = []
        for t in self._sg.outputs:
            i = self._index[id(t)]
            v = self._values.get(i)
            out.append(_details(t, i, None if v is None else v.shape))
        return out

    def get_tensor_details(self) -> list[dict[str, Any]]:
        return [_details(t, i, None if self._values.get(i) is None else self._values[i].shape)
                for i, t in enumerate(self._tensors)]

    def get_signature_list(self) -> dict[str, dict[str, list[str]]]:
        return {s.key: {"inputs": list(s.inputs), "outputs": list(s.outputs)}
                for s in self._model.signature_defs}

    # -- set up ------------------------------------------------------------------------------
    def _input_position(self, index: int) -> Tensor:
        for t in self._sg.inputs:
            if self._index[id(t)] == index:
                return t
        raise ValueError(f"tensor {index} is not an input of the model; inputs are "
                         f"{[self._index[id(t)] for t in self._sg.inputs]}")

    def resize_tensor_input(self, input_index: int, tensor_size: Sequence[int],
                            strict: bool = False) -> None:
        t = self._input_position(input_index)
        new = tuple(int(d) for d in tensor_size)
        sig = t.shape_signature if t.shape_signature is not None else t.shape
        if len(new) != len(sig) and strict:
            raise ValueError(f"input {t.name!r}: rank {len(new)} does not match the model's "
                             f"{len(sig)}")
        if strict and any(s != -1 and s != n for s, n in zip(sig, new)):
            raise ValueError(f"input {t.name!r}: only dimensions that are -1 in the shape "
                             f"signature {list(sig)} can be resized (strict); got {list(new)}")
        self._shapes[input_index] = new
        self._allocated = False

    def allocate_tensors(self) -> None:
        for t in self._sg.inputs:
            i = self._index[id(t)]
            shape = self._shapes[i]
            if any(d < 0 for d in shape):
                raise ValueError(f"input {t.name!r} has unknown dimensions {list(shape)}; call "
                                 "resize_tensor_input first")
            self._values[i] = np.zeros(shape, dtype=t.np_dtype)
        self._allocated = True

    def _check_allocated(self) -> None:
        if not self._allocated:
            raise RuntimeError("call allocate_tensors() first")

    def set_tensor(self, tensor_index: int, value: Any) -> None:
        self._check_allocated()
        t = self._input_position(tensor_index)
        value = np.asarray(value)
        want = t.np_dtype
        if value.dtype != want:
            raise ValueError(f"Cannot set tensor: got value of type {value.dtype} but expected "
                             f"type {want} for input {tensor_index}, name: {t.name}")
        shape = self._shapes[tensor_index]
        if value.shape != tuple(shape):
            raise ValueError(f"Cannot set tensor: dimension mismatch; got shape "
                             f"{list(value.shape)} but expected {list(shape)} for input "
                             f"{tensor_index}, name: {t.name} (use resize_tensor_input to "
                             "change it)")
        self._values[tensor_index] = value.copy()

    def tensor(self, tensor_index: int) -> Callable[[], np.ndarray]:
        """Like tf.lite: a function returning a live view of the tensor's buffer."""
        self._check_allocated()
        return lambda: self._value(tensor_index)

    def _value(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self._tensors):
            raise ValueError(f"tensor index {index} out of range (0..{len(self._tensors) - 1})")
        if index in self._values:
            return self._values[index]
        t = self._tensors[index]
        if t.data is not None:
            return t.data
        raise ValueError(f"tensor {index} ({t.name!r}) has no value: call invoke(), and create "
                         "the Interpreter with experimental_preserve_all_tensors=True to read "
                         "intermediate tensors")

    def get_tensor(self, tensor_index: int, subgraph_index: int = 0) -> np.ndarray:
        self._check_allocated()
        return np.array(self._value(tensor_index), copy=True)

    def invoke(self) -> None:
        self._check_allocated()
        inputs = [self._values[self._index[id(t)]] for t in self._sg.inputs]
        keep: dict[int, np.ndarray] | None = {} if self._preserve else None
        outs = self._runner.run_subgraph(self._sg, inputs, keep)
        for tid, v in (keep or {}).items():
            i = self._index.get(tid)
            if i is not None and self._tensors[i].data is None:
                self._values[i] = np.asarray(v)
        for t, v in zip(self._sg.outputs, outs):
            self._values[self._index[id(t)]] = np.asarray(v)

    def get_signature_runner(self, signature_key: str | None = None) -> "SignatureRunner":
        sigs = self._model.signature_defs
        if not sigs:
            raise ValueError("the model has no signatures")
        if signature_key is None:
            if len(sigs) > 1:
                raise ValueError(f"the model has {len(sigs)} signatures; name one of "
                                 f"{[s.key for s in sigs]}")
            return SignatureRunner(self._runner, sigs[0])
        for s in sigs:
            if s.key == signature_key:
                return SignatureRunner(self._runner, s)
        raise ValueError(f"no signature {signature_key!r}; the model has {[s.key for s in sigs]}")


class SignatureRunner:
    """``interpreter.get_signature_runner()``: call with keyword inputs, get a dict back."""

    def __init__(self, runner: Runner, sig: Any):
        self._runner = runner
        self._sig = sig

    def get_input_details(self) -> dict[str, dict[str, Any]]:
        return {k: _details(t, i) for i, (k, t) in enumerate(self._sig.inputs.items())}

    def get_output_details(self) -> dict[str, dict[str, Any]]:
        return {k: _details(t, i) for i, (k, t) in enumerate(self._sig.outputs.items())}

    def __call__(self, **kwargs: Any) -> dict[str, np.ndarray]:
        sg = self._sig.subgraph
        missing = set(self._sig.inputs) - set(kwargs)
        unknown = set(kwargs) - set(self._sig.inputs)
        if missing or unknown:
            raise ValueError(f"signature {self._sig.key!r} takes inputs "
                             f"{sorted(self._sig.inputs)}; missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
        by_tensor = {id(self._sig.inputs[k]): np.asarray(v) for k, v in kwargs.items()}
        arrays = []
        for t in sg.inputs:
            if id(t) not in by_tensor:
                raise ValueError(f"subgraph input {t.name!r} is not in signature "
                                 f"{self._sig.key!r}")
            check_input(t, by_tensor[id(t)], "input")
            arrays.append(by_tensor[id(t)])
        keep: dict[int, np.ndarray] = {}
        self._runner.run_subgraph(sg, arrays, keep)
        return {k: keep[id(t)] for k, t in self._sig.outputs.items()}
