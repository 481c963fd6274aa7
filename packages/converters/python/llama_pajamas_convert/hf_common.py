"""Helpers for Hugging Face folders: loading, copying the non-weight files, reading configs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .common import source_error

# Files a runtime needs next to the converted weights (tokenizers, processor and model configs).
AUX_FILES = (
    "config.json",
    "preprocessor_config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "normalizer.json",
)


def hf_folder(path: Path, needs: tuple[str, ...] = ("config.json",)) -> dict:
    """Checks a local Hugging Face model folder and returns its config.json."""
    if not path.is_dir():
        raise source_error(f"Expected a Hugging Face model folder (config.json + weights) for --model, got {path}.", path=str(path))
    missing = [n for n in needs if not (path / n).exists()]
    if missing:
        raise source_error(f"{path} has no {', '.join(missing)}; a Hugging Face model folder needs it.", path=str(path), missing=missing)
    if not any((path / n).exists() for n in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")):
        raise source_error(f"{path} has no weights (model.safetensors or pytorch_model.bin).", path=str(path))
    try:
        return json.loads((path / "config.json").read_text())
    except json.JSONDecodeError as e:
        raise source_error(f"{path / 'config.json'} is not valid JSON ({e}).", path=str(path)) from e


def copy_aux(src: Path, dst: Path) -> list[str]:
    copied = []
    for name in AUX_FILES:
        if (src / name).exists():
            shutil.copyfile(src / name, dst / name)
            copied.append(name)
    return copied


def load_pretrained(cls, path: Path):
    try:
        m = cls.from_pretrained(str(path), attn_implementation="eager")
    except TypeError:
        m = cls.from_pretrained(str(path))
    except Exception as e:
        raise source_error(f"transformers could not load {path} as {cls.__name__} ({type(e).__name__}: {e}).", path=str(path)) from e
    return m.float().eval()
