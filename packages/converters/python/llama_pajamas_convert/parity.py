"""The parity gate: run the PyTorch source and the converted model on the same real inputs and compare."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from .common import ConvertError, progress

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
AUDIO_EXTS = {".wav"}

# Thresholds per task. FP16 and int8 results are compared with the FP32 PyTorch source.
THRESHOLDS = {
    # set from measurements (docs/converters.md): FP16 ONNX of a tiny YOLOv8 gave meanIoU 0.979, minIoU 0.926
    "detect": {"minMeanIoU": 0.95, "minIoU": 0.8, "maxScoreDelta": 0.02},
    "classify": {"minTop1Agreement": 1.0, "maxProbDelta": 0.02},
    "embed": {"minCosine": 0.999},
    "transcribe": {"minTokenAgreement": 0.95, "minEncoderCosine": 0.999},
}
INT8_THRESHOLDS = {
    "detect": {"minMeanIoU": 0.9, "minIoU": 0.5, "maxScoreDelta": 0.05},
    "classify": {"minTop1Agreement": 0.8, "maxProbDelta": 0.1},
    "embed": {"minCosine": 0.98},
    "transcribe": {"minTokenAgreement": 0.8, "minEncoderCosine": 0.98},
}


def collect_inputs(paths: list[Path], exts: set[str], what: str) -> list[Path]:
    """Expands folders into their files with the given extensions, sorted."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in exts)
        elif p.is_file():
            if p.suffix.lower() not in exts:
                raise ConvertError(
                    "ERR_RUN_CONVERTER_PARITY_INPUT",
                    f"Parity input {p} is not {what} ({', '.join(sorted(exts))}).",
                    path=str(p),
                )
            files.append(p)
        else:
            raise ConvertError("ERR_RUN_CONVERTER_PARITY_INPUT", f"Parity input {p} does not exist.", path=str(p))
    return files


def load_images(paths: list[Path], limit: int = 4):
    """Real photos when given, else a few generated ones (seeded gradients and shapes)."""
    from PIL import Image

    files = collect_inputs(paths, IMAGE_EXTS, "an image")[:limit]
    if files:
        return [Image.open(f).convert("RGB") for f in files], [str(f) for f in files]
    rng = np.random.default_rng(0)
    images = []
    for i in range(3):
        h, w = (480, 640) if i % 2 == 0 else (640, 480)
        y, x = np.mgrid[0:h, 0:w]
        img = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 127 // (w + h) + 64 * i)], -1).astype(np.uint8)
        for _ in range(6):
            cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(20, 120)
            img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.integers(0, 256, 3)
        images.append(Image.fromarray(img))
    return images, ["generated:0", "generated:1", "generated:2"]


def load_audio(paths: list[Path], limit: int = 2, seconds: float = 30.0):
    """16 kHz mono float32 clips: real WAV files when given, else a generated chirp with noise."""
    files = collect_inputs(paths, AUDIO_EXTS, "a WAV file")[:limit]
    clips, names = [], []
    for f in files:
        with wave.open(str(f), "rb") as w:
            sr, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            raw = w.readframes(min(n, int(sr * seconds)))
        if width != 2:
            raise ConvertError("ERR_RUN_CONVERTER_PARITY_INPUT", f"{f}: only 16-bit PCM WAV is read (got {8 * width}-bit).", path=str(f))
        a = np.frombuffer(raw, "<i2").astype(np.float32).reshape(-1, ch).mean(1) / 32768.0
        if sr != 16000:
            from scipy.signal import resample_poly

            g = np.gcd(sr, 16000)
            a = resample_poly(a, 16000 // g, sr // g).astype(np.float32)
        clips.append(a)
        names.append(str(f))
    if not clips:
        t = np.arange(int(16000 * 3)) / 16000
        rng = np.random.default_rng(0)
        clips = [(0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t) + 0.02 * rng.standard_normal(t.size)).astype(np.float32)]
        names = ["generated:chirp"]
    return clips, names


def box_iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of matching rows of two [N, 4] (cx, cy, w, h) arrays."""

    def corners(x):
        return x[:, 0] - x[:, 2] / 2, x[:, 1] - x[:, 3] / 2, x[:, 0] + x[:, 2] / 2, x[:, 1] + x[:, 3] / 2

    ax1, ay1, ax2, ay2 = corners(a)
    bx1, by1, bx2, by2 = corners(b)
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    inter = iw * ih
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / np.maximum(union, 1e-9)


def compare_detect(ref: list[np.ndarray], got: list[np.ndarray], top_k: int = 100) -> dict:
    """YOLO raw outputs [1, 4+nc, N]: for the source's top-k anchors, box IoU, score and class agreement."""
    ious, deltas, agree = [], [], []
    for r, g in zip(ref, got):
        r, g = r[0].astype(np.float64), g[0].astype(np.float64)
        rs, gs = r[4:].max(0), g[4:].max(0)
        idx = np.argsort(-rs)[:top_k]
        ious.append(box_iou_xywh(r[:4, idx].T, g[:4, idx].T))
        deltas.append(np.abs(rs[idx] - gs[idx]))
        agree.append(r[4:, idx].argmax(0) == g[4:, idx].argmax(0))
    iou = np.concatenate(ious)
    return {
        "inputs": len(ref),
        "anchorsCompared": int(iou.size),
        "meanIoU": float(iou.mean()),
        "minIoU": float(iou.min()),
        "maxScoreDelta": float(np.concatenate(deltas).max()),
        "classAgreement": float(np.concatenate(agree).mean()),
    }


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def compare_classify(ref_logits: list[np.ndarray], got_logits: list[np.ndarray], activation: str = "softmax") -> dict:
    """Top-1 agreement (over inputs whose top-2 margin is above the FP16 noise) and the largest probability delta."""
    act = softmax if activation == "softmax" else (lambda x: 1 / (1 + np.exp(-x)))
    r = np.concatenate([act(x.reshape(x.shape[0], -1).astype(np.float64)) for x in ref_logits])
    g = np.concatenate([act(x.reshape(x.shape[0], -1).astype(np.float64)) for x in got_logits])
    delta = np.abs(r - g).max(1)
    top2 = np.sort(r, 1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > 2 * delta
    agree = r.argmax(1) == g.argmax(1)
    return {
        "inputs": int(r.shape[0]),
        "top1Agreement": float(agree.mean()),
        "top1AgreementDecisive": float(agree[decisive].mean()) if decisive.any() else 1.0,
        "decisiveInputs": int(decisive.sum()),
        "maxProbDelta": float(delta.max()),
    }


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.reshape(a.shape[0], -1).astype(np.float64)
    b = b.reshape(b.shape[0], -1).astype(np.float64)
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)


def compare_embed(ref: list[np.ndarray], got: list[np.ndarray]) -> dict:
    cos = np.concatenate([cosine_rows(r, g) for r, g in zip(ref, got)])
    return {"inputs": int(cos.size), "minCosine": float(cos.min()), "meanCosine": float(cos.mean())}


OVERRIDES: dict[str, float] = {}  # --parity-threshold minCosine=0.9999 (same key in every task that has it)


def gate(task: str, figures: dict, quantized: bool, what: str) -> dict:
    """Checks figures against the task's thresholds; raises ERR_RUN_CONVERTER_PARITY_FAILED with them."""
    th = dict((INT8_THRESHOLDS if quantized else THRESHOLDS)[task])
    th.update({k: v for k, v in OVERRIDES.items() if k in th})
    failed = []
    for key, limit in th.items():
        # the figure is named like the threshold (maxScoreDelta, minIoU, minCosine) or without min (minMeanIoU -> meanIoU)
        name = key if key in figures else key[3].lower() + key[4:]
        value = figures.get(name)
        if task == "classify" and name == "top1Agreement":
            value = figures.get("top1AgreementDecisive")
        if value is None:
            continue
        ok = value >= limit if key.startswith("min") else value <= limit
        if not ok:
            failed.append(f"{name} {value:.4g} {'<' if key.startswith('min') else '>'} {limit}")
    result = {**figures, "thresholds": th, "passed": not failed}
    progress("parity", f"{what}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in figures.items()) + (" FAILED" if failed else " ok"))
    if failed:
        raise ConvertError(
            "ERR_RUN_CONVERTER_PARITY_FAILED",
            f"Parity gate failed for {what}: {'; '.join(failed)}.",
            task=task,
            figures=result,
        )
    return result


def _fmt(v: Any) -> str:
    return f"{v:.5g}" if isinstance(v, float) else str(v)


def save_reference(out: Path, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> str:
    """Keeps the parity inputs and the PyTorch outputs so the CoreML side can be checked on macOS later."""
    d = out / "parity"
    d.mkdir(exist_ok=True)
    np.savez_compressed(
        d / "reference.npz",
        **{f"input:{k}": v for k, v in inputs.items()},
        **{f"output:{k}": v for k, v in outputs.items()},
    )
    return "parity/reference.npz"
