"""Hugging Face image classifiers (ViT, MobileNetV2, ResNet, ConvNeXt …) → CoreML (+ ONNX, Optimum file names)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from . import parity as P
from .common import (
    Options,
    coreml_compress,
    coreml_convert,
    coreml_save,
    coreml_suffix,
    conversion_block,
    keep_onnx,
    onnx_export,
    onnx_io,
    onnx_variants,
    ort_session,
    parity_onnx,
    prepare_out,
    progress,
    with_fallback,
    write_manifest,
)
from .hf_common import copy_aux, hf_folder, load_pretrained


class Logits:
    """pixel_values → logits, the module both runtimes are made from."""

    @staticmethod
    def wrap(model):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, pixel_values):
                return self.model(pixel_values=pixel_values).logits

        return Wrapper().eval()


def convert(opts: Options) -> dict:
    import coremltools as ct
    import torch
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    config = hf_folder(opts.source, ("config.json", "preprocessor_config.json"))
    progress("load", f"loading {config.get('model_type', '?')} classifier from {opts.source}")
    model = load_pretrained(AutoModelForImageClassification, opts.source)
    processor = AutoImageProcessor.from_pretrained(str(opts.source))
    wrapper = Logits.wrap(model)
    images, image_names = P.load_images(opts.parity_inputs)
    x = processor(images=images, return_tensors="np")["pixel_values"].astype(np.float32)
    _, c, h, w = x.shape
    with torch.no_grad():
        ref = [wrapper(torch.from_numpy(x[i : i + 1])).numpy() for i in range(len(x))]
    activation = "sigmoid" if config.get("problem_type") == "multi_label_classification" else "softmax"
    id2label = config.get("id2label") or {}
    labels = [id2label.get(str(i), str(i)) for i in range(ref[0].shape[-1])]
    stem = opts.family_args.get("stem") or "model"
    metadata = {"task": "classify", "labels": "\n".join(labels), "model_type": str(config.get("model_type"))}

    def run(precision: str) -> dict:
        quantize = opts.quantize if precision == opts.precision else None
        prepare_out(opts.out, opts.overwrite or precision != opts.precision)
        progress("coreml", f"converting to a CoreML ML Program ({precision}{', ' + quantize if quantize else ''})")
        ml = coreml_convert(
            wrapper,
            (torch.from_numpy(x[:1]),),
            inputs=[ct.TensorType(name="pixel_values", shape=(1, c, h, w), dtype=np.float32)],
            outputs=[ct.TensorType(name="logits", dtype=np.float32)],
            precision=precision,
        )
        if quantize:
            progress("compress", f"compressing weights ({quantize})")
            ml = coreml_compress(ml, quantize, opts.min_weight_size)
        pkg = opts.out / f"{stem}{coreml_suffix(precision, quantize)}.mlpackage"
        io = coreml_save(ml, pkg, metadata, f"{config.get('model_type')} image classifier, pixel_values [1,{c},{h},{w}]")
        files = {"coreml": {"file": pkg.name, "precision": precision, "quantize": quantize, **io}}
        with tempfile.TemporaryDirectory(prefix="lp-cls-onnx-") as tmp:
            progress("onnx", "exporting ONNX from the same module")
            fp32 = Path(tmp) / f"{stem}.onnx"
            onnx_export(wrapper, (torch.from_numpy(x[:1]),), fp32, ["pixel_values"], ["logits"],
                        {"pixel_values": {0: "batch_size"}, "logits": {0: "batch_size"}})
            made = onnx_variants(fp32, [d for d in opts.onnx if d != "fp32"])
            proxy, label, q8 = parity_onnx(fp32, precision, quantize, made)
            progress("parity", f"running PyTorch and {label} on {len(x)} input(s)")
            sess = ort_session(proxy)
            got = [sess.run(None, {"pixel_values": x[i : i + 1]})[0] for i in range(len(x))]
            figures = P.gate("classify", P.compare_classify(ref, got, activation), q8, label)
            if opts.onnx:
                for d, path in keep_onnx(made, opts.onnx, opts.out / "onnx", stem).items():
                    files.setdefault("onnx", {})[d] = {"file": str(path.relative_to(opts.out)), **onnx_io(path)}
        copy_aux(opts.source, opts.out)
        (opts.out / "labels.txt").write_text("".join(f"{l}\n" for l in labels))
        ref_file = P.save_reference(opts.out, {"pixel_values": x}, {"logits": np.concatenate(ref)})
        parity = {"inputs": image_names, "onnx": figures, "coreml": "not run: CoreML predictions need macOS (run `verify` there)", "reference": ref_file}
        manifest = {
            "task": "classify",
            **({"model": files["onnx"][opts.onnx[0]]["file"]} if opts.onnx else {}),
            "labels": labels,  # inline: the loader resolves label files next to the model file, not the manifest
            "output": "logits",
            "activation": activation,
            # completed by the TypeScript side from preprocessor_config.json with run-core's hfPreprocessSpec
            "input": {"name": "pixel_values", "width": w, "height": h},
            "conversion": conversion_block("hf-classifier", opts, precision, files, parity, {"inputFrom": "preprocessor_config.json"}),
        }
        write_manifest(opts.out, manifest)
        return manifest

    return with_fallback(opts, run)
