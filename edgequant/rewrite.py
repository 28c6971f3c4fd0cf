"""Full-integer rewrite: apply a ``Plan`` to the float model.

Every float activation that an integer op reads or writes gets an integer twin carrying the
planned parameters; integer ops are rewired to the twins and read quantized constants:
weights symmetric int8 per axis, biases int32 (int64 in 16x8) with scale = input scale x
weight scale (shared SPEC_NOTES §1, §9). Where a float value meets an integer op a QUANTIZE is
inserted, and a DEQUANTIZE where an integer value meets a float op or a float model output
(TF's float-fallback layout, SPEC_NOTES §7). WHILE / IF carry their float values as integers:
the subgraph inputs and outputs are retyped in place, since LiteRT copies them byte for byte.

Model I/O (``set_io_types``) follows LiteRT ``tflite/tools/optimize/modify_model_interface.cc``:
int8 (or int16) I/O drops the boundary QUANTIZE / DEQUANTIZE and exposes the integer tensor
with the same parameters; uint8 I/O exposes a uint8 tensor with the zero point + 128 and
requantizes it to int8 with a QUANTIZE op (and back for outputs).
"""

from __future__ import annotations

import numpy as np

from . import ops as op_registry
from . import qmath, versions
from . import weights as wq
from .ir import Model, Operator, QuantParams, Subgraph, Tensor
from .ops._build import make_op
from .ops._rules import ACT, BIAS, KEEP, SHARED, WEIGHT, Quant
from .plan import Plan, is_float

_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _qp(scale: np.ndarray, zp: np.ndarray, axis: int = 0) -> QuantParams:
    return QuantParams(scale=np.asarray(scale, np.float32).ravel(),
                       zero_point=np.asarray(zp, np.int64).ravel(), quantized_dimension=axis)


def _const_like(t: Tensor, dtype: str, data: np.ndarray, qp: QuantParams, suffix: str = ""
                ) -> Tensor:
    return Tensor(name=t.name + suffix, shape=t.shape, dtype=dtype, data=data, quantization=qp,
                  shape_signature=t.shape_signature)


def quantize_const(t: Tensor, qp: QuantParams, dtype: str) -> Tensor:
    """A float constant quantized with activation parameters ``qp`` (round half away)."""
    lo, hi = (-128, 127) if dtype == "int8" else (-32768, 32767)
    q = qmath.quantize(t.data, qp.scale[0], qp.zero_point[0], lo, hi)
    return _const_like(t, dtype, q.astype(dtype), qp)


class _Rewriter:
    def __init__(self, model: Model, plan: Plan):
        self.model = model
        self.plan = plan
        self.cfg = plan.config
        self.act = plan.config.act_dtype
        self.weight_cache: dict[tuple[int, int | None], Tensor] = {}
        self.const_cache: dict[tuple[int, float, int], Tensor] = {}

    # -- tensors ----------------------------------------------------------------------------
    def twin_tensor(self, t: Tensor) -> Tensor:
        qp = self.plan.params[id(t)]
        return Tensor(name=t.name, shape=t.shape, dtype=self.act, quantization=qp,
                      shape_signature=t.shape_signature)

    def const_act(self, t: Tensor, qp: QuantParams) -> Tensor:
        key = (id(t), float(qp.scale[0]), int(qp.zero_point[0]))
        if key not in self.const_cache:
            self.const_cache[key] = quantize_const(t, qp, self.act)
        return self.const_cache[key]

    def weight(self, op: Operator, t: Tensor, axis: int | None) -> Tensor:
        if axis is not None and not self.cfg.per_channel:
            axis = None
        if axis is not None and op.type == "FULLY_CONNECTED" and not self.cfg.per_channel_dense:
            axis = None
        if axis is not None and t.data is not None and t.data.ndim <= axis:
            axis = None
        key = (id(t), axis)
        if key not in self.weight_cache:
            self.weight_cache[key] = wq.int8_tensor(t, axis)
        return self.weight_cache[key]

    def bias(self, t: Tensor, in_q: QuantParams, w: Tensor | None, dtype: str) -> Tensor:
        s_in = np.float64(in_q.scale[0])
        if w is None or w.quantization is None:
            s_w = np.ones(1)
        else:
            s_w = np.asarray(w.quantization.scale, np.float64)
        scale = (s_in * s_w).astype(np.float32)
        b = np.asarray(t.data, np.float64)
        lo, hi = _INT_RANGE[dtype]
        # Quantize against the float32 scale actually stored, in double (UniformSupport.h);
        # one scale per channel of the 1-D bias, or one for all.
        q = np.clip(qmath.round_half_away(b / scale.astype(np.float64)), lo, hi).astype(dtype)
        qp = _qp(scale, np.zeros(scale.size, np.int64), 0)
        return _const_like(t, dtype, q, qp)

    # -- subgraphs --------------------------------------------------------------------------
    def run(self) -> None:
        for sg in self.model.subgraphs:
            self.subgraph(sg)

    def get_twin(self, t: Tensor) -> Tensor:
        """The integer form of float tensor ``t``, quantizing it here if it is float so far."""
        q = self.twin.get(id(t))
        if q is None:
            q = self.twin[id(t)] = self.twin_tensor(t)
            self.new_ops.append(make_op("QUANTIZE", [t], [q]))
        return q

    def get_float(self, t: Tensor) -> Tensor:
        """The float form of ``t``, dequantizing its integer form here if needed."""
        if id(t) in self.int_primary and id(t) not in self.floated:
            self.floated.add(id(t))
            self.new_ops.append(make_op("DEQUANTIZE", [self.twin[id(t)]], [t]))
        return t

    def produce(self, t: Tensor) -> Tensor:
        """Make the integer twin of ``t`` the value an op or subgraph input produces."""
        q = self.twin[id(t)] = self.twin_tensor(t)
        self.int_primary.add(id(t))
        return q

    def subgraph(self, sg: Subgraph) -> None:
        plan = self.plan
        is_main = sg is self.model.main
        self.twin: dict[int, Tensor] = {}  # id(float tensor) -> integer twin
        self.int_primary: set[int] = set()  # float tensors computed as their twin
        self.floated: set[int] = set()  # ... whose float form has been emitted
        self.new_ops: list[Operator] = []
        # Main inputs stay float; inputs of loop bodies / branches carrying integer values
        # are retyped.
        if not is_main:
            for k, t in enumerate(sg.inputs):
                if is_float(t) and id(t) in plan.params:
                    sg.inputs[k] = self.produce(t)
        for op in sg.operators:
            p = plan.ops[id(op)]
            if p.kind == "int":
                self.int_op(op, p.rule)
            elif p.kind == "flow":
                for k, t in enumerate(op.inputs):
                    if is_float(t) and id(t) in plan.params:
                        op.inputs[k] = (self.const_act(t, plan.params[id(t)])
                                        if t.data is not None else self.get_twin(t))
                    elif is_float(t) and t.data is None:
                        op.inputs[k] = self.get_float(t)
                for k, t in enumerate(op.outputs):
                    if is_float(t) and id(t) in plan.params:
                        op.outputs[k] = self.produce(t)
            elif p.kind == "neutral":
                for k, t in enumerate(op.inputs):
                    if is_float(t) and t.data is None and id(t) in self.twin:
                        op.inputs[k] = self.twin[id(t)]
            else:  # float or other
                for k, t in enumerate(op.inputs):
                    if is_float(t) and t.data is None:
                        op.inputs[k] = self.get_float(t)
            self.new_ops.append(op)
        for k, t in enumerate(sg.outputs):
            if not is_float(t):
                continue
            if not is_main and id(t) in plan.params:
                sg.outputs[k] = self.get_twin(t)
            else:
                sg.outputs[k] = self.get_float(t)
        sg.operators = self.new_ops
        sg.tensors = list(sg.all_tensors())
        sg.drop_dead()

    def int_op(self, op: Operator, rule: Quant) -> None:
        plan = self.plan
        roles = [rule.input_role(k) for k in range(len(op.inputs))]
        act_in = next((t for t, r in zip(op.inputs, roles) if r in (ACT, SHARED)
                       and t is not None), None)
        act_q: QuantParams | None = None
        if act_in is not None:
            act_q = plan.params[id(act_in)] if is_float(act_in) else act_in.quantization
        weight_t: Tensor | None = None
        new_inputs: list[Tensor | None] = list(op.inputs)
        for k, (t, r) in enumerate(zip(op.inputs, roles)):
            if t is None or r == BIAS:
                continue
            if r == WEIGHT:
                if is_float(t):
                    new_inputs[k] = self.weight(op, t, rule.weight_axis)
                weight_t = new_inputs[k]
            elif r in (ACT, SHARED) and is_float(t):
                src = (self.const_act(t, plan.params[id(t)]) if t.data is not None
                       else self.get_twin(t))
                if (id(op), k) in plan.requant:
                    # Its group needs other fixed parameters: requantize into the op's.
                    dst = Tensor(name=f"{t.name}_requantized", shape=t.shape, dtype=self.act,
                                 quantization=plan.params[id(op.outputs[0])],
                                 shape_signature=t.shape_signature)
                    self.new_ops.append(make_op("QUANTIZE", [src], [dst]))
                    src = dst
                new_inputs[k] = src
            elif r == KEEP and is_float(t) and t.data is None and id(t) in self.twin:
                new_inputs[k] = self.twin[id(t)]
        for k, (t, r) in enumerate(zip(op.inputs, roles)):
            if r == BIAS and t is not None and is_float(t):
                assert act_q is not None, f"{op.type}: bias without an activation input"
                dtype = self.cfg.bias
                if self.act == "int16" and dtype == "int32":
                    if op.type == "DEPTHWISE_CONV_2D":
                        dtype = "int64"  # LiteRT's 16x8 depthwise kernel takes int64 only
                    elif "quantized_bias_type" in op.options:
                        # Without it the 16x8 kernels read the bias as int64.
                        op.options["quantized_bias_type"] = "int32"
                new_inputs[k] = self.bias(t, act_q, weight_t, dtype)
        op.inputs = new_inputs
        for k, t in enumerate(op.outputs):
            if is_float(t):
                op.outputs[k] = self.produce(t)
        for key, value in rule.set_options.get(self.act, {}).items():
            op.options[key] = value


def apply_plan(model: Model, plan: Plan) -> Model:
    _Rewriter(model, plan).run()
    return model


# -- model I/O ---------------------------------------------------------------------------------

def _retarget_signatures(model: Model, old: Tensor, new: Tensor) -> None:
    for s in model.signature_defs:
        for d in (s.inputs, s.outputs):
            for key, t in d.items():
                if t is old:
                    d[key] = new


def _uint8_like(q: Tensor, name: str) -> Tensor:
    """The uint8 form of int8 I/O tensor ``q`` (same scale, zero point + 128), taking the I/O
    name; ``q`` is renamed ``<name>_int8``."""
    qp = q.quantization
    q.name = f"{name}_int8"
    return Tensor(name=name, shape=q.shape, dtype="uint8",
                  quantization=_qp(qp.scale, qp.zero_point + 128),
                  shape_signature=q.shape_signature)


def set_io_types(model: Model, input_type: str, output_type: str) -> None:
    """Make the main graph's float I/O integer (see module docstring)."""
    sg = model.main
    if input_type != "float32":
        for k, t in enumerate(list(sg.inputs)):
            if not is_float(t):
                continue
            readers = sg.consumers_of(t)
            quant = [op for op in readers if op.type == "QUANTIZE"
                     and op.outputs[0].dtype in ("int8", "int16")]
            if not quant:
                raise ValueError(f"input {t.name!r} has no integer consumer, so it cannot be "
                                 f"made {input_type}")
            q = quant[0].outputs[0]
            for other in quant[1:]:  # several QUANTIZE of one input: keep one
                sg.replace_uses(other.outputs[0], q)
                sg.remove_op(other)
            sg.remove_op(quant[0])
            name = t.name
            for op in readers:  # ops that only read the shape (SHAPE) take the int8 tensor
                rule = getattr(op_registry.get(op.type), "QUANT", None)
                if op not in quant and rule is not None and rule.outputs == KEEP and all(
                        rule.input_role(i) == KEEP for i, x in enumerate(op.inputs) if x is t):
                    op.inputs = [q if x is t else x for x in op.inputs]
            readers = sg.consumers_of(t)
            if readers:  # float readers remain: feed them a DEQUANTIZE
                sg.operators.insert(0, make_op("DEQUANTIZE", [q], [t]))
                t.name = f"{name}_dequantized"
            q.name = name
            new_in = q
            if input_type == "uint8":
                u = _uint8_like(q, name)
                sg.operators.insert(0, make_op("QUANTIZE", [u], [q]))
                new_in = u
            sg.inputs[k] = new_in
            _retarget_signatures(model, t, new_in)
    if output_type != "float32":
        for k, t in enumerate(list(sg.outputs)):
            if not is_float(t):
                continue
            prod = sg.producer(t)
            if prod is None or prod.type != "DEQUANTIZE":
                raise ValueError(f"output {t.name!r} is computed in float, so it cannot be "
                                 f"made {output_type}")
            q = prod.inputs[0]
            name = t.name
            if not sg.consumers_of(t):
                sg.remove_op(prod)
            q.name = name
            new_out = q
            if output_type == "uint8":
                u = _uint8_like(q, name)
                sg.operators.append(make_op("QUANTIZE", [q], [u]))
                new_out = u
            sg.outputs[k] = new_out
            _retarget_signatures(model, t, new_out)
    sg.tensors = list(sg.all_tensors())
    sg.drop_dead()


def finish(model: Model) -> Model:
    versions.update_op_versions(model)
    versions.update_min_runtime_version(model)
    return model
