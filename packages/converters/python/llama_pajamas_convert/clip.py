"""CLIP (image and text towers) → two CoreML packages (+ ONNX with transformers.js names)."""

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
    onnx_variants,
    ort_session,
    parity_onnx,
    prepare_out,
    progress,
    with_fallback,
    write_manifest,
)
from .hf_common import copy_aux, hf_folder, load_pretrained

DEFAULT_TEXTS = ["a photo of a dog", "a photo of a cat", "a red bicycle leaning on a wall", "two people talking"]


def towers(model):
    import torch

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vision_model, self.proj = model.vision_model, model.visual_projection

        def forward(self, pixel_values):
            return self.proj(self.vision_model(pixel_values=pixel_values).pooler_output)

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.text_model, self.proj = model.text_model, model.text_projection

        def forward(self, input_ids):
            return self.proj(self.text_model(input_ids=input_ids).pooler_output)

    return Vision().eval(), Text().eval()


def read_texts(paths: list[Path]) -> list[str]:
    texts = []
    for p in paths:
        files = sorted(p.glob("*.txt")) if p.is_dir() else ([p] if p.suffix == ".txt" else [])
        for f in files:
            texts += [line.strip() for line in f.read_text().splitlines() if line.strip()]
    return texts[:8] or DEFAULT_TEXTS


def convert(opts: Options) -> dict:
    import coremltools as ct
    import torch
    from transformers import AutoProcessor, AutoTokenizer, CLIPModel

    config = hf_folder(opts.source, ("config.json", "preprocessor_config.json", "tokenizer.json"))
    progress("load", f"loading CLIP from {opts.source}")
    model = load_pretrained(CLIPModel, opts.source)
    processor = AutoProcessor.from_pretrained(str(opts.source))
    tokenizer = AutoTokenizer.from_pretrained(str(opts.source))
    vision, text = towers(model)
    images, image_names = P.load_images([p for p in opts.parity_inputs if p.suffix != ".txt"])
    texts = read_texts(opts.parity_inputs)
    x = processor(images=images, return_tensors="np")["pixel_values"].astype(np.float32)
    _, c, h, w = x.shape
    max_len = int(model.config.text_config.max_position_embeddings)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = [tokenizer(t, truncation=True, max_length=max_len)["input_ids"] for t in texts]
    if any(len(i) > max_len for i in ids):
        raise ConvertError("ERR_RUN_CONVERTER_PARITY_INPUT", f"A parity text is longer than {max_len} tokens.")
    padded = np.full((len(ids), max_len), pad_id, dtype=np.int64)
    for r, i in enumerate(ids):
        padded[r, : len(i)] = i
    with torch.no_grad():
        ref_img = [vision(torch.from_numpy(x[i : i + 1])).numpy() for i in range(len(x))]
        ref_txt = [text(torch.tensor([i])).numpy() for i in ids]  # unpadded: padding must not change the result
    stem_v, stem_t = "vision_model", "text_model"
    metadata = {"task": "embed", "model_type": "clip", "max_text_length": str(max_len), "pad_token_id": str(pad_id)}

    def run(precision: str) -> dict:
        quantize = opts.quantize if precision == opts.precision else None
        prepare_out(opts.out, opts.overwrite or precision != opts.precision)
        files: dict = {"coreml": {}}
        progress("coreml", f"converting the image tower ({precision}{', ' + quantize if quantize else ''})")
        mv = coreml_convert(vision, (torch.from_numpy(x[:1]),),
                            inputs=[ct.TensorType(name="pixel_values", shape=(1, c, h, w), dtype=np.float32)],
                            outputs=[ct.TensorType(name="image_embeds", dtype=np.float32)], precision=precision)
        progress("coreml", "converting the text tower")
        mt = coreml_convert(text, (torch.from_numpy(padded[:1]),),
                            inputs=[ct.TensorType(name="input_ids", shape=(1, max_len), dtype=np.int32)],
                            outputs=[ct.TensorType(name="text_embeds", dtype=np.float32)], precision=precision)
        for stem, ml, what in ((stem_v, mv, f"CLIP image tower, pixel_values [1,{c},{h},{w}]"),
                               (stem_t, mt, f"CLIP text tower, input_ids [1,{max_len}] padded with {pad_id}")):
            if quantize:
                progress("compress", f"compressing {stem} weights ({quantize})")
                ml = coreml_compress(ml, quantize, opts.min_weight_size)
            pkg = opts.out / f"{stem}{coreml_suffix(precision, quantize)}.mlpackage"
            files["coreml"][stem] = {"file": pkg.name, "precision": precision, "quantize": quantize, **coreml_save(ml, pkg, metadata, what)}
        figures = {}
        with tempfile.TemporaryDirectory(prefix="lp-clip-onnx-") as tmp:
            progress("onnx", "exporting ONNX from the same modules")
            fv, ft = Path(tmp) / f"{stem_v}.onnx", Path(tmp) / f"{stem_t}.onnx"
            onnx_export(vision, (torch.from_numpy(x[:1]),), fv, ["pixel_values"], ["image_embeds"],
                        {"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}})
            onnx_export(text, (torch.from_numpy(padded[:1]),), ft, ["input_ids"], ["text_embeds"],
                        {"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"}})
            for stem, fp32, feed, ref, name in ((stem_v, fv, x, ref_img, "image"), (stem_t, ft, padded, ref_txt, "text")):
                made = onnx_variants(fp32, [d for d in opts.onnx if d != "fp32"])
                proxy, label, q8 = parity_onnx(fp32, precision, quantize, made)
                progress("parity", f"running PyTorch and {label} on {len(feed)} {name} input(s)")
                sess = ort_session(proxy)
                key = sess.get_inputs()[0].name
                got = [sess.run(None, {key: feed[i : i + 1]})[0] for i in range(len(feed))]
                figures[name] = P.gate("embed", P.compare_embed(ref, got), q8, f"{label} {name} tower")
                if opts.onnx:
                    for d, path in keep_onnx(made, opts.onnx, opts.out / "onnx", stem).items():
                        files.setdefault("onnx", {}).setdefault(stem, {})[d] = {"file": str(path.relative_to(opts.out)), **onnx_io(path)}
        copy_aux(opts.source, opts.out)
        ref_file = P.save_reference(opts.out, {"pixel_values": x, "input_ids": padded.astype(np.int32)},
                                    {"image_embeds": np.concatenate(ref_img), "text_embeds": np.concatenate(ref_txt)})
        parity = {"inputs": image_names, "texts": texts, "onnx": figures,
                  "coreml": "not run: CoreML predictions need macOS (run `verify` there)", "reference": ref_file}
        manifest = {
            "task": "zero-shot",
            "conversion": conversion_block("clip", opts, precision, files, parity,
                                           {"maxTextLength": max_len, "padTokenId": pad_id}),
        }
        write_manifest(opts.out, manifest)
        return manifest

    return with_fallback(opts, run)
