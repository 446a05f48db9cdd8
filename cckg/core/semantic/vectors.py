"""The vector of every sentence, kept on disk by the hash of its text.

One file, ``vectors.npz``: the SHA-1 of each sentence (20 bytes) and its vector as float16
(half the size of float32; cosines change in the fourth decimal). A load of the store encodes
only sentences the file does not hold, and saves the file with exactly the sentences of the
current data, so it never grows beyond them. Written to a temporary file and renamed: a reader
sees the old or the new file, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cckg.core.semantic.encoder import DIMENSIONS
from cckg.core.store import Store

FILE = "vectors.npz"


def derived_dir(store: Store) -> Path | None:
    """Where data derived from ``store`` is kept: its own folder (embedded on disk); for a
    remote store ``CCKG_CACHE_DIR`` or ``var/cache`` under the current directory; None (in
    memory only) for an in-memory store."""
    own = store.cache_dir
    if own is not None:
        return own
    if store.location == "memory":
        return None
    return Path(os.environ.get("CCKG_CACHE_DIR") or Path.cwd() / "var" / "cache")


_caches: dict[tuple[Path | None, str], VectorCache] = {}
_caches_lock = threading.Lock()


def cache_for(store: Store, name: str = "sentences") -> VectorCache:
    """The process's vector cache ``name`` of ``store`` (shared by its loader and matcher).
    Only a store's own folder is pruned to the store's current sentences; a shared folder
    (remote stores, in memory) keeps what it has."""
    directory = derived_dir(store)
    key = (directory, name)
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            folder = directory / name if directory is not None else None
            cache = _caches[key] = VectorCache(folder, prune=store.cache_dir is not None)
        return cache


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()


def _key_rows(keys: np.ndarray) -> np.ndarray:
    """The keys as rows of 20 bytes. Files written before 2026-12-07 hold numpy strings
    (``S20``), whose elements lose a digest's trailing zero bytes; the array's own bytes keep
    them. Anything else is a damaged file (ValueError)."""
    if keys.dtype.kind == "S" and keys.dtype.itemsize == 20:
        keys = np.frombuffer(keys.tobytes(), dtype=np.uint8).reshape(-1, 20)
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != 20:
        raise ValueError(f"vector cache keys of shape {keys.shape} and type {keys.dtype}")
    return keys


class VectorCache:
    """Sentence hash -> vector, loaded from ``directory`` (None: in memory only)."""

    def __init__(self, directory: Path | None, prune: bool = False) -> None:
        self.directory = directory
        self.prune = prune
        self._vectors: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()
        self.loaded = 0
        if directory is not None and (directory / FILE).exists():
            try:
                with np.load(directory / FILE) as data:
                    keys, vectors = _key_rows(data["keys"]), data["vectors"]
                self._vectors = {k.tobytes(): v for k, v in zip(keys, vectors, strict=True)}
                self.loaded = len(self._vectors)
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged file is only a cache: encode again

    def get(self, keys: Sequence[bytes]) -> list[np.ndarray | None]:
        with self._lock:
            return [self._vectors.get(k) for k in keys]

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        with self._lock:
            for k, v in zip(keys, vectors, strict=True):
                self._vectors[k] = v.astype(np.float16)

    def save(self, keep: Iterable[bytes] | None = None) -> None:
        """Write the file (only the ``keep`` keys, when given and this cache prunes)."""
        if self.directory is None:
            return
        with self._lock:
            if keep is not None and self.prune:
                wanted = list(dict.fromkeys(keep))
                self._vectors = {k: self._vectors[k] for k in wanted if k in self._vectors}
            else:
                wanted = list(self._vectors)
            wanted = [k for k in wanted if k in self._vectors]
            # uint8 rows, not numpy bytes strings: those drop a digest's trailing zero bytes
            keys = (
                np.frombuffer(b"".join(wanted), dtype=np.uint8).reshape(-1, 20)
                if wanted
                else np.zeros((0, 20), dtype=np.uint8)
            )
            vectors = (
                np.stack([self._vectors[k] for k in wanted])
                if wanted
                else np.zeros((0, DIMENSIONS), dtype=np.float16)
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".npz.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=keys, vectors=vectors)
            os.replace(tmp, self.directory / FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return len(self._vectors)
