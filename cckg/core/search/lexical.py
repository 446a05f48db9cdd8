"""BM25 over the search documents' fields, by SQLite FTS5 (in the standard library).

Each field (title, names, body, themes, places, institutions) is one in-memory FTS5 table, so
each has its own term statistics: a rare word weighs more than a common one *in that field*
(BM25's idf), and a long alias list does not make a short title look long. Texts arrive
already analysed (``analysis``: per-language stems, folded names), and every distinct term
goes to FTS5 as a short ASCII token ("t1f"), so FTS5's own tokenizer cannot split a term
differently. Phrases (two neighbouring query words) are FTS5 phrase queries.

Words no field holds are looked up among the index's words at one edit (insert, delete,
change or swap of a letter; SymSpell-style deletion neighbourhoods), so "efficency" finds
"efficiency" and "resiudos" "residuos".
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence

FUZZY_MIN_LENGTH = 5  # shorter words are left as they are: one edit changes them too much
MAX_PHRASES = 32  # variant combinations per phrase query


class LexicalIndex:
    """In-memory FTS5 tables, one per field; rows are document numbers."""

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}  # term -> FTS5 token
        self._rows: dict[str, list[tuple[int, str]]] = {f: [] for f in self.fields}
        self._surface: dict[str, set[str]] = defaultdict(set)  # folded word -> its terms
        self._field_terms: dict[str, set[str]] = {f: set() for f in self.fields}
        self._deletes: dict[str, set[str]] = {}
        for f in self.fields:
            self._db.execute(f"CREATE VIRTUAL TABLE f_{f} USING fts5(t, tokenize='ascii')")

    def _token(self, term: str) -> str:
        token = self._ids.get(term)
        if token is None:
            token = self._ids[term] = f"t{len(self._ids):x}"
        return token

    def add(self, row: int, field: str, terms: Sequence[str], surface: Iterable[str] = ()) -> None:
        """Index the ``terms`` of one field of document ``row``; ``surface``: the folded
        words they came from, in the same order (for typo lookups), when they differ."""
        if not terms:
            return
        self._rows[field].append((row, " ".join(self._token(t) for t in terms)))
        self._field_terms[field].update(terms)
        for word, term in zip(surface or terms, terms, strict=True):
            self._surface[word].add(term)

    def finish(self) -> None:
        """Write the rows and build the typo neighbourhoods (once, after every ``add``)."""
        with self._lock:
            for f, rows in self._rows.items():
                insert = f"INSERT INTO f_{f}(rowid, t) VALUES (?, ?)"  # noqa: S608 (our field names)
                self._db.executemany(insert, rows)
            self._db.commit()
        self._rows = {}
        deletes: dict[str, set[str]] = defaultdict(set)
        for word in self._surface:
            if len(word) >= FUZZY_MIN_LENGTH:
                for d in _deletes(word):
                    deletes[d].add(word)
        self._deletes = dict(deletes)

    def knows(self, term: str) -> bool:
        return term in self._ids

    def field_has(self, field: str, term: str) -> bool:
        return term in self._field_terms[field]

    def fuzzy(self, word: str) -> set[str]:
        """Terms of the index's words one edit away from the folded ``word``."""
        if len(word) < FUZZY_MIN_LENGTH or word in self._surface:
            return set()
        near: set[str] = set()
        for key in (word, *_deletes(word)):
            near |= self._deletes.get(key, set())
            if key in self._surface and key != word:
                near.add(key)
        return {t for w in near if _one_edit(word, w) for t in self._surface[w]}

    def scores(self, field: str, terms: Iterable[str]) -> dict[int, float]:
        """BM25 of every row of ``field`` holding any of ``terms`` (FTS5: k1 = 1.2, b = 0.75)."""
        tokens = sorted({self._ids[t] for t in terms if t in self._ids})
        if not tokens:
            return {}
        return self._match(field, " OR ".join(tokens))

    def phrase_scores(
        self, field: str, phrases: Iterable[Sequence[Iterable[str]]]
    ) -> dict[int, float]:
        """BM25 of the rows holding any of ``phrases`` (each a sequence of positions, each
        position the alternatives for one word), words next to each other."""
        alternatives: list[str] = []
        for phrase in phrases:
            combos: list[list[str]] = [[]]
            for position in phrase:
                tokens = [self._ids[t] for t in position if t in self._ids]
                combos = [c + [t] for c in combos for t in tokens][:MAX_PHRASES]
            alternatives.extend('"' + " ".join(c) + '"' for c in combos if c)
        if not alternatives:
            return {}
        return self._match(field, " OR ".join(sorted(set(alternatives))))

    def _match(self, field: str, expression: str) -> dict[int, float]:
        sql = f"SELECT rowid, -bm25(f_{field}) FROM f_{field} WHERE f_{field} MATCH ?"  # noqa: S608 (field names are ours)
        with self._lock:
            return dict(self._db.execute(sql, (expression,)).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (one insert, delete, change or swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]
