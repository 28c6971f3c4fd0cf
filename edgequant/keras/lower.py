"""Lowering a Keras 3 model (Sequential or functional, nested models included) to a float
TFLite model in edgequant's IR.

The walk follows the model config: a Sequential model calls its layers in order; a functional
model resolves each layer call's input tensors by ``keras_history`` (layer name, node index,
tensor index) and lowers calls as their inputs become available. Each layer class has a
lowering (``layers_*`` modules) that emits the ops TensorFlow's converter emits for it; the
graph is then tidied the way TF's converter does (``fuse``): batch normalization folded into
the preceding convolution or dense layer, ReLU/ReLU6 fused into the op before them, zero
padding folded into a following VALID convolution.

The batch dimension: a Keras input whose batch size is unknown becomes batch 1 with a dynamic
(-1) batch in the shape signature, as TF writes it, unless the model has a recurrent layer,
whose WHILE loop state needs a fixed batch (TF does the same).
"""

from __future__ import annotations

from typing import Any

from ..errors import ConversionError, UnsupportedOpError
from ..ir import Model, SignatureDef, Tensor
from . import fuse, layers_conv, layers_core, layers_rnn  # noqa: F401 - register lowerings
from .base import LOWERINGS, Context, Layer
from .graph import Graph
from .reader import WeightSource

_MODEL_CLASSES = ("Sequential", "Functional", "Model")
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional")


def _layers_of(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    return list(cfg.get("config", {}).get("layers", []))


def _has_recurrent(cfg: dict[str, Any]) -> bool:
    for lc in _layers_of(cfg):
        if lc.get("class_name") in _RECURRENT:
            return True
        if lc.get("class_name") in _MODEL_CLASSES and _has_recurrent(lc):
            return True
    return False


def _input_specs(cfg: dict[str, Any]) -> list[tuple[str, list[Any], str]]:
    """(name, batch_shape, dtype) of each model input, in input order."""
    kind = cfg.get("class_name")
    c = cfg.get("config", {})
    layers = _layers_of(cfg)
    if kind == "Sequential":
        if layers and layers[0].get("class_name") == "InputLayer":
            lc = layers[0]["config"]
            shape = lc.get("batch_shape") or [None, *lc.get("batch_input_shape", [None])[1:]]
            return [(lc.get("name", "input"), list(shape), _dtype(lc.get("dtype")))]
        shape = c.get("build_input_shape")
        if shape is None:
            first = layers[0]["config"] if layers else {}
            shape = first.get("batch_shape") or first.get("batch_input_shape")
        if shape is None:
            raise ConversionError(f"Sequential model {c.get('name')!r} has no input shape: "
                                  "build it (model.build or keras.Input) before converting")
        return [("input", list(shape), "float32")]
    by_name = {lc["config"]["name"]: lc for lc in layers if "config" in lc}
    out = []
    for ref in _refs(c.get("input_layers", [])):
        lc = by_name.get(ref[0])
        if lc is None or lc.get("class_name") != "InputLayer":
            raise ConversionError(f"model input {ref[0]!r} is not an InputLayer")
        lcc = lc["config"]
        shape = lcc.get("batch_shape") or lcc.get("batch_input_shape")
        out.append((ref[0], list(shape), _dtype(lcc.get("dtype"))))
    return out


def _dtype(d: Any) -> str:
    if isinstance(d, dict):  # a DTypePolicy
        d = d.get("config", {}).get("name", "float32")
    d = str(d or "float32")
    if d.startswith("mixed_"):
        d = "float32"
    if d not in ("float32", "int32", "int64", "bool", "float16", "uint8", "int8", "int16"):
        raise ConversionError(f"model input dtype {d!r} is not supported")
    return "float32" if d == "float16" else d


def _refs(v: Any) -> list[list[Any]]:
    """``input_layers``/``output_layers``: one [name, node, index] or a list (or dict) of them."""
    if isinstance(v, dict):
        v = list(v.values())
    if len(v) == 3 and isinstance(v[0], str) and isinstance(v[1], int):
        return [list(v)]
    return [list(r) for r in v]


class _Walker:
    def __init__(self, ctx: Context, weights: WeightSource):
        self.ctx = ctx
        self.weights = weights

    def model(self, cfg: dict[str, Any], inputs: list[Tensor], path: tuple[str, ...]
              ) -> list[Tensor]:
        kind = cfg.get("class_name")
        if kind == "Sequential":
            return self.sequential(cfg, inputs, path)
        if kind in ("Functional", "Model"):
            return self.functional(cfg, inputs, path)
        raise UnsupportedOpError(f"Keras model class {kind!r} is not supported (Sequential and "
                                 "functional models are)")

    def call(self, lc: dict[str, Any], inputs: list[Tensor], path: tuple[str, ...]
             ) -> list[Tensor]:
        cls = lc.get("class_name", "?")
        conf = lc.get("config", {})
        name = conf.get("name", cls)
        if cls in _MODEL_CLASSES:
            return self.model(lc, inputs, path + (name,))
        fn = LOWERINGS.get(cls)
        if fn is None:
            raise UnsupportedOpError(
                f"Keras layer {name!r} ({cls}) has no TFLite lowering in edgequant (the "
                "supported classes are listed by edgequant.keras.supported_layers())")
        layer = Layer(cls, name, conf, path + (name,), self.weights)
        out = fn(self.ctx, layer, inputs)
        return out if isinstance(out, list) else [out]

    def sequential(self, cfg: dict[str, Any], inputs: list[Tensor], path: tuple[str, ...]
                   ) -> list[Tensor]:
        xs = inputs
        for lc in _layers_of(cfg):
            if lc.get("class_name") == "InputLayer":
                continue
            xs = self.call(lc, xs, path)
        return xs

    def functional(self, cfg: dict[str, Any], inputs: list[Tensor], path: tuple[str, ...]
                   ) -> list[Tensor]:
        c = cfg["config"]
        known: dict[tuple[str, int, int], Tensor] = {}
        in_refs = _refs(c.get("input_layers", []))
        if len(in_refs) != len(inputs):
            raise ConversionError(f"model {c.get('name')!r} takes {len(in_refs)} inputs, "
                                  f"got {len(inputs)}")
        for ref, t in zip(in_refs, inputs):
            known[(ref[0], 0, 0)] = t
        pending = []
        for lc in _layers_of(cfg):
            if lc.get("class_name") == "InputLayer":
                continue
            for ni, node in enumerate(lc.get("inbound_nodes", [])):
                pending.append((lc, ni, node))
        while pending:
            rest = []
            for lc, ni, node in pending:
                refs = _node_refs(node)
                if not all(r in known for r in refs):
                    rest.append((lc, ni, node))
                    continue
                outs = self.call(lc, [known[r] for r in refs], path)
                for ti, t in enumerate(outs):
                    known[(lc["config"]["name"], ni, ti)] = t
            if len(rest) == len(pending):
                names = [lc["config"]["name"] for lc, _, _ in rest]
                raise ConversionError(f"model {c.get('name')!r}: cannot resolve the inputs of "
                                      f"layers {names}")
            pending = rest
        outs = []
        for ref in _refs(c.get("output_layers", [])):
            key = (ref[0], int(ref[1]), int(ref[2]))
            if key not in known:
                raise ConversionError(f"model output {ref} was not computed")
            outs.append(known[key])
        return outs


def _node_refs(node: Any) -> list[tuple[str, int, int]]:
    """The keras_history of every tensor a call node takes, in argument order."""
    out: list[tuple[str, int, int]] = []

    def visit(v: Any) -> None:
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                h = v["config"]["keras_history"]
                out.append((h[0], int(h[1]), int(h[2])))
                return
            for x in v.values():
                visit(x)
        elif isinstance(v, (list, tuple)):
            # Keras 2 style: [[name, node, index, kwargs], ...]
            if len(v) >= 3 and isinstance(v[0], str) and isinstance(v[1], int) \
                    and isinstance(v[2], int):
                out.append((v[0], v[1], v[2]))
                return
            for x in v:
                visit(x)

    if isinstance(node, dict) and "args" in node:
        visit(node["args"])
        # Tensors passed by keyword (e.g. a mask) are not layer inputs we lower.
    else:
        visit(node)
    return out


def build_model(cfg: dict[str, Any], weights: WeightSource, label: str = "keras model"
                ) -> Model:
    """The float TFLite model (edgequant IR) computing the Keras model's forward pass."""
    if cfg.get("class_name") not in _MODEL_CLASSES:
        raise ConversionError(f"{label}: the config describes a {cfg.get('class_name')!r}, "
                              "not a Keras model")
    specs = _input_specs(cfg)
    recurrent = _has_recurrent(cfg)
    dyn = any(s[1][0] is None for s in specs) and not recurrent
    g = Graph("main", dyn_batch=dyn)
    inputs = []
    for name, shape, dtype in specs:
        if any(d is None for d in shape[1:]):
            raise ConversionError(f"{label}: input {name!r} has shape {shape}; only the batch "
                                  "dimension may be unknown")
        concrete = [1 if shape[0] is None else int(shape[0]), *[int(d) for d in shape[1:]]]
        inputs.append(g.input(f"serving_default_{name}:0", concrete, dtype))
    ctx = Context(g)
    outs = _Walker(ctx, weights).model(cfg, inputs, ())
    g.outputs = _distinct_outputs(g, outs)
    fuse.run(g)
    main = g.subgraph()
    model = Model(subgraphs=[main, *ctx.subgraphs],
                  description="edgequant Keras frontend")
    model.signature_defs = [SignatureDef(
        key="serving_default", subgraph=main,
        inputs={s[0]: t for s, t in zip(specs, main.inputs)},
        outputs={f"output_{i}": t for i, t in enumerate(main.outputs)})]
    return model


def _distinct_outputs(g: Graph, outs: list[Tensor]) -> list[Tensor]:
    """A model output that is also a model input, or listed twice, gets its own tensor."""
    seen: set[int] = {id(t) for t in g.inputs}
    res = []
    for t in outs:
        if id(t) in seen:
            shape = list(t.shape)
            t = g.op("RESHAPE", [t, g.const("identity/shape", [-1 if g.dyn_batch else
                                                              shape[0], *shape[1:]], "int32")],
                     "identity", shape, t.dtype)
        seen.add(id(t))
        res.append(t)
    return res
