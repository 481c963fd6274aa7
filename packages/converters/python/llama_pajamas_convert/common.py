"""Shared pieces of every converter: JSON progress lines, typed errors, CoreML/ONNX saving, the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

MANIFEST_FILE = "llama-pajamas.json"
SCHEMA_VERSION = 1
QUANTIZE_MODES = ("int8", "palettize4", "palettize6", "palettize8")
PRECISIONS = ("fp16", "fp32")

_OUT = None  # the real stdout, kept for JSON lines; fd 1 is pointed at stderr so libraries cannot mix in


def claim_stdout() -> None:
    """Keeps fd 1 for our JSON lines and sends everything else libraries print (fd 1 and sys.stdout) to stderr."""
    global _OUT
    if _OUT is not None:
        return
    _OUT = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def emit(event: str, **fields: Any) -> None:
    """Writes one JSON line (`{"event": ..., ...}`) for the TypeScript side."""
    line = json.dumps({"event": event, **fields}, default=_json_default)
    (_OUT or sys.stdout).write(line + "\n")
    (_OUT or sys.stdout).flush()


def _json_default(o: Any):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


_T0 = time.monotonic()


def progress(step: str, message: str, **extra: Any) -> None:
    """Reports the start of a long step."""
    emit("progress", step=step, message=message, elapsedS=round(time.monotonic() - _T0, 2), **extra)


class ConvertError(Exception):
    """A failure with a stable code that the TypeScript side turns into its typed error."""

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def source_error(message: str, **details: Any) -> ConvertError:
    return ConvertError("ERR_RUN_CONVERTER_SOURCE_INVALID", message, **details)


@dataclass
class Options:
    """What every family converter takes (parsed from the command line)."""

    source: Path
    out: Path
    precision: str = "fp16"
    quantize: str | None = None
    onnx: list[str] = field(default_factory=list)  # dtypes: fp32, fp16, int8
    fallback: str | None = None  # "fp32": redo at FP32 when the FP16 parity gate fails
    parity_inputs: list[Path] = field(default_factory=list)
    min_weight_size: int = 2048
    family_args: dict = field(default_factory=dict)
    overwrite: bool = False


def versions() -> dict:
    """Versions of the tools a conversion used (for the manifest)."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("coremltools", "torch", "transformers", "ultralytics", "onnx", "onnxruntime", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    out["llama-pajamas-converters"] = "1"
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def source_info(path: Path) -> dict:
    """Where a model came from: the path, and its revision (HF snapshot commit, or the weights' sha256)."""
    info: dict[str, Any] = {"path": str(path.resolve())}
    resolved = path.resolve()
    parts = resolved.parts
    if "snapshots" in parts:  # huggingface_hub cache layout: models--org--name/snapshots/<commit>/...
        i = parts.index("snapshots")
        if i + 1 < len(parts):
            info["revision"] = parts[i + 1]
            if parts[i - 1].startswith("models--"):
                info["repo"] = parts[i - 1][len("models--"):].replace("--", "/")
    if path.is_file():
        info["sha256"] = sha256_file(path)
    else:
        for name in ("model.safetensors", "pytorch_model.bin"):
            if (path / name).exists():
                info["sha256"] = sha256_file(path / name)
                info["weights"] = name
                break
    return info


def prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ConvertError(
                "ERR_RUN_CONVERTER_OUTPUT_EXISTS",
                f"The output folder {out} exists and is not empty. Pass --overwrite (overwrite: true) or pick another folder.",
                out=str(out),
            )
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)


# --- CoreML -------------------------------------------------------------------------------------------------------


def coreml_suffix(precision: str, quantize: str | None) -> str:
    """File-stem suffix per precision (run-coreml's RuntimeFiles maps these back)."""
    if quantize == "int8":
        return "_int8"
    if quantize:
        return "_palettized"
    return "" if precision == "fp16" else "_fp32"


def coreml_convert(
    module,
    example_inputs: tuple,
    inputs: list,
    outputs: list,
    precision: str,
    target: str = "macOS13",
    states: list | None = None,
):
    """Traces a torch module and converts it to an ML Program (FP16 or FP32 compute precision)."""
    import coremltools as ct
    import torch

    module = module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example_inputs, check_trace=False)
    kw = {}
    if states:
        kw["states"] = states
    return ct.convert(
        traced,
        inputs=inputs,
        outputs=outputs,
        convert_to="mlprogram",
        compute_precision=ct.precision.FLOAT16 if precision == "fp16" else ct.precision.FLOAT32,
        minimum_deployment_target=getattr(ct.target, target),
        **kw,
    )


def coreml_compress(mlmodel, quantize: str | None, min_weight_size: int):
    """Weight compression: int8 linear (symmetric, per channel) or k-means palettization to 4/6/8 bits."""
    if not quantize:
        return mlmodel
    from coremltools.optimize.coreml import (
        OpLinearQuantizerConfig,
        OpPalettizerConfig,
        OptimizationConfig,
        linear_quantize_weights,
        palettize_weights,
    )

    if quantize == "int8":
        cfg = OptimizationConfig(
            global_config=OpLinearQuantizerConfig(mode="linear_symmetric", weight_threshold=min_weight_size)
        )
        return linear_quantize_weights(mlmodel, config=cfg)
    nbits = int(quantize.removeprefix("palettize"))
    cfg = OptimizationConfig(
        global_config=OpPalettizerConfig(mode="kmeans", nbits=nbits, weight_threshold=min_weight_size)
    )
    return palettize_weights(mlmodel, config=cfg)


def coreml_save(mlmodel, path: Path, metadata: dict[str, str], description: str) -> dict:
    """Writes metadata and saves the `.mlpackage`; returns its I/O description for the manifest."""
    meta = mlmodel.user_defined_metadata
    for k, v in metadata.items():
        meta[k] = str(v)
    mlmodel.short_description = description
    mlmodel.author = "llama-pajamas converters"
    mlmodel.save(str(path))
    return coreml_io(path)


def coreml_io(path: Path) -> dict:
    """Inputs, outputs and states of a saved package, read back from its spec."""
    import coremltools as ct

    spec = ct.utils.load_spec(str(path))

    def feature(f):
        t = f.type.WhichOneof("Type")
        d: dict[str, Any] = {"name": f.name}
        if t == "multiArrayType":
            ma = f.type.multiArrayType
            d["dtype"] = {65568: "float32", 65552: "float16", 131104: "int32", 65600: "float64"}.get(
                ma.dataType, str(ma.dataType)
            )
            d["shape"] = list(ma.shape)
            if ma.WhichOneof("ShapeFlexibility") == "enumeratedShapes":
                d["enumeratedShapes"] = [list(s.shape) for s in ma.enumeratedShapes.shapes]
        elif t == "stateType":
            arr = f.type.stateType.arrayType
            d["dtype"] = {65552: "float16", 65568: "float32"}.get(arr.dataType, str(arr.dataType))
            d["shape"] = list(arr.shape)
        else:
            d["type"] = t
        return d

    desc = spec.description
    io = {
        "inputs": [feature(f) for f in desc.input],
        "outputs": [feature(f) for f in desc.output],
        "specificationVersion": spec.specificationVersion,
    }
    if len(desc.state):
        io["states"] = [feature(f) for f in desc.state]
    return io


def coreml_can_predict() -> bool:
    return sys.platform == "darwin"


# --- ONNX ---------------------------------------------------------------------------------------------------------

ONNX_OPSET = 17
ONNX_SUFFIX = {"fp32": "", "fp16": "_fp16", "int8": "_quantized"}


def onnx_export(module, args: tuple, path: Path, input_names, output_names, dynamic_axes=None) -> None:
    """Exports with the TorchScript-based exporter (opset 17), from the same wrapper module as CoreML."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module.eval(),
            args,
            str(path),
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes or {},
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def onnx_set_metadata(path: Path, metadata: dict[str, str]) -> None:
    import onnx

    m = onnx.load(str(path))
    existing = {p.key: p for p in m.metadata_props}
    for k, v in metadata.items():
        if k in existing:
            existing[k].value = str(v)
        else:
            p = m.metadata_props.add()
            p.key, p.value = k, str(v)
    onnx.save(m, str(path))


def inline_shared_initializers(model):
    """torch.onnx shares identical weights through Identity nodes (common in random-weight models); the FP16
    converter then leaves some float32 inputs behind. Give each its own copy of the initializer instead."""
    import onnx

    g = model.graph
    init = {i.name: i for i in g.initializer}
    keep = []
    for n in g.node:
        if n.op_type == "Identity" and n.input[0] in init:
            copy = onnx.TensorProto()
            copy.CopyFrom(init[n.input[0]])
            copy.name = n.output[0]
            g.initializer.append(copy)
        else:
            keep.append(n)
    del g.node[:]
    g.node.extend(keep)
    return model


def cast_missed_inputs(model, own_casts: set[str]) -> None:
    """onnxconverter-common sometimes leaves a float32 graph input wired straight into a now-FP16 node (CLIP's
    patch Conv): put the missing Cast in front of such consumers."""
    from onnx import TensorProto, helper

    g = model.graph
    for inp in g.input:
        if inp.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        users = [n for n in g.node if inp.name in n.input and n.op_type != "Cast"]
        if not users:
            continue
        cast_out = f"{inp.name}_to_fp16"
        for n in users:
            for i, name in enumerate(n.input):
                if name == inp.name:
                    n.input[i] = cast_out
        g.node.insert(0, helper.make_node("Cast", [inp.name], [cast_out], to=TensorProto.FLOAT16, name=f"{inp.name}_cast_fp16"))
    # Casts the model itself makes to float32 (masks built with .to(dtype)) must now make float16; the casts the
    # converter added around the ops it keeps in float32 (Resize, Range …) stay as they are
    outputs = {o.name for o in g.output}
    for n in g.node:
        if n.op_type == "Cast" and n.name in own_casts and n.output[0] not in outputs:
            for a in n.attribute:
                if a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16


MIXABLE = {"MatMul", "Add", "Sub", "Mul", "Div", "Where", "Concat", "Max", "Min", "Pow", "Equal", "Less", "Greater"}


def unify_mixed_float_inputs(model) -> None:
    """Where a node still gets float32 and float16 inputs (masks and position tables the converter kept in
    float32), cast its float32 inputs to float16."""
    import onnx
    from onnx import TensorProto, helper

    for _ in range(8):  # each pass can expose the next node
        inferred = onnx.shape_inference.infer_shapes(model)
        g = model.graph
        types = {v.name: v.type.tensor_type.elem_type for v in list(inferred.graph.value_info) + list(g.input) + list(g.output)}
        types.update({i.name: i.data_type for i in g.initializer})
        fixed = 0
        new_nodes = []
        for n in g.node:
            if n.op_type in MIXABLE:
                ts = [types.get(i) for i in n.input]
                if TensorProto.FLOAT16 in ts and TensorProto.FLOAT in ts:
                    for k, (name, t) in enumerate(zip(list(n.input), ts)):
                        if t == TensorProto.FLOAT:
                            out = f"{name}_as_fp16_{fixed}"
                            new_nodes.append(helper.make_node("Cast", [name], [out], to=TensorProto.FLOAT16, name=f"{n.name}_fix{k}_{fixed}"))
                            n.input[k] = out
                            fixed += 1
            new_nodes.append(n)
        del g.node[:]
        g.node.extend(new_nodes)
        if not fixed:
            return


def onnx_variants(fp32_path: Path, dtypes: list[str]) -> dict[str, Path]:
    """From an fp32 export, writes the fp16 (float32 I/O kept) and int8 (dynamic quantization) files asked for."""
    made: dict[str, Path] = {"fp32": fp32_path}
    stem = fp32_path.with_suffix("")
    if "fp16" in dtypes:
        import onnx
        from onnxconverter_common import float16

        src = inline_shared_initializers(onnx.load(str(fp32_path)))
        own_casts = {n.name for n in src.graph.node if n.op_type == "Cast"}
        m = float16.convert_float_to_float16(src, keep_io_types=True)
        cast_missed_inputs(m, own_casts)
        del m.graph.value_info[:]  # stale float32 entries for tensors the converter made FP16; ORT infers them again
        unify_mixed_float_inputs(m)
        dst = Path(f"{stem}{ONNX_SUFFIX['fp16']}.onnx")
        onnx.save(m, str(dst))
        made["fp16"] = dst
    if "int8" in dtypes:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        dst = Path(f"{stem}{ONNX_SUFFIX['int8']}.onnx")
        quantize_dynamic(str(fp32_path), str(dst), weight_type=QuantType.QUInt8)
        made["int8"] = dst
    return made


def ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


# --- manifest -----------------------------------------------------------------------------------------------------


def write_manifest(out: Path, manifest: dict) -> Path:
    path = out / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n")
    return path


def conversion_block(family: str, opts: Options, precision: str, files: dict, parity: dict, extra: dict | None = None) -> dict:
    """The `conversion` object of the manifest (what run-core's vision loader ignores and run-coreml reads)."""
    block = {
        "schema": SCHEMA_VERSION,
        "family": family,
        "precision": precision,
        "quantize": opts.quantize,
        "runtimes": files,
        "source": source_info(opts.source),
        "versions": versions(),
        "parity": parity,
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if extra:
        block.update(extra)
    return block


def with_fallback(opts: Options, run: Callable[[str], dict]) -> dict:
    """Runs a conversion at the asked precision; when the parity gate fails and `--fallback fp32` is set,
    redoes it at FP32 and says so."""
    try:
        return run(opts.precision)
    except ConvertError as e:
        if e.code != "ERR_RUN_CONVERTER_PARITY_FAILED" or opts.fallback != "fp32" or opts.precision == "fp32":
            raise
        progress("fallback", f"parity failed at {opts.precision} ({e.message}); converting again at fp32 as --fallback fp32 asks")
        prepare_out(opts.out, True)
        result = run("fp32")
        result.setdefault("conversion", {})["fallback"] = {"from": opts.precision, "reason": e.message, "figures": e.details}
        return result


def parity_onnx(fp32_path: Path, precision: str, quantize: str | None, made: dict[str, Path]) -> tuple[Path, str, bool]:
    """Which ONNX file stands in for the CoreML numerics on this machine: the FP16 file for FP16 (and palettized)
    packages, the int8 file for int8, else FP32. Makes it next to the FP32 file when it was not asked for."""
    want = "int8" if quantize == "int8" else ("fp16" if precision == "fp16" else "fp32")
    if want not in made:
        made.update(onnx_variants(fp32_path, [want]))
    return made[want], f"onnxruntime {want}" + (f" (stand-in for CoreML {quantize})" if quantize else ""), quantize == "int8"


def keep_onnx(made: dict[str, Path], wanted: list[str], dst_dir: Path, stem: str) -> dict[str, str]:
    """Moves the ONNX files asked for into the output folder under transformers.js names; returns dtype → path."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    kept = {}
    for dtype in wanted:
        src = made[dtype]
        dst = dst_dir / f"{stem}{ONNX_SUFFIX[dtype]}.onnx"
        shutil.copyfile(src, dst)
        kept[dtype] = dst
    return kept


def onnx_io(path: Path) -> dict:
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    init = {i.name for i in m.graph.initializer}
    types = {1: "float32", 10: "float16", 7: "int64", 6: "int32", 9: "bool"}

    def vi(v):
        t = v.type.tensor_type
        return {
            "name": v.name,
            "dtype": types.get(t.elem_type, str(t.elem_type)),
            "shape": [d.dim_param or d.dim_value for d in t.shape.dim],
        }

    return {"inputs": [vi(v) for v in m.graph.input if v.name not in init], "outputs": [vi(v) for v in m.graph.output]}
