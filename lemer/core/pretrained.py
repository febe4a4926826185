"""Finding pretrained weights on this machine, hashing them, and where the project's caches live.

One resolver for every consumer of pretrained weights (the frozen encoders of cached features and LE-MER's
fine-tuning mode), so a missing model is described in one wording wherever it is needed. A name resolves,
in this order:
1. a local directory, as given;
2. `$LEMER_MODELS_DIR/<name>` (e.g. `$LEMER_MODELS_DIR/facebook/wav2vec2-base`);
3. a snapshot in the local Hugging Face cache (`$HF_HOME`), read with `local_files_only`;
4. only when `HF_HUB_OFFLINE` is unset or 0: a download from the Hugging Face hub (the one place the project
   ever contacts the hub; with `HF_HUB_OFFLINE=1`, as the tests and the demo set, it never does).
A folder is usable when it holds `config.json` and a weight file. `weights_hash` is the identity of the
weights a run used (part of its run id and of every feature-cache key): the sha256 of the weight files'
names and bytes, memoised under the cache directory by (path, size, mtime) so a warm run does not re-read them.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from lemer.core.atomic import write_bytes_atomic
from lemer.core.errors import InputError, LemerError

MODELS_DIR_ENV = "LEMER_MODELS_DIR"
CACHE_ENV = "LEMER_CACHE"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".msgpack", ".h5")


class PretrainedUnavailable(LemerError, RuntimeError):
    """Pretrained weights a model or encoder needs cannot be found on this machine (or fetched, when allowed)."""


class CacheNotAFolder(InputError):
    """The cache path (`--cache`, `cache_dir`, `$LEMER_CACHE`) is, or lies under, an existing file."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The project's cache directory: explicit argument > $LEMER_CACHE > the user cache dir / lemer-bench.

    Refused with `CacheNotAFolder` (one line naming it) when the path is, or lies under, an existing file: the
    commands call this before any corpus is read, so a `LEMER_CACHE` pointing at a file is not an OSError from a
    mkdir deep inside an hour of ASR or encoding.
    """
    if cache_dir is not None:
        root, source = Path(cache_dir), "--cache (cache_dir)"
    elif os.environ.get(CACHE_ENV):
        root, source = Path(os.environ[CACHE_ENV]), f"${CACHE_ENV}"
    else:
        import platformdirs  # small, but only needed when no cache folder is given

        root, source = Path(platformdirs.user_cache_dir("lemer-bench")), "the user cache dir"
    _check_folder(root, source)
    return root


def _check_folder(root: Path, source: str) -> None:
    for p in (root, *root.parents):
        if os.path.exists(p):
            if not p.is_dir():
                where = "is a file" if p == root else f"lies under {p}, a file"
                raise CacheNotAFolder(f"{root}: the cache folder given by {source} {where}, not a folder: point "
                                      f"--cache or ${CACHE_ENV} at a folder (new or existing), or move the file away")
            return


def how_to_provide(name: str) -> str:
    """The ways to make `name` available offline (the tail of every error about missing weights)."""
    return (f"point at a local copy (a folder with config.json and the weights: [encoders] or --text-encoder / "
            f"--speech-encoder for cached features, text_model / speech_model in [model_defaults] or "
            f"[model_config.<model>] for fine-tuning), or put it under ${MODELS_DIR_ENV}/{name}, or fill the "
            f"Hugging Face cache on a machine with network (`huggingface-cli download {name}`) and copy $HF_HOME here")


def hub_allowed() -> bool:
    """Whether step 4 (a hub download) may be tried: HF_HUB_OFFLINE unset, empty or 0/false."""
    return os.environ.get("HF_HUB_OFFLINE", "0") in ("", "0", "false", "False")


def resolve_pretrained(name: str, role: str = "pretrained model") -> Path:
    """A local directory holding `name`'s config and weights (see the module docstring for the order)."""
    p = Path(name).expanduser()
    if p.is_dir():
        return _checked(p.resolve(), name, role)
    if name.startswith((".", "/", "~")) or p.exists():
        raise PretrainedUnavailable(f"{role} path {name!r} is not a directory; give a folder holding config.json "
                                    "and the weight files (or a Hugging Face model name)")
    root = os.environ.get(MODELS_DIR_ENV)
    if root and (Path(root) / name).is_dir():
        return _checked((Path(root) / name).resolve(), name, role)
    from huggingface_hub import snapshot_download  # installed with transformers; imported only for hub names

    try:
        return _checked(Path(snapshot_download(name, local_files_only=True)), name, role)
    except PretrainedUnavailable:
        raise
    except Exception as e:  # noqa: BLE001 - any miss in the offline cache means the same thing here
        offline = e
    if hub_allowed():
        try:
            return _checked(Path(snapshot_download(name)), name, role)
        except PretrainedUnavailable:
            raise
        except Exception as e:  # noqa: BLE001 - no network, no such repository, no permission
            offline = e
    raise PretrainedUnavailable(f"{role} {name!r} is not available on this machine ({type(offline).__name__}"
                                f"{'' if hub_allowed() else '; HF_HUB_OFFLINE is set, so the hub was not asked'}); "
                                + how_to_provide(name)) from None


def _checked(path: Path, name: str, role: str) -> Path:
    if not (path / "config.json").is_file() or not _weight_files(path):
        local = name.startswith((".", "/", "~")) or Path(name).expanduser().exists()
        raise PretrainedUnavailable(f"{role} {name!r} at {path} lacks config.json or weights (weight files: "
                                    f"{', '.join(WEIGHT_SUFFIXES)}); "
                                    + ("copy the model's files there" if local else how_to_provide(name)))
    return path


def _weight_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix in WEIGHT_SUFFIXES)


def weights_hash(model_dir: Path) -> str:
    """sha256 over the weight files' names and bytes, memoised on disk by (path, size, mtime)."""
    files = _weight_files(model_dir)
    if not files:
        raise PretrainedUnavailable(f"no weight files ({', '.join(WEIGHT_SUFFIXES)}) in {model_dir}")
    stamp = [(str(f.relative_to(model_dir)), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    memo_key = hashlib.sha256(json.dumps([str(model_dir), stamp]).encode()).hexdigest()
    memo = cache_root() / "weights" / f"{memo_key}.json"
    try:
        return str(json.loads(memo.read_text())["sha256"])
    except (OSError, ValueError, KeyError):
        pass
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(model_dir)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
    digest = h.hexdigest()
    try:
        write_bytes_atomic(memo, json.dumps({"sha256": digest, "dir": str(model_dir)}).encode())
    except OSError:
        pass  # an unwritable cache only costs re-hashing next time
    return digest
