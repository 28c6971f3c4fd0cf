"""Build single-op models from an op file's EXAMPLES and run them in edgequant and LiteRT."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from edgequant import schema
from edgequant.interpreter import Runner
from edgequant.ir import Model, Operator, QuantParams, Subgraph, Tensor
from edgequant.ops._base import Const, Example
from edgequant.tflite_io import to_bytes
from edgequant import dtypes


def qparams(spec: tuple) -> QuantParams:
    if len(spec) == 3:
        scales, zps, axis = spec
        return QuantParams(scale=np.asarray(scales, np.float32).ravel(),
                           zero_point=np.asarray(zps, np.int64).ravel(),
                           quantized_dimension=int(axis))
    scale, zp = spec
    return QuantParams(scale=np.array([scale], np.float32), zero_point=np.array([zp], np.int64))


def build(mod: ModuleType, ex: Example) -> tuple[Model, list[np.ndarray]]:
    """Model with one op of ``mod`` and the runtime input arrays of ``ex``."""
    sg = Subgraph(name="main")
    inputs: list[Tensor | None] = []
    feeds: list[np.ndarray] = []
    for i, x in enumerate(ex.inputs):
        if x is None:
            inputs.append(None)
            continue
        arr = np.asarray(x.value if isinstance(x, Const) else x)
        t = Tensor(name=f"in{i}", shape=tuple(arr.shape), dtype=dtypes.from_numpy(arr.dtype))
        if isinstance(x, Const):
            t.data = arr
        else:
            sg.inputs.append(t)
            feeds.append(arr)
        sg.tensors.append(t)
        inputs.append(t)
    for i in ex.variables:
        t = inputs[i]
        assert t is not None and t.data is None, f"variable input {i} must be a runtime array"
        k = next(j for j, s in enumerate(sg.inputs) if s is t)
        assert not np.any(feeds[k]), "LiteRT zero-initialises variable tensors"
        del sg.inputs[k], feeds[k]
        t.is_variable = True
    first = next(t for t in inputs if t is not None)
    out_dtypes = ex.output_dtypes or [first.dtype] * ex.num_outputs
    outputs = [Tensor(name=f"out{i}", shape=(), dtype=d) for i, d in enumerate(out_dtypes)]
    sg.tensors += outputs
    sg.outputs = list(outputs)
    for key, spec in ex.quant.items():
        target = inputs[int(key[2:])] if key.startswith("in") else outputs[int(key[3:])]
        assert target is not None, f"{key} is an omitted input"
        target.quantization = qparams(spec)
    opts_name = getattr(mod, "OPTIONS", None)
    options: dict[str, Any] = {}
    if opts_name:
        options = schema.default_options(opts_name)
        options.update(ex.options)
    op = Operator(type=mod.OP, inputs=inputs, outputs=outputs, options=options,
                  options_type=opts_name)
    model = Model(subgraphs=[sg] + list(ex.subgraphs), description="edgequant op test")
    op.version = mod.version(op) if hasattr(mod, "version") else 1
    sg.operators.append(op)
    # Shapes of the outputs come from running our kernel once.
    res = Runner(model).run_subgraph(sg, feeds)
    for t, r in zip(outputs, res):
        t.shape = tuple(np.asarray(r).shape)
    return model, feeds


def invoke_litert(content: bytes, feeds: list[np.ndarray], resolver: str = "BUILTIN_REF", *,
                  preserve: bool = False) -> Any:
    """A LiteRT interpreter (resolver named as in OpResolverType) resized to ``feeds``, fed
    and invoked."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=content,
                     experimental_op_resolver_type=getattr(OpResolverType, resolver),
                     experimental_preserve_all_tensors=preserve)
    for d, x in zip(it.get_input_details(), feeds):
        if list(d["shape"]) != list(x.shape):
            it.resize_tensor_input(d["index"], x.shape)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), feeds):
        it.set_tensor(d["index"], x)
    it.invoke()
    return it


def run_litert(content: bytes, feeds: list[np.ndarray], ref: bool = True) -> list[np.ndarray]:
    it = invoke_litert(content, feeds, "BUILTIN_REF" if ref else "AUTO")
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def compare(mod: ModuleType, ex: Example) -> None:
    model, feeds = build(mod, ex)
    ours = Runner(model).run_subgraph(model.main, feeds)
    theirs = run_litert(to_bytes(model), feeds)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a = np.asarray(a)
        assert a.shape == b.shape, f"output {i}: shape {a.shape} vs LiteRT {b.shape}"
        assert a.dtype == b.dtype, f"output {i}: dtype {a.dtype} vs LiteRT {b.dtype}"
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=ex.rtol, atol=ex.atol,
                                       err_msg=f"{mod.OP} {ex.name}: output {i}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{mod.OP} {ex.name}: output {i}")
