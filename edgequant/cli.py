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
from .tflite_io import load, write_atomic


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
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_atomic(path, buf.getbuffer())


def _cmd_convert(args: argparse.Namespace) -> int:
    from . import ops as ops_registry
    from .converter import Optimize, TFLiteConverter

    if os.path.exists(args.output) and os.path.samefile(args.model, args.output):
        raise EdgeQuantError(f"{args.output}: refusing to overwrite the input model; choose "
                             "another output path")
    conv = TFLiteConverter.from_file(args.model)
    conv.optimizations = [Optimize.DEFAULT]
    if args.mode == "float16":
        conv.target_spec.supported_types = ["float16"]
    full_int = args.mode in ("int8", "int8-only", "16x8")
    if full_int:
        _set_full_integer(conv, args)
    elif args.calibration or args.input_type != "float32" or args.output_type != "float32":
        raise EdgeQuantError(f"--calibration, --input-type and --output-type need a "
                             f"full-integer mode (int8, int8-only, 16x8), not {args.mode}")
    for name in args.keep_float or []:
        # An op type (CONV_2D) or a tensor name: an upper-case builtin name means a type.
        if name.upper() == name and ops_registry.get(name) is not None:
            conv.denylisted_ops.append(name)
        else:
            conv.denylisted_nodes.append(name)
    conv.min_elements_for_weights = args.min_elements
    conv.dynamic_range_strategy = args.strategy
    conv._experimental_disable_per_channel = args.no_per_channel
    conv._experimental_disable_per_channel_quantization_for_dense_layers = \
        args.no_per_channel_dense
    data = conv.convert()
    write_atomic(args.output, data)
    before = os.path.getsize(args.model)
    if not args.quiet:
        print(f"{args.model}: {before:,} bytes -> {args.output}: {len(data):,} bytes "
              f"({len(data) / before:.3f}x)")
        if full_int and conv.last_plan is not None:
            _print_plan(conv.last_plan)
        s = conv.last_summary
        if s is not None and not full_int:
            kinds = ", ".join(f"{s.kinds[k]} {k}" for k in ("hybrid", "weight-only", "float")
                              if s.kinds[k])
            print(f"ops: {kinds}")
            for op_type, c in sorted(s.by_op.items()):
                if set(c) != {"float"}:
                    print(f"  {op_type}: " + ", ".join(f"{n} {k}" for k, n in sorted(c.items())))
    return 0


def _set_full_integer(conv: "TFLiteConverter", args: argparse.Namespace) -> None:
    from .converter import OpsSet
    from .samples import load_npz

    if not args.calibration:
        raise EdgeQuantError(f"--mode {args.mode} needs --calibration DATA.npz (representative "
                             "samples, one array per input or 'x', samples on axis 0)")
    try:
        arrays, _ = load_npz(args.calibration, conv._model)
    except ValueError as exc:
        raise EdgeQuantError(str(exc)) from None
    inputs = conv._model.main.inputs
    n = arrays[0].shape[0] if args.samples is None else min(args.samples, arrays[0].shape[0])

    def dataset():  # one sample at a time, shaped like the model's inputs
        for i in range(n):
            yield [a[i:i + 1] if a.ndim == len(t.shape) else a[i]
                   for t, a in zip(inputs, arrays)]

    conv.representative_dataset = dataset
    conv.calibration_samples = n
    conv.calibration_statistic = args.statistic
    conv.show_progress = not args.quiet
    if args.mode == "int8-only":
        conv.target_spec.supported_ops = {OpsSet.TFLITE_BUILTINS_INT8}
    elif args.mode == "16x8":
        conv.target_spec.supported_ops = {
            OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
        if not args.no_fallback:
            conv.target_spec.supported_ops.add(OpsSet.TFLITE_BUILTINS)
    conv.inference_input_type = args.input_type
    conv.inference_output_type = args.output_type


def _print_plan(plan) -> None:  # noqa: ANN001 - plan.Plan
    from collections import Counter

    kinds = Counter(p.kind for p in plan.ops.values())
    print(f"ops: {kinds['int']} integer ({plan.config.act_dtype} activations), "
          f"{kinds['float']} float, {kinds['other'] + kinds['neutral'] + kinds['flow']} other "
          "(int32/bool/shape ops, control flow)")
    for p in plan.ops.values():
        if p.kind == "float":
            print(f"  float: {p.op.type} (op {p.index}): {p.reason}")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_table, to_json
    from .samples import load_npz

    arrays, labels = load_npz(args.data, load(args.models[0]))
    if args.samples is not None:
        if args.samples < 1:
            raise EdgeQuantError(f"--samples must be at least 1, got {args.samples}")
        arrays = [a[:args.samples] for a in arrays]
        labels = None if labels is None else labels[:args.samples]
    rows = evaluate(args.models[0], args.models[1:], arrays, labels, batch=args.batch,
                    latency=not args.no_latency, litert=False if args.no_litert else None,
                    profile=args.profile, progress=not args.quiet)
    if args.json:
        print(json.dumps(to_json(rows), indent=2))
    else:
        print(format_table(rows))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import format_demo, run_demo

    result = run_demo(args.out, samples=args.samples, latency=not args.no_latency,
                      litert=False if args.no_litert else None, progress=not args.quiet)
    print(format_demo(result))
    if args.out:
        print(f"models written to {args.out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import build_report, summary_lines, write_report
    from .samples import load_npz

    model = load(args.model)
    calib, _ = load_npz(args.data, model)
    test = load_npz(args.test, model)[0] if args.test else None
    for flag, v in (("--samples", args.samples), ("--search-samples", args.search_samples)):
        if v is not None and v < 1:
            raise EdgeQuantError(f"{flag} must be at least 1, got {v}")
    if not 0.0 < args.target_cosine <= 1.0:
        raise EdgeQuantError(f"--target-cosine must be in (0, 1], got {args.target_cosine}")
    report = build_report(model, calib, args.mode, test=test, target=args.target_cosine,
                          samples=args.samples, search_samples=args.search_samples,
                          max_evals=args.max_evals, search=not args.no_search,
                          latency=not args.no_latency, progress=not args.quiet,
                          name=os.path.basename(args.model))
    files = write_report(report, args.output, plots=not args.no_plots)
    if not args.quiet:
        print("\n".join(summary_lines(report)))
        print(f"wrote {files['html']} and {files['json']}")
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
    run = sub.add_parser("run", help="run a model on samples from an .npz file")
    run.add_argument("model", help="a .tflite file")
    run.add_argument("--data", required=True,
                     help=".npz with one array per input (by name) or 'x'; axis 0 = samples")
    run.add_argument("-o", "--output", required=True, help="output .npz (one array per output)")
    run.add_argument("--batch", type=int, default=32, help="samples per pass (dynamic-batch "
                     "models only)")
    run.add_argument("--profile", choices=["reference", "optimized", "xnnpack"],
                     default="reference",
                     help="kernel arithmetic to reproduce: LiteRT's reference kernels, its "
                     "optimized builtin kernels, or the XNNPACK delegate (hybrid ops)")
    run.set_defaults(func=_cmd_run)
    conv = sub.add_parser("convert", help="quantize a float .tflite model")
    conv.add_argument("model", help="a float .tflite file")
    conv.add_argument("-o", "--output", required=True, help="the .tflite file to write")
    conv.add_argument("--mode", choices=["dynamic", "float16", "int8", "int8-only", "16x8"],
                      required=True,
                      help="dynamic: int8 weights, float activations; float16: fp16 weights; "
                      "int8: full integer with float fallback; int8-only: every op integer "
                      "(error otherwise); 16x8: int16 activations, int8 weights")
    conv.add_argument("--calibration", metavar="DATA.npz",
                      help="representative samples for the full-integer modes (one array per "
                      "input, by name, or 'x'; samples on axis 0)")
    conv.add_argument("--samples", type=int, default=None,
                      help="use at most this many calibration samples")
    conv.add_argument("--statistic", choices=["minmax", "ema"], default="minmax",
                      help="calibration range: global min/max (TF's converter) or a moving "
                      "average of per-sample min/max (ai-edge-quantizer)")
    conv.add_argument("--input-type", choices=["float32", "int8", "uint8", "int16"],
                      default="float32", help="model input type (full-integer modes)")
    conv.add_argument("--output-type", choices=["float32", "int8", "uint8", "int16"],
                      default="float32", help="model output type (full-integer modes)")
    conv.add_argument("--keep-float", action="append", metavar="NAME|OPTYPE",
                      help="keep this op type (e.g. SOFTMAX) or the op producing this tensor "
                      "name float; repeatable")
    conv.add_argument("--no-fallback", action="store_true",
                      help="16x8: fail instead of leaving ops without an int16 kernel float")
    conv.add_argument("--strategy", choices=["auto", "tf", "weight-only"], default="auto",
                      help="dynamic range: 'auto' picks per op what LiteRT's default runtime "
                      "runs fast (hybrid FC/BATCH_MATMUL, weight-only convs); 'tf' does what "
                      "TensorFlow's converter does; 'weight-only' dequantizes every weight")
    conv.add_argument("--min-elements", type=int, default=1024,
                      help="weights with fewer elements stay float (default 1024, as TF)")
    conv.add_argument("--no-per-channel", action="store_true",
                      help="per-tensor weight scales everywhere")
    conv.add_argument("--no-per-channel-dense", action="store_true",
                      help="per-tensor weight scales for FULLY_CONNECTED only")
    conv.set_defaults(func=_cmd_convert)
    # -q/--quiet is also accepted after these subcommands (SUPPRESS keeps the global value).
    ev = sub.add_parser("evaluate", help="compare quantized models with their float model: "
                        "size, accuracy, error, latency, op kinds")
    ev.add_argument("models", nargs="+", metavar="MODEL",
                    help="the float .tflite model first, then the models to compare with it")
    ev.add_argument("--data", required=True, help="test .npz: one float array per input (by "
                    "name) or 'x', samples on axis 0; labels in 'y' when present")
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument("--samples", type=int, default=None, help="use the first N samples only")
    ev.add_argument("--batch", type=int, default=32, help="samples per pass (dynamic-batch "
                    "models only)")
    ev.add_argument("--profile", choices=["reference", "optimized", "xnnpack"],
                    default="reference", help="kernel arithmetic edgequant's interpreter "
                    "reproduces (see 'run --help')")
    ev.add_argument("--no-latency", action="store_true", help="skip the latency measurements")
    ev.add_argument("--no-litert", action="store_true",
                    help="do not time LiteRT even when ai-edge-litert is installed")
    ev.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                    help="no progress bar")
    ev.set_defaults(func=_cmd_evaluate)
    demo = sub.add_parser("demo", help="TF's post-training quantization tutorial on the bundled "
                          "MNIST-style model: every mode, one table")
    demo.add_argument("--out", metavar="DIR", default=None,
                      help="keep the converted models in DIR (default: a temporary directory)")
    demo.add_argument("--samples", type=int, default=None,
                      help="evaluate on the first N of the 397 test digits")
    demo.add_argument("--no-latency", action="store_true", help="skip the latency measurements")
    demo.add_argument("--no-litert", action="store_true",
                      help="do not time LiteRT even when ai-edge-litert is installed")
    demo.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                      help="no progress bar")
    demo.set_defaults(func=_cmd_demo)
    rep = sub.add_parser("report", help="per-layer quantization error, ops left float, weight "
                         "outliers and a keep-float list meeting a target (HTML + JSON)")
    rep.add_argument("model", help="a float .tflite file")
    rep.add_argument("--data", required=True, metavar="CALIB.npz",
                     help="calibration samples (one array per input, by name, or 'x'; samples "
                     "on axis 0); also the evaluation data without --test")
    rep.add_argument("--mode", choices=["int8", "int8-only", "16x8", "dynamic"], required=True,
                     help="the quantization mode to examine")
    rep.add_argument("--test", metavar="TEST.npz", default=None,
                     help="evaluation samples for the errors and the target")
    rep.add_argument("-o", "--output", required=True, metavar="DIR",
                     help="directory for report.html, report.json and the plots")
    rep.add_argument("--target-cosine", type=float, default=0.99,
                     help="model-output cosine vs float that the keep-float list must reach "
                     "(default 0.99)")
    rep.add_argument("--samples", type=int, default=100,
                     help="evaluation samples to use (default 100)")
    rep.add_argument("--search-samples", type=int, default=32,
                     help="samples per try in the keep-float search (default 32; the result "
                     "is then checked on all evaluation samples)")
    rep.add_argument("--max-evals", type=int, default=40,
                     help="at most this many conversions in the keep-float search")
    rep.add_argument("--no-search", action="store_true", help="skip the keep-float search")
    rep.add_argument("--no-latency", action="store_true", help="skip the latency measurements")
    rep.add_argument("--no-plots", action="store_true", help="tables only, even with matplotlib")
    rep.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                     help="no progress on stderr, no summary")
    rep.set_defaults(func=_cmd_report)
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
