"""Every op file's EXAMPLES, built as single-op models, agree with LiteRT's reference kernels."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from edgequant import ops
from edgequant.ops._base import Example

from ophelpers import compare

pytest.importorskip("ai_edge_litert")


def _cases():
    for name, mod in sorted(ops.registry().items()):
        for i, ex in enumerate(getattr(mod, "EXAMPLES", [])):
            yield pytest.param(name, i, id=f"{name}-{i}")


@pytest.mark.parametrize("op_name,index", list(_cases()))
@pytest.mark.parametrize("seed", [0, 1])
def test_op_matches_litert(op_name: str, index: int, seed: int) -> None:
    mod = ops.registry()[op_name]
    ex = mod.EXAMPLES[index]
    if not isinstance(ex, Example):
        rng = np.random.default_rng(zlib.crc32(f"{op_name}/{index}/{seed}".encode()))
        ex = ex(rng)
    elif seed:
        pytest.skip("fixed example: one seed is enough")
    compare(mod, ex)


def test_every_op_has_examples() -> None:
    for name, mod in ops.registry().items():
        assert getattr(mod, "EXAMPLES", None), f"{name} has no EXAMPLES"
        assert mod.__doc__, f"{name} has no module docstring"
