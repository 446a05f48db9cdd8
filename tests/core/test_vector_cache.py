"""The sentence vector cache on disk (``cckg.core.semantic.vectors``): what one process saves
the next loads, whatever bytes a key ends with, also from files of the earlier format."""

from __future__ import annotations

import numpy as np

from cckg.core.semantic.encoder import DIMENSIONS
from cckg.core.semantic.vectors import FILE, VectorCache, text_key

# A digest that ends in zero bytes: numpy strings drop those.
ZERO_TAIL = b"\x01" * 17 + b"\x00\x00\x00"


def _vectors(n: int) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((n, DIMENSIONS)).astype(np.float32)


def test_saved_vectors_load_again_with_their_keys(tmp_path):
    keys = [text_key("Composting in Amman."), ZERO_TAIL, text_key("Bus lanes.")]
    vectors = _vectors(3)
    cache = VectorCache(tmp_path)
    cache.put(keys, vectors)
    cache.save()
    again = VectorCache(tmp_path)
    assert again.loaded == 3
    got = again.get(keys)
    for v, want in zip(got, vectors, strict=True):
        assert v is not None and np.allclose(v, want, atol=1e-2)


def test_a_file_of_numpy_string_keys_loads_and_saves_again(tmp_path):
    """Files written before the keys were byte rows hold ``S20`` strings: they load with
    every key whole (a trailing zero byte included), and the next save writes them anew,
    where it used to stop the matcher's warm-up with a ValueError."""
    keys = [text_key("Waste sorting."), ZERO_TAIL]
    vectors = _vectors(2).astype(np.float16)
    np.savez(tmp_path / FILE, keys=np.array(keys, dtype="S20"), vectors=vectors)
    cache = VectorCache(tmp_path, prune=True)
    assert cache.loaded == 2
    assert all(v is not None for v in cache.get(keys))
    cache.save(keep=keys)
    with np.load(tmp_path / FILE) as data:
        assert data["keys"].dtype == np.uint8 and data["keys"].shape == (2, 20)
        assert {bytes(row) for row in data["keys"]} == set(keys)


def test_a_damaged_file_is_only_a_cache(tmp_path):
    np.savez(tmp_path / FILE, keys=np.zeros((2, 7), dtype=np.uint8), vectors=_vectors(2))
    cache = VectorCache(tmp_path)
    assert cache.loaded == 0 and cache.get([ZERO_TAIL]) == [None]
