"""Python huggingface_hub on the other side of the cache, for test/python-cache.test.ts.

  python hf_cache.py read  <repo> <revision> <file>...   # offline: what our pull wrote, via local_files_only
  python hf_cache.py write <repo> <revision> <file>...   # online against HF_ENDPOINT (the hub double)

Prints one JSON object: {"files": {path: {"path": local path, "sha256": hex}}, "snapshot": folder}.
"""
import hashlib
import json
import sys

from huggingface_hub import hf_hub_download, snapshot_download


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    mode, repo, revision, *files = sys.argv[1:]
    offline = mode == "read"
    out = {"files": {}}
    for name in files:
        path = hf_hub_download(repo, name, revision=revision, local_files_only=offline)
        out["files"][name] = {"path": path, "sha256": sha256(path)}
    out["snapshot"] = snapshot_download(repo, revision=revision, allow_patterns=files, local_files_only=offline)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
