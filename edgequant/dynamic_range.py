"""Dynamic-range ("hybrid") and float16 weight quantization: Model -> Model, no data needed.

Dynamic range follows TF's MLIR dynamic-range quantizer (shared SPEC_NOTES §5;
``prepare_quantize_dynamic_range.cc``, ``quantize.cc``, ``quantization_config.h``):
* int8 symmetric narrow-range weights; per channel along the op's quantization dimension
  (CONV_2D 0, DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 0, TRANSPOSE_CONV 0), per tensor elsewhere;
* weights with fewer than ``min_elements`` (1024) values stay float;
* ops with a hybrid kernel consume the int8 weight directly, with ``asymmetric_quantize_inputs``
  set where TF sets it; others (TRANSPOSE_CONV, GATHER, EMBEDDING_LOOKUP) get int8 + DEQUANTIZE.
* UNIDIRECTIONAL_SEQUENCE_LSTM is all or nothing: its input, recurrent, peephole and projection
  weights (inputs 1-11, 16) become per-tensor int8 together, with asymmetric inputs (op version
  3), or none does when any of them is under ``min_elements`` (TF's
  ``prepare_quantize_dynamic_range.cc`` special case: the op stays float; 'auto' below stores
  the large ones weight-only instead). LiteRT's kernel needs it: it refuses
  float recurrent or peephole weights next to int8 ones, reads float input or projection
  matrices as int8 bytes, and reads only a per-tensor scale (a per-channel tensor's is 0).
  Peephole vectors have n_cell elements, so TF leaves an LSTM with peepholes float unless
  ``min_elements`` is lowered. Beyond TF, an op with non-constant weights or a diagonal
  (1-D) recurrent vector is never made hybrid either (TF would quantize the rest, or write an
  int8 diagonal that LiteRT reads as float).

Beyond TF, ``strategy='auto'`` (the default) picks per op what LiteRT's default runtime (XNNPACK)
runs well. XNNPACK does not take hybrid DEPTHWISE_CONV_2D, so TF's choice splits the graph and
made MobileNetV2 0.56x as fast as float; and its per-row dynamic quantization of conv
activations cost agreement on MobileNetV2 without a speed gain at these sizes. So 'auto' keeps
FULLY_CONNECTED and BATCH_MATMUL hybrid (a clear gain, e.g. on LSTM bodies) and stores conv
weights weight-only (int8 + DEQUANTIZE, which XNNPACK folds into its packed float weights, so
the conv runs as fast as float with only weight rounding error). 'auto' keeps
UNIDIRECTIONAL_SEQUENCE_LSTM hybrid as TF does: XNNPACK never takes an LSTM, so LiteRT's
default path runs the builtin hybrid kernel anyway; where the op cannot go hybrid (a weight
under ``min_elements``, ...) 'auto' stores its large weights weight-only instead of leaving it
all float. 'tf' reproduces TF exactly (bit-identical files' outputs), 'weight-only' makes every
op weight-only.

float16 follows ``convertToFloat16Constant``: every float32 constant an op reads becomes a
FLOAT16 constant followed by DEQUANTIZE (values clamped to +-65504); I/O stays float32.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from . import versions, weights
from .errors import ConversionError
from .ir import Model, Operator, Subgraph, Tensor

log = logging.getLogger(__name__)

# op -> (weight input indices, per-channel axis or None)
_HYBRID = {
    "CONV_2D": ((1,), 0),
    "DEPTHWISE_CONV_2D": ((1,), 3),
    "FULLY_CONNECTED": ((1,), 0),
    "BATCH_MATMUL": ((1,), None),
    # input-to-gate, recurrent, peephole and projection weights (GetQuantizableOperandIndices)
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16), None),
}
_WEIGHT_ONLY = {
    "TRANSPOSE_CONV": ((1,), 0),
    "GATHER": ((0,), None),
    "EMBEDDING_LOOKUP": ((1,), None),
}
_ASYMMETRIC_INPUTS = frozenset({"FULLY_CONNECTED", "BATCH_MATMUL",
                                "UNIDIRECTIONAL_SEQUENCE_LSTM"})
# Ops kept hybrid by strategy 'auto'; the conv family goes weight-only (see module docstring).
_AUTO_HYBRID = frozenset({"FULLY_CONNECTED", "BATCH_MATMUL", "UNIDIRECTIONAL_SEQUENCE_LSTM"})
# Hybrid kernels that need every quantizable weight int8 (see module docstring).
_ALL_OR_NONE = frozenset({"UNIDIRECTIONAL_SEQUENCE_LSTM"})
_QUANTIZED_DTYPES = frozenset({"int8", "uint8", "int16", "int4", "float16"})


@dataclass
class WeightOptions:
    min_elements: int = 1024
    per_channel: bool = True
    per_channel_dense: bool = True
    strategy: str = "auto"  # 'auto' (fast on LiteRT's default path), 'tf', 'weight-only'
    # Selective quantization: op types and output tensor names whose ops stay float.
    keep_float_ops: frozenset[str] = frozenset()
    keep_float_nodes: frozenset[str] = frozenset()

    def keeps(self, op: Operator) -> bool:
        return op.type in self.keep_float_ops or any(
            t is not None and t.name in self.keep_float_nodes for t in op.outputs)


@dataclass
class Summary:
    """What the rewrite did, per op kind; shown by the CLI."""

    kinds: Counter = field(default_factory=Counter)  # 'hybrid' | 'weight-only' | 'float'
    by_op: dict[str, Counter] = field(default_factory=dict)

    def add(self, op: Operator, kind: str) -> None:
        self.kinds[kind] += 1
        self.by_op.setdefault(op.type, Counter())[kind] += 1


def check_not_quantized(model: Model) -> None:
    for sg, i, op in model.operators():
        for t in op.inputs:
            if t is not None and t.data is not None and t.dtype in _QUANTIZED_DTYPES:
                raise ConversionError(
                    f"the model is already quantized: {op.type} (subgraph "
                    f"{model.subgraph_index(sg)}, op {i}) reads {t.dtype} constant {t.name!r}; "
                    "convert the float model instead")


def _eligible(t: Tensor | None, opts: WeightOptions) -> bool:
    return (t is not None and t.data is not None and t.dtype == "float32"
            and t.data.size >= opts.min_elements)


def _axis(op: Operator, axis: int | None, opts: WeightOptions) -> int | None:
    if axis is None or not opts.per_channel:
        return None
    if op.type == "FULLY_CONNECTED" and not opts.per_channel_dense:
        return None
    return axis


def _not_all_quantizable(op: Operator, idxs: tuple[int, ...], opts: WeightOptions
                         ) -> str | None:
    """Why an all-or-none op cannot have every quantizable weight int8, or None."""
    for i in idxs:
        t = op.inputs[i] if i < len(op.inputs) else None
        if t is None:
            continue
        if t.data is None or t.dtype != "float32":
            return f"input {i} ({t.name!r}) is not a float32 constant"
        if op.type == "UNIDIRECTIONAL_SEQUENCE_LSTM" and 5 <= i <= 8 and t.data.ndim == 1:
            return f"input {i} ({t.name!r}) is a diagonal recurrent vector (read as float)"
        if t.data.size < opts.min_elements:
            return (f"input {i} ({t.name!r}) has {t.data.size} elements, fewer than "
                    f"min_elements={opts.min_elements}")
    return None


def _quantize_subgraph(sg: Subgraph, opts: WeightOptions, summary: Summary) -> None:
    hybrid_cache: dict[tuple[int, int | None], Tensor] = {}
    weight_only: dict[int, tuple[Tensor, int | None]] = {}
    for op in list(sg.operators):
        kind = "float"
        if opts.keeps(op):
            summary.add(op, kind)
            continue
        spec = _HYBRID.get(op.type)
        as_hybrid = spec is not None and (
            opts.strategy == "tf" or (opts.strategy == "auto" and op.type in _AUTO_HYBRID))
        if as_hybrid and op.type in _ALL_OR_NONE:
            why = _not_all_quantizable(op, spec[0], opts)
            if why is not None:
                as_hybrid = False
                if opts.strategy == "tf":
                    spec = None
                    log.warning("%s %r stays float: partial quantization of its weights is "
                                "not supported (%s)", op.type, op.outputs[0].name, why)
                else:
                    log.info("%s %r: weight-only, not hybrid (%s)", op.type,
                             op.outputs[0].name, why)
        elif spec is None:
            spec = _WEIGHT_ONLY.get(op.type)
        if spec is not None:
            idxs, axis = spec
            for i in idxs:
                t = op.inputs[i] if i < len(op.inputs) else None
                if not _eligible(t, opts):
                    continue
                ax = _axis(op, axis, opts)
                if as_hybrid:
                    key = (id(t), ax)
                    if key not in hybrid_cache:
                        hybrid_cache[key] = weights.int8_tensor(t, ax)
                    op.inputs[i] = hybrid_cache[key]
                    kind = "hybrid"
                else:
                    weight_only.setdefault(id(t), (t, ax))
                    kind = "weight-only"
            if kind == "hybrid" and op.type in _ASYMMETRIC_INPUTS:
                op.options["asymmetric_quantize_inputs"] = True
        if op.type not in ("DEQUANTIZE", "QUANTIZE"):
            summary.add(op, kind)
    # Weight-only constants: one DEQUANTIZE each, shared by all their readers.
    for t, ax in weight_only.values():
        if sg.consumers_of(t):
            weights.replace_with_dequantized(sg, t, weights.int8_tensor(t, ax))
    sg.drop_dead()


def _finish(model: Model) -> Model:
    versions.update_op_versions(model)
    versions.update_min_runtime_version(model)
    return model


def quantize_dynamic_range(model: Model, opts: WeightOptions | None = None
                           ) -> tuple[Model, Summary]:
    """Rewrite ``model`` (in place) with int8 weights; returns it and a summary."""
    opts = opts or WeightOptions()
    check_not_quantized(model)
    summary = Summary()
    for sg in model.subgraphs:
        _quantize_subgraph(sg, opts, summary)
    if not summary.kinds["hybrid"] and not summary.kinds["weight-only"]:
        log.warning("dynamic-range quantization found no float weights with at least %d "
                     "elements; the model is unchanged", opts.min_elements)
    return _finish(model), summary


def quantize_float16(model: Model, opts: WeightOptions | None = None
                     ) -> tuple[Model, Summary]:
    """Rewrite ``model`` (in place) with float16 constants + DEQUANTIZE. Constants read by an
    op that ``opts`` keeps float stay float32."""
    opts = opts or WeightOptions()
    check_not_quantized(model)
    summary = Summary()
    for sg in model.subgraphs:
        seen: dict[int, Tensor] = {}
        kept = {id(t) for op in sg.operators if opts.keeps(op) for t in op.inputs
                if t is not None}
        for op in list(sg.operators):
            kind = "float"
            if opts.keeps(op):
                summary.add(op, kind)
                continue
            for t in op.inputs:
                if t is not None and id(t) in kept:
                    continue
                if t is not None and t.data is not None and t.dtype == "float32":
                    seen.setdefault(id(t), t)
                    kind = "weight-only"
            summary.add(op, kind)
        for t in seen.values():
            weights.replace_with_dequantized(sg, t, weights.float16_tensor(t))
    if not summary.kinds["weight-only"]:
        log.warning("float16 quantization found no float32 constants; the model is unchanged")
    return _finish(model), summary
