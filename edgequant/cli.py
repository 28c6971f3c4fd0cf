"""The ``edgequant`` command line: ``edgequant inspect MODEL [--json]`` and friends.

Every user error (missing file, bad model, bad option) prints one line ``edgequant: error: ...``
and exits with status 2 (usage) or 1 (everything else); ``EDGEQUANT_DEBUG=1`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Sequence

from . import __version__
from .errors import EdgeQuantError
from .summary import format_summary, summarize
from .tflite_io import load


def _cmd_inspect(args: argparse.Namespace) -> int:
    model = load(args.model)
    s = summarize(model, file_size=os.path.getsize(args.model))
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        print(format_summary(s, args.model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edgequant",
                                description="TFLite post-training quantization without TensorFlow")
    p.add_argument("--version", action="version", version=f"edgequant {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="only print results and errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ins = sub.add_parser("inspect", help="show a model's I/O, ops, dtypes and weight sizes")
    ins.add_argument("model", help="a .tflite file")
    ins.add_argument("--json", action="store_true", help="print JSON instead of text")
    ins.set_defaults(func=_cmd_inspect)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except (EdgeQuantError, OSError) as exc:
        if os.environ.get("EDGEQUANT_DEBUG"):
            raise
        msg = str(exc) if not isinstance(exc, OSError) or not exc.filename else \
            f"{exc.filename}: {exc.strerror}"
        print(f"edgequant: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
