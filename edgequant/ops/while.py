"""WHILE: run the body subgraph while the cond subgraph says so (tflite/kernels/while.cc).

Every input is loop-carried: cond and body both take all of them, the body returns the next
value of each, and the op's outputs are the values when cond first returns false (so the
inputs themselves if it is false at once). Cond must return a bool scalar or [1] tensor.
LiteRT copies the bytes between the op and the subgraphs without looking at quantization,
so the kernel is the same for float, integer and quantized tensors. Shapes may change from
one iteration to the next; each iteration simply takes the arrays the body produced.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ir import Operator, Subgraph
from ._base import Const, Example, OpContext, randn
from ._build import make_op as _op
from ._build import subgraph as _sg
from ._build import tensor as _t

OP = "WHILE"
OPTIONS = "WhileOptions"


def _cond_value(v: np.ndarray) -> bool:
    v = np.asarray(v)
    if v.dtype != np.bool_ or v.size != 1 or v.ndim > 1:
        raise ValueError(f"WHILE cond must return one bool (shape [] or [1]), got {v.dtype} "
                         f"{list(v.shape)}")
    return bool(v.reshape(()))


def run_float(ctx: OpContext, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    cond: Subgraph = ctx.options["cond_subgraph_index"]
    body: Subgraph = ctx.options["body_subgraph_index"]
    if cond is body:
        raise ValueError("WHILE cond and body must be different subgraphs")
    if len(body.outputs) != len(inputs) or len(cond.outputs) != 1:
        raise ValueError(f"WHILE with {len(inputs)} inputs needs a body with as many outputs "
                         f"and a cond with one; got {len(body.outputs)} and {len(cond.outputs)}")
    state = list(inputs)
    while _cond_value(ctx.run_subgraph(cond, state)[0]):
        state = ctx.run_subgraph(body, state)
    return tuple(state)


# Loop state is moved as raw bytes, so quantized and hybrid models run the same kernel.
run_int = run_float
run_hybrid = run_float


def version(op: Operator) -> int:
    return 1


# -- examples: small cond/body subgraphs built from ops that have kernels --------------------

def _less_cond(limit: int, dtypes: Sequence[str], shapes: Sequence[Sequence[int]],
               counter_shape: Sequence[int] = ()) -> Subgraph:
    """cond(i, ...) = i < limit, where i is input 0 (int32)."""
    ins = [_t(f"c{k}", d, s) for k, (d, s) in enumerate(zip(dtypes, shapes))]
    lim = _t("limit", "int32", data=np.full(tuple(counter_shape), limit, np.int32))
    out = _t("keep_going", "bool", counter_shape)
    return _sg("cond", ins, [_op("LESS", [ins[0], lim], [out])], [out])


def _counter_example(rng: np.random.Generator, start: int, limit: int, name: str) -> Example:
    """body(i, x, w) = (i + 1, x * w + x, w): a float recurrence with a constant input."""
    i, x, w = _t("i", "int32"), _t("x", "float32", (2, 3)), _t("w", "float32", (3,))
    one = _t("one", "int32", data=np.int32(1))
    i2, xw, x2 = _t("i_next", "int32"), _t("xw", "float32", (2, 3)), _t("x_next", "float32",
                                                                         (2, 3))
    body = _sg("body", [i, x, w],
               [_op("ADD", [i, one], [i2]), _op("MUL", [x, w], [xw]),
                _op("ADD", [xw, x], [x2])],
               [i2, x2, w])  # w passes straight through, as TF's loop invariants do
    cond = _less_cond(limit, ["int32", "float32", "float32"], [(), (2, 3), (3,)])
    return Example([np.array(start, np.int32), randn(rng, 2, 3),
                    Const((rng.uniform(0.2, 0.9, 3)).astype(np.float32))],
                   {"cond_subgraph_index": cond, "body_subgraph_index": body}, name,
                   output_dtypes=["int32", "float32", "float32"], num_outputs=3,
                   subgraphs=[cond, body])


def _growing(rng: np.random.Generator) -> Example:
    """The body appends a row each iteration, so the loop state changes shape."""
    i, acc = _t("i", "int32"), _t("acc", "float32", (1, 4))
    one = _t("one", "int32", data=np.int32(1))
    row = _t("row", "float32", data=randn(rng, 1, 4))
    i2, acc2 = _t("i_next", "int32"), _t("acc_next", "float32", (2, 4))
    body = _sg("body", [i, acc],
               [_op("ADD", [i, one], [i2]),
                _op("CONCATENATION", [acc, row], [acc2], axis=0)],
               [i2, acc2])
    cond = _less_cond(int(rng.integers(2, 6)), ["int32", "float32"], [(), (1, 4)])
    return Example([np.array(0, np.int32), randn(rng, 1, 4)],
                   {"cond_subgraph_index": cond, "body_subgraph_index": body},
                   "growing state", output_dtypes=["int32", "float32"], num_outputs=2,
                   subgraphs=[cond, body])


def _vector_cond(rng: np.random.Generator) -> Example:
    """Cond returns a [1] bool; the counter is a [1] int32 tensor; float state halves."""
    i, x = _t("i", "int32", (1,)), _t("x", "float32", (5,))
    one = _t("one", "int32", data=np.array([1], np.int32))
    half = _t("half", "float32", data=np.float32(0.5))
    i2, x2 = _t("i_next", "int32", (1,)), _t("x_next", "float32", (5,))
    body = _sg("body", [i, x],
               [_op("ADD", [i, one], [i2]), _op("MUL", [x, half], [x2])], [i2, x2])
    cond = _less_cond(4, ["int32", "float32"], [(1,), (5,)], counter_shape=(1,))
    return Example([np.array([int(rng.integers(0, 3))], np.int32), randn(rng, 5)],
                   {"cond_subgraph_index": cond, "body_subgraph_index": body},
                   "[1]-shaped cond", output_dtypes=["int32", "float32"], num_outputs=2,
                   subgraphs=[cond, body])


EXAMPLES = [
    lambda rng: _counter_example(rng, int(rng.integers(0, 3)), 5, "counter loop"),
    lambda rng: _counter_example(rng, 7, 5, "zero iterations"),
    _growing,
    _vector_cond,
]
