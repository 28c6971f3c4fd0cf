"""Full-integer planning: which ops run integer, and the scale and zero point of every tensor.

Inputs: a float model, calibration ``Stats`` and a ``Config`` (int8 or 16x8, float fallback or
integer only). Each op file's ``QUANT`` declaration (``ops/_rules.py``) says how its tensors
are quantized; this module applies those rules generically, following the TFLite quantization
spec (shared SPEC_NOTES §1-3):

* an op runs integer when its file declares a kernel for the activation type, its weights and
  biases are constants, its extra ``check`` passes and calibration reached its activations;
  otherwise it stays float (fallback) or is reported (integer only);
* tensors that must carry identical parameters (``SHARED`` roles; the four copies of each
  WHILE loop-carried value, which LiteRT moves between graphs by plain byte copy; IF branch
  outputs) are merged into groups whose range covers all members; a group holding a kernel's
  fixed output parameters (SOFTMAX, LOGISTIC, ...) takes those;
* activation parameters: int8 asymmetric with TF's zero-point nudging (``qmath.
  choose_qparams``; range extended to include 0; ranges narrower than 1e-6 widened, as
  ``quantization_utils.cc`` ExpandVerySmallRange does); int16 symmetric with zero point 0
  (scale = max|range| / 32767, as the legacy quantizer's symmetric int16 path).

Two groups with different fixed parameters are not merged: the rewrite requantizes between
them instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from . import ops as op_registry
from . import qmath
from .calibrate import Stats
from .errors import UnsupportedOpError
from .ir import Model, Operator, QuantParams, Subgraph, Tensor
from .ops._rules import ACT, BIAS, FIXED, KEEP, SHARED, WEIGHT, Quant

log = logging.getLogger(__name__)

FLOW_OPS = ("WHILE", "IF")
_NEAR_ZERO = 1e-6


@dataclass
class Config:
    act_dtype: str = "int8"  # 'int8' or 'int16' (16x8)
    fallback: bool = True  # ops without an integer kernel stay float
    per_channel: bool = True
    per_channel_dense: bool = True
    bias_dtype: str | None = None  # None: int32 for int8 activations, int64 for 16x8
    # Selective quantization: op types ('CONV_2D') and tensor names (an op is kept float when
    # any of its output tensors is named) that stay float in every mode.
    keep_float_ops: frozenset[str] = frozenset()
    keep_float_nodes: frozenset[str] = frozenset()

    @property
    def bias(self) -> str:
        return self.bias_dtype or ("int64" if self.act_dtype == "int16" else "int32")


@dataclass
class OpPlan:
    op: Operator
    sg: Subgraph
    index: int
    kind: str  # 'int', 'float', 'other' (no float tensors), 'neutral' (reads any dtype), 'flow'
    reason: str = ""
    rule: Quant | None = None

    def where(self, model: Model) -> str:
        return f"{self.op.type} (subgraph {model.subgraph_index(self.sg)}, op {self.index})"


@dataclass
class Plan:
    config: Config
    ops: dict[int, OpPlan] = field(default_factory=dict)  # id(op) ->
    # Activation parameters by id(tensor) for every float tensor that gets an integer form.
    params: dict[int, QuantParams] = field(default_factory=dict)
    # (id(op), input index) pairs whose input must be requantized into the op's group.
    requant: set[tuple[int, int]] = field(default_factory=set)
    # id(tensor) of tensors whose group stays float (never reached by calibration).
    float_groups: set[int] = field(default_factory=set)

    def kind(self, op: Operator) -> str:
        return self.ops[id(op)].kind


class _Groups:
    """Union-find over tensors (by id) with the fixed parameters a group must take."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.fixed: dict[int, tuple[float, int]] = {}

    def find(self, a: int) -> int:
        self.parent.setdefault(a, a)
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        fa, fb = self.fixed.get(ra), self.fixed.get(rb)
        if fa is not None and fb is not None and fa != fb:
            return False
        self.parent[rb] = ra
        if fa is None and fb is not None:
            self.fixed[ra] = fb
        self.fixed.pop(rb, None)
        return True

    def set_fixed(self, a: int, spec: tuple[float, int]) -> bool:
        r = self.find(a)
        old = self.fixed.get(r)
        if old is not None and old != spec:
            return False
        self.fixed[r] = spec
        return True


def is_float(t: Tensor | None) -> bool:
    return t is not None and t.dtype == "float32"


def _range(stats: Stats, t: Tensor) -> tuple[float, float] | None:
    """The calibrated range of ``t``, or a constant's own range."""
    rng = stats.range(t)
    if rng is None and t.data is not None and t.data.size:
        rng = (float(np.min(t.data)), float(np.max(t.data)))
    return rng


def _act(t: Tensor | None) -> bool:
    """A float tensor computed at run time (not a constant)."""
    return is_float(t) and t.data is None  # type: ignore[union-attr]


def _classify(model: Model, sg: Subgraph, i: int, op: Operator, stats: Stats, cfg: Config
              ) -> OpPlan:
    if op.type in FLOW_OPS:
        return OpPlan(op, sg, i, "flow")
    floats = [t for t in [*op.inputs, *op.outputs] if is_float(t)]
    if not floats:
        return OpPlan(op, sg, i, "other")
    mod = op_registry.get(op.type)
    rule: Quant | None = getattr(mod, "QUANT", None)
    name = op.type if op.type != "CUSTOM" else f"CUSTOM ({op.custom_code})"
    if op.type in cfg.keep_float_ops:
        return OpPlan(op, sg, i, "float", f"kept float on request (op type {op.type})")
    named = [t.name for t in op.outputs if t is not None and t.name in cfg.keep_float_nodes]
    if named:
        return OpPlan(op, sg, i, "float", f"kept float on request (tensor {named[0]!r})")
    if rule is None:
        return OpPlan(op, sg, i, "float", f"{name} has no integer kernel in LiteRT/edgequant")
    roles = [rule.input_role(k) for k in range(len(op.inputs))]
    float_roles = {r for r, t in zip(roles, op.inputs) if is_float(t)}
    if is_float(op.outputs[0] if op.outputs else None):
        float_roles.add(rule.outputs)
    if float_roles <= {KEEP}:
        return OpPlan(op, sg, i, "neutral", rule=rule)
    kind_name = "int8" if cfg.act_dtype == "int8" else "int16 (16x8)"
    if not rule.supports(cfg.act_dtype):
        return OpPlan(op, sg, i, "float", f"LiteRT has no {kind_name} kernel for {name}")
    for k, (t, r) in enumerate(zip(op.inputs, roles)):
        if r in (WEIGHT, BIAS) and is_float(t) and t.data is None:  # type: ignore[union-attr]
            what = "weights" if r == WEIGHT else "bias"
            return OpPlan(op, sg, i, "float", f"its {what} (input {k}, {t.name!r}) are not "
                          "constant")
    if rule.check is not None:
        why = rule.check(op, cfg.act_dtype)
        if why:
            return OpPlan(op, sg, i, "float", why)
    for k, (t, r) in enumerate(zip(op.inputs, roles)):
        if r in (ACT, SHARED) and _act(t) and stats.range(t) is None:
            return OpPlan(op, sg, i, "float", f"calibration never reached input {k} "
                          f"({t.name!r})")
    if rule.outputs in (ACT,):
        for t in op.outputs:
            if _act(t) and stats.range(t) is None:
                return OpPlan(op, sg, i, "float", f"calibration never reached output "
                              f"{t.name!r}")
    return OpPlan(op, sg, i, "int", rule=rule)


def _flow_links(op: Operator) -> list[list[Tensor]]:
    """Per carried float value of a WHILE / IF op, the tensors that share its bytes."""
    links: list[list[Tensor]] = []
    o = op.options
    if op.type == "WHILE":
        cond, body = o.get("cond_subgraph_index"), o.get("body_subgraph_index")
        for k, t in enumerate(op.inputs):
            if not is_float(t):
                continue
            group = [t, op.outputs[k]]
            for g in (cond, body):
                if isinstance(g, Subgraph) and k < len(g.inputs):
                    group.append(g.inputs[k])
            if isinstance(body, Subgraph) and k < len(body.outputs):
                group.append(body.outputs[k])
            links.append(group)
    elif op.type == "IF":
        branches = [o.get("then_subgraph_index"), o.get("else_subgraph_index")]
        for k, t in enumerate(op.inputs[1:]):
            if is_float(t):
                links.append([t] + [g.inputs[k] for g in branches
                                    if isinstance(g, Subgraph) and k < len(g.inputs)])
        for k, t in enumerate(op.outputs):
            if is_float(t):
                links.append([t] + [g.outputs[k] for g in branches
                                    if isinstance(g, Subgraph) and k < len(g.outputs)])
    return links


def _split_shared_flow_constants(model: Model) -> None:
    """A constant fed to several WHILE slots (zero initial states) would tie their groups
    together; give every slot its own copy."""
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.type not in FLOW_OPS:
                continue
            seen: set[int] = set()
            for k, t in enumerate(op.inputs):
                if t is None or t.data is None or not is_float(t):
                    continue
                if id(t) in seen:
                    copy = Tensor(name=f"{t.name}_{k}", shape=t.shape, dtype=t.dtype,
                                  data=t.data.copy(), shape_signature=t.shape_signature)
                    op.inputs[k] = copy
                    sg.tensors.append(copy)
                seen.add(id(t))


def act_params(lo: float, hi: float, act_dtype: str) -> QuantParams:
    """Activation parameters for the range [lo, hi] (see module docstring)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < _NEAR_ZERO:
        lo, hi = min(lo, -_NEAR_ZERO / 2), max(hi, _NEAR_ZERO / 2)
    if act_dtype == "int16":
        scale, zp = max(abs(lo), abs(hi)) / 32767.0, 0
    else:
        scale, zp = qmath.choose_qparams(lo, hi, -128, 127)
    return QuantParams(scale=np.array([scale], np.float32), zero_point=np.array([zp], np.int64))


def make_plan(model: Model, stats: Stats, cfg: Config) -> Plan:
    _split_shared_flow_constants(model)
    plan = Plan(cfg)
    for sg in model.subgraphs:
        for i, op in enumerate(sg.operators):
            plan.ops[id(op)] = _classify(model, sg, i, op, stats, cfg)
    known = {t.name for sg in model.subgraphs for t in sg.all_tensors()}
    unknown = sorted(cfg.keep_float_nodes - known)
    if unknown:
        raise ValueError(f"keep-float tensor name(s) not in the model: {unknown}")
    bad = [p for p in plan.ops.values() if p.kind == "float"]
    if bad and not cfg.fallback:
        lines = "\n".join(f"  - {p.where(model)}: {p.reason}" for p in bad)
        raise UnsupportedOpError(
            f"integer-only quantization ({cfg.act_dtype} activations) is impossible: "
            f"{len(bad)} op(s) cannot be quantized:\n{lines}\n"
            "allow float fallback (supported_ops with TFLITE_BUILTINS, CLI --mode int8) to "
            "keep them float")
    groups = _Groups()
    members: dict[int, Tensor] = {}

    def add(t: Tensor) -> int:
        members[id(t)] = t
        groups.find(id(t))
        return id(t)

    # Fixed outputs first, so that merges can see them.
    for p in plan.ops.values():
        if p.kind == "int" and p.rule is not None and p.rule.outputs == FIXED:
            spec = p.rule.fixed.get(cfg.act_dtype)
            if spec is None:
                raise AssertionError(f"{p.op.type} declares FIXED outputs without "
                                     f"{cfg.act_dtype} parameters")
            for t in p.op.outputs:
                if is_float(t):
                    groups.set_fixed(add(t), (float(np.float32(spec[0])), int(spec[1])))
    for p in plan.ops.values():
        if p.kind == "int" and p.rule is not None:
            shared = [(k, t) for k, t in enumerate(p.op.inputs)
                      if is_float(t) and p.rule.input_role(k) == SHARED]
            if p.rule.outputs == SHARED:
                anchor = next((t for t in p.op.outputs if is_float(t)), None)
            else:
                anchor = shared[0][1] if shared else None
                shared = shared[1:]
            if anchor is None:
                continue
            a = add(anchor)
            for t in p.op.outputs if p.rule.outputs == SHARED else []:
                if is_float(t) and t is not anchor:
                    groups.union(a, add(t))
            for k, t in shared:
                if not groups.union(a, add(t)):
                    plan.requant.add((id(p.op), k))
        elif p.kind == "flow":
            for link in _flow_links(p.op):
                a = add(link[0])
                for t in link[1:]:
                    if not groups.union(a, add(t)):
                        raise UnsupportedOpError(
                            f"{p.where(model)}: values carried through it need two different "
                            "fixed quantizations")
    # Group ranges.
    ranges: dict[int, tuple[float, float]] = {}
    for tid, t in members.items():
        r = groups.find(tid)
        rng = _range(stats, t)
        if rng is None:
            continue
        old = ranges.get(r)
        ranges[r] = rng if old is None else (min(old[0], rng[0]), max(old[1], rng[1]))
    group_params: dict[int, QuantParams] = {}
    for tid, t in members.items():
        r = groups.find(tid)
        if r not in group_params:
            fixed = groups.fixed.get(r)
            if fixed is not None:
                group_params[r] = QuantParams(scale=np.array([fixed[0]], np.float32),
                                              zero_point=np.array([fixed[1]], np.int64))
            elif r in ranges:
                group_params[r] = act_params(*ranges[r], cfg.act_dtype)
            else:
                continue
        plan.params[tid] = group_params[r]
    for tid in members:
        if tid not in plan.params:
            plan.float_groups.add(tid)
    # Every other activation an integer op touches gets its own parameters.
    for p in plan.ops.values():
        if p.kind not in ("int", "flow"):
            continue
        for t in [*p.op.inputs, *p.op.outputs]:
            if is_float(t) and id(t) not in plan.params and id(t) not in plan.float_groups:
                rng = _range(stats, t)
                if rng is not None:
                    plan.params[id(t)] = act_params(*rng, cfg.act_dtype)
    return plan
