"""Op kernels: one module per TFLite builtin, found by scanning this package.

A module whose name does not start with an underscore and that defines ``OP`` registers
itself; private helper modules (``_base``, ``_elementwise``, ...) hold code several ops share.
See ``_base`` for what an op file defines.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_REGISTRY: dict[str, ModuleType] | None = None


def registry() -> dict[str, ModuleType]:
    """Map builtin name -> op module, loaded on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        reg: dict[str, ModuleType] = {}
        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith("_"):
                continue
            mod = importlib.import_module(f"{__name__}.{info.name}")
            op = getattr(mod, "OP", None)
            if op is None:
                continue
            if op in reg:
                raise RuntimeError(f"op {op} is defined twice: {reg[op].__name__}, {mod.__name__}")
            reg[op] = mod
        _REGISTRY = reg
    return _REGISTRY


def get(op_type: str) -> ModuleType | None:
    return registry().get(op_type)


def supported_ops() -> list[str]:
    return sorted(registry())
