"""Ultralytics YOLO (v8 / v11) `.pt` → CoreML (+ ONNX): raw head output `[1, 4+nc, N]`, as Ultralytics exports it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from . import parity as P
from .common import (
    ConvertError,
    Options,
    coreml_compress,
    coreml_convert,
    coreml_save,
    coreml_suffix,
    conversion_block,
    keep_onnx,
    onnx_export,
    onnx_io,
    onnx_set_metadata,
    onnx_variants,
    ort_session,
    parity_onnx,
    prepare_out,
    progress,
    source_error,
    write_manifest,
    with_fallback,
)


def load_yolo(path: Path):
    if not path.is_file() or path.suffix != ".pt":
        raise source_error(f"Expected an Ultralytics .pt file for --weights, got {path}.", path=str(path))
    progress("load", f"loading Ultralytics weights {path.name}")
    try:
        from ultralytics import YOLO

        y = YOLO(str(path))
    except Exception as e:  # ultralytics raises many kinds on a bad file
        raise source_error(f"{path} is not an Ultralytics checkpoint that loads ({type(e).__name__}: {e}).", path=str(path)) from e
    if y.task not in ("detect", "classify"):
        raise ConvertError(
            "ERR_RUN_CONVERTER_UNSUPPORTED",
            f"{path.name} is a YOLO '{y.task}' model; the converter handles 'detect' and 'classify'.",
            task=y.task,
        )
    return y


def export_module(y):
    """The torch module both runtimes are made from: fused, eval, head in export mode (one output tensor)."""
    from ultralytics.nn.modules.head import Detect
    from ultralytics.nn.modules.head import Classify

    model = y.model.float().eval()
    model = model.fuse() if hasattr(model, "fuse") else model
    for p in model.parameters():
        p.requires_grad_(False)
    for m in model.modules():
        if isinstance(m, (Detect, Classify)):
            m.export = True
            m.format = "onnx"
            if hasattr(m, "dynamic"):
                m.dynamic = False
    return model


def letterbox_batch(images, imgsz: tuple[int, int]) -> np.ndarray:
    """Ultralytics' own LetterBox (centred, pad 114), RGB, /255, NCHW float32."""
    from ultralytics.data.augment import LetterBox

    lb = LetterBox(imgsz, auto=False, stride=32)
    arrs = []
    for im in images:
        bgr = np.asarray(im)[:, :, ::-1]
        out = lb(image=bgr)
        arrs.append(out[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0)
    return np.ascontiguousarray(np.stack(arrs))


def classify_batch(images, size: int) -> np.ndarray:
    from ultralytics.data.augment import classify_transforms

    t = classify_transforms(size)
    return np.stack([t(im).numpy() for im in images]).astype(np.float32)


def convert(opts: Options) -> dict:
    import coremltools as ct
    import torch

    y = load_yolo(opts.source)
    task = y.task
    imgsz = opts.family_args.get("imgsz") or 640
    h, w = (imgsz, imgsz) if isinstance(imgsz, int) else tuple(imgsz)
    model = export_module(y)
    stride = int(max(model.stride)) if hasattr(model, "stride") else 32
    if task == "detect" and (h % stride or w % stride):
        raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", f"--imgsz {h}x{w} must be a multiple of the stride {stride}.", imgsz=[h, w])
    names = {int(k): v for k, v in model.names.items()}
    stem = opts.family_args.get("stem") or "model"
    metadata = {
        "names": str(names),
        "imgsz": str([h, w]),
        "stride": str(stride),
        "task": task,
        "batch": "1",
        "description": f"Ultralytics YOLO {task} converted by llama-pajamas",
    }
    images, image_names = P.load_images(opts.parity_inputs)
    x = letterbox_batch(images, (h, w)) if task == "detect" else classify_batch(images, h)
    example = torch.from_numpy(x[:1])
    with torch.no_grad():
        ref = [model(torch.from_numpy(x[i : i + 1])).numpy() for i in range(len(x))]
    out_name = "output0"

    def run(precision: str) -> dict:
        quantize = opts.quantize if precision == opts.precision else None
        prepare_out(opts.out, opts.overwrite or precision != opts.precision)
        progress("coreml", f"converting to a CoreML ML Program ({precision}{', ' + quantize if quantize else ''}); this takes a while")
        ml = coreml_convert(
            model,
            (example,),
            inputs=[ct.TensorType(name="images", shape=(1, 3, h, w), dtype=np.float32)],
            outputs=[ct.TensorType(name=out_name, dtype=np.float32)],
            precision=precision,
        )
        if quantize:
            progress("compress", f"compressing weights ({quantize})")
            ml = coreml_compress(ml, quantize, opts.min_weight_size)
        pkg = opts.out / f"{stem}{coreml_suffix(precision, quantize)}.mlpackage"
        io = coreml_save(ml, pkg, metadata, f"Ultralytics YOLO {task}, input images [1,3,{h},{w}] RGB 0-1")
        files = {"coreml": {"file": pkg.name, "precision": precision, "quantize": quantize, **io}}
        with tempfile.TemporaryDirectory(prefix="lp-yolo-onnx-") as tmp:
            progress("onnx", "exporting ONNX from the same module (for the parity gate" + (" and the output" if opts.onnx else "") + ")")
            fp32 = Path(tmp) / f"{stem}.onnx"
            onnx_export(model, (example,), fp32, ["images"], [out_name])
            onnx_set_metadata(fp32, metadata)
            made = onnx_variants(fp32, [d for d in opts.onnx if d != "fp32"])
            proxy, label, q8 = parity_onnx(fp32, precision, quantize, made)
            progress("parity", f"running PyTorch and {label} on {len(x)} input(s)")
            sess = ort_session(proxy)
            got = [sess.run(None, {"images": x[i : i + 1]})[0] for i in range(len(x))]
            if task == "detect":
                figures = P.gate("detect", P.compare_detect(ref, got), q8, label)
            else:
                figures = P.gate("classify", P.compare_classify(ref, got, activation="none"), q8, label)
            if opts.onnx:
                for d, path in keep_onnx(made, opts.onnx, opts.out / "onnx", stem).items():
                    files.setdefault("onnx", {})[d] = {"file": str(path.relative_to(opts.out)), **onnx_io(path)}
        (opts.out / "labels.txt").write_text("".join(f"{names[i]}\n" for i in sorted(names)))
        ref_file = P.save_reference(opts.out, {"images": x}, {out_name: np.concatenate(ref)})
        parity = {
            "inputs": image_names,
            "onnx": figures,
            "coreml": "not run: CoreML predictions need macOS (run `verify` there)",
            "reference": ref_file,
        }
        manifest = {
            "task": task,
            **({"model": files["onnx"][opts.onnx[0]]["file"]} if opts.onnx else {}),
            **({"family": "ultralytics"} if task == "detect" else {"activation": "none"}),
            "labels": [names[i] for i in sorted(names)],  # inline (labels.txt is kept for other tools)
            "output": out_name,
            "input": {"name": "images", "width": w, "height": h},
            "conversion": conversion_block("yolo", opts, precision, files, parity, {"metadata": metadata}),
        }
        if task == "classify":
            manifest["input"].update({"resize": "shortest-edge-center-crop", "shortestEdge": h, "scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1]})
        write_manifest(opts.out, manifest)
        return manifest

    return with_fallback(opts, run)
