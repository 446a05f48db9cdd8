"""Named-query answers kept per store version: the aggregates (counts per country, SDG, region,
the theme tree) read every typed thing of the store, seconds at 10^6 triples, yet change only
when the store does. Each answer is kept under the store's ``version().token`` (one small query
on a remote store, so a write through any process changes it) and dropped with that version.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sized
from typing import TypeVar, cast

from cckg.core.store import Store

T = TypeVar("T")

MAX_ENTRIES = 512  # answers kept per store (named queries x parameters x pages)
MAX_ROWS = 200_000  # rows kept per store, all answers together (a few tens of MB)


class _Memo:
    def __init__(self) -> None:
        self.version: str | None = None
        self.entries: OrderedDict[str, tuple[int, object]] = OrderedDict()  # text -> (rows, value)
        self.rows = 0
        self.lock = threading.Lock()


_memos: weakref.WeakKeyDictionary[object, _Memo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo(store: Store) -> _Memo:
    with _memos_lock:
        memo = _memos.get(store)
        if memo is None:
            memo = _memos[store] = _Memo()
        return memo


def remembered(
    store: Store, key: str, compute: Callable[[], T], size: Callable[[T], int] | None = None
) -> T:
    """What ``compute()`` gives at the store's current version, computed once per version
    and ``key`` (the query text as sent: bindings and page included). Answers larger than
    ``MAX_ROWS`` are not kept (``size``: an answer's rows; default ``len``)."""
    version = store.version().token
    memo = _memo(store)
    with memo.lock:
        if memo.version != version:
            memo.version, memo.rows = version, 0
            memo.entries.clear()
        hit = memo.entries.get(key)
        if hit is not None:
            memo.entries.move_to_end(key)
            return hit[1]  # type: ignore[return-value]
    value = compute()
    rows = size(value) if size is not None else len(cast(Sized, value))
    with memo.lock:
        # Kept only if the version asked for is still the one held: a write meanwhile
        # (through this object) must not leave an answer of the old content behind.
        if memo.version == version and rows <= MAX_ROWS and key not in memo.entries:
            memo.entries[key] = (rows, value)
            memo.rows += rows
            while memo.entries and (len(memo.entries) > MAX_ENTRIES or memo.rows > MAX_ROWS):
                _, (dropped, _) = memo.entries.popitem(last=False)
                memo.rows -= dropped
    return value


def forget(store: Store) -> None:
    """Drop every answer kept for ``store`` (tests, benchmarks of the uncached path)."""
    with _memos_lock:
        _memos.pop(store, None)
