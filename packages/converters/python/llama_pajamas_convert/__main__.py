"""Command line: one subcommand per family; JSON lines on stdout (`progress`, then `result` or `error`)."""

from __future__ import annotations

import argparse
import shutil
import sys
import traceback
from pathlib import Path

from .common import PRECISIONS, QUANTIZE_MODES, ConvertError, Options, claim_stdout, emit, versions

FAMILIES = ("yolo", "classifier", "clip", "whisper", "piper")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llama_pajamas_convert", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--out", required=True, type=Path, help="output folder (created; must be empty unless --overwrite)")
        sp.add_argument("--precision", choices=PRECISIONS, default="fp16")
        sp.add_argument("--quantize", choices=QUANTIZE_MODES)
        sp.add_argument("--onnx", default="", help="also write ONNX: comma list of fp32,fp16,int8")
        sp.add_argument("--fallback", choices=("fp32",), help="redo at FP32 when the FP16 parity gate fails")
        sp.add_argument("--parity-inputs", type=Path, action="append", default=[], help="images / WAV / .txt files or folders")
        sp.add_argument("--min-weight-size", type=int, default=2048, help="smallest weight (elements) to compress")
        sp.add_argument("--overwrite", action="store_true")
        sp.add_argument("--parity-threshold", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parity threshold, e.g. maxProbDelta=0.001")

    y = sub.add_parser("yolo", help="Ultralytics YOLOv8/v11 .pt (detect, classify)")
    y.add_argument("--weights", required=True, type=Path)
    y.add_argument("--imgsz", default="640", help="N or H,W")
    y.add_argument("--stem", default="model")
    common(y)
    for name, help_ in (("classifier", "Hugging Face image classifier folder (ViT, MobileNet, ...)"),
                        ("clip", "Hugging Face CLIP folder (image + text towers)"),
                        ("whisper", "Hugging Face Whisper folder"),
                        ("piper", "Hugging Face VITS (MMS-TTS) folder")):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--model", required=True, type=Path)
        if name == "whisper":
            sp.add_argument("--max-tokens", type=int, help="KV-cache capacity of the CoreML decoders (default min(448, model))")
            sp.add_argument("--no-stateful", action="store_true", help="skip the macOS 15 stateful decoder")
            sp.add_argument("--parity-steps", type=int, default=24)
        if name == "classifier":
            sp.add_argument("--stem", default="model")
        common(sp)
    v = sub.add_parser("verify", help="macOS: run the CoreML packages of a converted folder against its PyTorch reference")
    v.add_argument("folder", type=Path)
    i = sub.add_parser("inspect", help="describe a .mlpackage from its spec (I/O, states, metadata, ops, weight types)")
    i.add_argument("package", type=Path)
    sub.add_parser("versions", help="print the installed tool versions")
    return p


def options(a: argparse.Namespace) -> Options:
    onnx = [d for d in (s.strip() for s in a.onnx.split(",")) if d]
    bad = [d for d in onnx if d not in ("fp32", "fp16", "int8")]
    if bad:
        raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", f"--onnx takes fp32, fp16, int8; got {', '.join(bad)}.")
    from . import parity

    for item in a.parity_threshold:
        key, _, value = item.partition("=")
        known = {k for t in parity.THRESHOLDS.values() for k in t}
        try:
            parity.OVERRIDES[key] = float(value)
        except ValueError:
            key = ""
        if key not in known:
            raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", f"--parity-threshold takes KEY=NUMBER with KEY one of {', '.join(sorted(known))}; got {item!r}.")
    family_args: dict = {}
    if a.command == "yolo":
        try:
            parts = [int(s) for s in a.imgsz.split(",")]
        except ValueError:
            parts = []
        if len(parts) not in (1, 2) or any(n <= 0 or n > 4096 for n in parts):
            raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", f"--imgsz must be N or H,W (1-4096); got {a.imgsz!r}.")
        family_args["imgsz"] = parts[0] if len(parts) == 1 else tuple(parts)
    if getattr(a, "stem", None):
        family_args["stem"] = a.stem
    if a.command == "whisper":
        family_args.update(max_tokens=a.max_tokens, stateful=not a.no_stateful, parity_steps=a.parity_steps)
    if a.fallback and a.precision == "fp32":
        raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", "--fallback fp32 only makes sense with --precision fp16.")
    source = a.weights if a.command == "yolo" else a.model
    if not source.exists():
        raise ConvertError("ERR_RUN_CONVERTER_SOURCE_NOT_FOUND", f"No model at {source}.", path=str(source))
    return Options(source=source, out=a.out, precision=a.precision, quantize=a.quantize, onnx=onnx, fallback=a.fallback,
                   parity_inputs=a.parity_inputs, min_weight_size=a.min_weight_size, family_args=family_args, overwrite=a.overwrite)


def main(argv: list[str] | None = None) -> int:
    claim_stdout()
    try:
        a = parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed its message on stderr
        if e.code:
            emit("error", code="ERR_RUN_CONVERTER_INVALID_OPTION", message="Invalid command line (see stderr).")
        return int(e.code or 0)
    created = False
    try:
        if a.command == "versions":
            emit("result", versions=versions())
            return 0
        if a.command == "inspect":
            from .inspect_spec import inspect_package

            emit("result", spec=inspect_package(a.package))
            return 0
        if a.command == "verify":
            from .verify import verify

            emit("result", **verify(a.folder))
            return 0
        opts = options(a)
        created = not opts.out.exists() or not any(opts.out.iterdir()) or opts.overwrite
        import importlib

        mod = importlib.import_module(f".{a.command}", __package__)
        manifest = mod.convert(opts)
        emit("result", out=str(opts.out), manifest=manifest)
        return 0
    except ConvertError as e:
        emit("error", code=e.code, message=e.message, details=e.details)
    except MemoryError:
        emit("error", code="ERR_RUN_CONVERTER_FAILED", message="Out of memory while converting.")
    except Exception as e:  # anything else from torch/coremltools: keep the trace on stderr, report typed
        traceback.print_exc()
        emit("error", code="ERR_RUN_CONVERTER_FAILED", message=f"{type(e).__name__}: {e}", details={"exception": type(e).__name__})
    if created and a.command in FAMILIES and a.out.exists():
        shutil.rmtree(a.out, ignore_errors=True)  # no half-written model folder is left behind
    return 1


if __name__ == "__main__":
    sys.exit(main())
