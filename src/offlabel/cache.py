"""Results kept on disk, keyed by the content they were computed from.

`ask` spends most of its time on work whose inputs rarely change: parsing the bundled evidence
files and appraising a question from them. Both are cached here under a key that covers every
input: the files' content, offlabel's own source code and the versions of the libraries that
compute, so an edited evidence file, a changed rule or an upgraded scipy is never answered from
an old result. Entries are pickles written whole (a temporary file renamed into place); a
missing, stale or unreadable entry only means the work is done again. OFFLABEL_NO_CACHE turns
caching off; OFFLABEL_CACHE_DIR moves it (docs/sources.md).

This module imports nothing of ours, so every layer may use it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from functools import cache
from pathlib import Path

__all__ = ["cache_dir", "code_digest", "load", "save"]


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is switched off."""
    if os.environ.get("OFFLABEL_NO_CACHE"):
        return None
    custom = os.environ.get("OFFLABEL_CACHE_DIR")
    if custom:
        return Path(custom)
    import platformdirs

    return Path(platformdirs.user_cache_dir("offlabel"))


@cache
def code_digest() -> str:
    """A digest of offlabel's source and the library versions that shape its results."""
    from importlib.util import find_spec

    h = hashlib.sha256(sys.version.encode())
    # An upgraded library rewrites its files: their place, size and time stand for its version
    # (importlib.metadata would cost `ask` a tenth of a second).
    for name in ("pydantic", "pydantic_core", "numpy", "scipy", "yaml"):
        spec = find_spec(name)
        if spec is not None and spec.origin:
            st = os.stat(spec.origin)
            h.update(f"{name}:{spec.origin}:{st.st_size}:{st.st_mtime_ns}".encode())
    root = Path(__file__).parent
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".j2") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _path(kind: str, key: bytes) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(code_digest().encode() + b"\0" + key).hexdigest()[:32]
    return folder / f"{kind}-{digest}.pickle"


def load(kind: str, key: bytes) -> object | None:
    """The object saved under (kind, key) by this very code, or None."""
    path = _path(kind, key)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            obj: object = pickle.load(fh)  # our own file, keyed by our own code
        return obj
    except Exception:  # a stale or broken entry is only a slower start
        return None


def save(kind: str, key: bytes, obj: object) -> None:
    """Keep obj under (kind, key); silently nothing when the folder cannot be written."""
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.part")
        with tmp.open("wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # whole or not at all, even with two processes writing
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return
