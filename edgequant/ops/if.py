"""IF: run the then or else subgraph on inputs 1.. depending on the bool in input 0
(tflite/kernels/if.cc).

The condition must hold exactly one element (shape [] or [1], [1, 1], ...). Both branches take
the remaining inputs and must have as many outputs as the op; their outputs may differ in
shape. A branch output that is one of its own inputs or a constant is copied through, which
is what returning the array does here. Values are copied without requantization, so the same
kernel serves float, integer and quantized tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Operator, Subgraph, Tensor
from ._base import Example, OpContext, randn
from ._build import make_op as _op
from ._build import subgraph as _sg
from ._build import tensor as _t

OP = "IF"
OPTIONS = "IfOptions"


def run_float(ctx: OpContext, cond: np.ndarray, *inputs: np.ndarray) -> Any:
    c = np.asarray(cond)
    if c.dtype != np.bool_ or c.size != 1:
        raise ValueError(f"IF condition must be one bool, got {c.dtype} {list(c.shape)}")
    branch: Subgraph = ctx.options["then_subgraph_index" if c.reshape(()) else
                                   "else_subgraph_index"]
    if len(branch.inputs) != len(inputs):
        raise ValueError(f"IF passes {len(inputs)} inputs, branch {branch.name!r} takes "
                         f"{len(branch.inputs)}")
    outs = ctx.run_subgraph(branch, list(inputs))
    if len(outs) != len(ctx.op.outputs):
        raise ValueError(f"IF has {len(ctx.op.outputs)} outputs, branch {branch.name!r} "
                         f"returns {len(outs)}")
    return tuple(outs)


run_int = run_float
run_hybrid = run_float


def version(op: Operator) -> int:
    return 1


# -- examples ------------------------------------------------------------------------------

def _arith(rng: np.random.Generator, cond: np.ndarray, name: str) -> Example:
    """then: (x + y, x * y); else: (x - y, y) with y passed straight through."""
    def branch(tag: str, ops: list[tuple[str, str]]) -> Subgraph:
        x, y = _t(f"{tag}_x", "float32", (2, 3)), _t(f"{tag}_y", "float32", (3,))
        outs: list[Tensor] = []
        body = []
        for k, op_type in enumerate(ops):
            if op_type == "pass_y":
                outs.append(y)
                continue
            o = _t(f"{tag}_o{k}", "float32", (2, 3))
            body.append(_op(op_type, [x, y], [o]))
            outs.append(o)
        return _sg(tag, [x, y], body, outs)

    then = branch("then", ["ADD", "MUL"])
    other = branch("else", ["SUB", "pass_y"])
    return Example([cond, randn(rng, 2, 3), randn(rng, 3)],
                   {"then_subgraph_index": then, "else_subgraph_index": other}, name,
                   output_dtypes=["float32", "float32"], num_outputs=2,
                   subgraphs=[then, other])


def _shapes_differ(rng: np.random.Generator) -> Example:
    """then returns x, else concat(x, x) and a constant: branch output shapes differ."""
    tx = _t("then_x", "float32", (2, 2))
    tc = _t("then_const", "float32", data=np.float32(3.0))
    then = _sg("then", [tx], [], [tx, tc])
    ex_ = _t("else_x", "float32", (2, 2))
    cat = _t("else_cat", "float32", (4, 2))
    ec = _t("else_const", "float32", data=np.float32(-1.0))
    other = _sg("else", [ex_], [_op("CONCATENATION", [ex_, ex_], [cat], axis=0)], [cat, ec])
    cond = np.array(bool(rng.integers(0, 2)))
    return Example([cond, randn(rng, 2, 2)],
                   {"then_subgraph_index": then, "else_subgraph_index": other},
                   "branch shapes differ", output_dtypes=["float32", "float32"],
                   num_outputs=2, subgraphs=[then, other])


EXAMPLES = [
    lambda rng: _arith(rng, np.array(True), "then branch"),
    lambda rng: _arith(rng, np.array(False), "else branch"),
    lambda rng: _arith(rng, np.array([bool(rng.integers(0, 2))]), "[1]-shaped condition"),
    _shapes_differ,
]
