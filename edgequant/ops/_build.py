"""Building small graphs in code: an op with its schema-default options and the version its
op file gives it, a tensor from a value, a subgraph from its ops. Used by examples that need
subgraphs (WHILE, IF) and by graph rewrites that add ops."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ir import Operator, Subgraph, Tensor


def tensor(name: str, dtype: str, shape: Sequence[int] = (), data: Any = None) -> Tensor:
    arr = None if data is None else np.asarray(data)
    return Tensor(name=name, shape=tuple(arr.shape if arr is not None else shape), dtype=dtype,
                  data=arr)


def make_op(op_type: str, inputs: list[Tensor | None], outputs: list[Tensor], **options: Any
            ) -> Operator:
    from . import get
    from ..schema import default_options

    mod = get(op_type)
    opts_name = getattr(mod, "OPTIONS", None)
    opts = default_options(opts_name) if opts_name else {}
    opts.update(options)
    op = Operator(type=op_type, inputs=list(inputs), outputs=outputs, options=opts,
                  options_type=opts_name)
    op.version = mod.version(op) if hasattr(mod, "version") else 1
    return op


def subgraph(name: str, inputs: list[Tensor], ops: list[Operator], outputs: list[Tensor]
             ) -> Subgraph:
    sg = Subgraph(name=name, inputs=inputs, outputs=outputs, operators=ops)
    sg.tensors = list(sg.all_tensors())
    return sg
