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


def _cmd_run(args: argparse.Namespace) -> int:
    from .interpreter import Runner
    from .samples import load_npz, run_dataset

    model = load(args.model)
    runner = Runner(model, profile=args.profile)  # checks every op has a kernel first
    arrays, _ = load_npz(args.data, model)
    outs = run_dataset(model, arrays, batch=args.batch, runner=runner, progress=not args.quiet)
    names = []
    for s in model.signature_defs:
        if s.subgraph is model.main:
            rev = {id(t): k for k, t in s.outputs.items()}
            names = [rev.get(id(t), t.name) for t in model.main.outputs]
    names = names or [t.name for t in model.main.outputs]
    _atomic_savez(args.output, dict(zip(names, outs)))
    if not args.quiet:
        for n, o in zip(names, outs):
            print(f"{n}: {o.dtype}{list(o.shape)}")
        print(f"wrote {args.output}")
    return 0


def _atomic_savez(path: str, arrays: dict) -> None:
    import tempfile

    import numpy as np

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".edgequant-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
    run = sub.add_parser("run", help="run a model on samples from an .npz file")
    run.add_argument("model", help="a .tflite file")
    run.add_argument("--data", required=True,
                     help=".npz with one array per input (by name) or 'x'; axis 0 = samples")
    run.add_argument("-o", "--output", required=True, help="output .npz (one array per output)")
    run.add_argument("--batch", type=int, default=32, help="samples per pass (dynamic-batch "
                     "models only)")
    run.add_argument("--profile", choices=["reference", "xnnpack"], default="reference",
                     help="integer kernel rounding rules")
    run.set_defaults(func=_cmd_run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except (EdgeQuantError, OSError, ValueError) as exc:
        if os.environ.get("EDGEQUANT_DEBUG"):
            raise
        msg = str(exc) if not isinstance(exc, OSError) or not exc.filename else \
            f"{exc.filename}: {exc.strerror}"
        print(f"edgequant: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
