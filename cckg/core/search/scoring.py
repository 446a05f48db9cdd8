"""The lexical score of a query for every document: BM25 per field and per query word, the
best theme, phrases, names, and how many of the query's words a document holds.

- Each query word stands for its variants (``analysis``) and, when no field knows any of
  them, for the index's words one typo away (``lexical.LexicalIndex.fuzzy``).
- Fields are weighted (``Ranking.weights``); two neighbouring query words found side by side
  in a title, body or theme label add their phrase BM25 (``Ranking.phrase``).
- Themes: BM25 over the themes' labels (one row per theme, in six languages) gives each theme
  a score; a document counts its best theme (a broader one's at ``Ranking.broader_themes``).
- Translation: a query word that the titles and bodies do not know (most documents are in
  English) but a theme label does ("movilidad") also searches the English preferred label of
  that theme ("Mobility and transport"), at ``Ranking.translate``.
- Coordination: the sum is multiplied by (words found / query words) ** ``Ranking.coord``,
  so a document holding every query word comes before one holding a common word many times.
- Names: a query that is exactly one of a document's names (an alias, an acronym) adds
  ``Ranking.exact``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from cckg.core.search import analysis
from cckg.core.search.analysis import QueryWord
from cckg.core.search.documents import Document, Vocabulary
from cckg.core.search.lexical import LexicalIndex
from cckg.core.search.ranking import DOC_FIELDS, PHRASE_FIELDS, Ranking

TEXT_FIELDS = ("title", "body")
NAME_FIELDS = ("title", "names")
# Scores summed per row (a Counter would do, but its type allows int counts only).
Sums = defaultdict[int, float]


def _add(into: Sums, scores: Mapping[int, float]) -> None:
    for row, s in scores.items():
        into[row] += s


class LexicalScorer:
    """Scores queries against the documents' BM25 tables and the themes' table."""

    def __init__(
        self,
        docs: Sequence[Document],
        vocab: Vocabulary,
        fields: LexicalIndex,
        themes: LexicalIndex,
        theme_order: Sequence[str],
    ) -> None:
        self.docs = list(docs)
        self.vocab = vocab
        self.fields = fields
        self.themes = themes
        self.theme_order = list(theme_order)
        self._theme_row = {t: i for i, t in enumerate(self.theme_order)}
        self._doc_themes = [self._rows_of(d.themes) for d in self.docs]
        self._doc_broader = [
            self._rows_of({b for t in d.themes for b in vocab.with_broader(t)} - set(d.themes))
            for d in self.docs
        ]
        self._english = {
            row: analysis.analysed(vocab.labels[theme]["en"], "en")[0]
            for row, theme in enumerate(self.theme_order)
            if "en" in vocab.labels.get(theme, {})
        }
        self._names: dict[str, list[int]] = defaultdict(list)
        for row, doc in enumerate(self.docs):
            for name in {*doc.labels.values(), *doc.names}:
                self._names[exact_key(name)].append(row)

    def _rows_of(self, themes: Iterable[str]) -> list[int]:
        return [self._theme_row[t] for t in themes if t in self._theme_row]

    def fuzzy(self, word: QueryWord) -> set[str]:
        """Index words one typo away, for a word no field or theme label knows."""
        if any(self.fields.knows(v) or self.themes.knows(v) for v in word.variants):
            return set()
        return self.fields.fuzzy(word.variants[0]) | self.themes.fuzzy(word.variants[0])

    def scores(
        self, q: str, qwords: Sequence[QueryWord], ranking: Ranking
    ) -> tuple[dict[int, float], set[int]]:
        """Document row -> lexical score (rows without any evidence left out), and the rows
        whose own names (title, other names) hold every query word."""
        groups = [set(w.variants) | self.fuzzy(w) for w in qwords]
        total: Sums = defaultdict(float)
        found: dict[int, set[int]] = defaultdict(set)  # the query words each row holds
        by_theme: Sums = defaultdict(float)
        theme_words: list[set[int]] = []
        in_names: dict[int, set[int]] = defaultdict(set)
        for i, group in enumerate(groups):
            per_row, themes = self._word(group, ranking, in_names, i)
            _add(total, per_row)
            _add(by_theme, themes)
            theme_words.append(set(themes))
            for row in per_row:
                found[row].add(i)
        named = {row for row, words in in_names.items() if len(words) == len(groups)}
        self._phrases(groups, ranking, total, by_theme)
        self._add_themes(ranking, total, found, by_theme, theme_words)
        if ranking.exact:
            for row in self._names.get(exact_key(q), ()):
                total[row] += ranking.exact
                found[row].update(range(len(groups)))
                named.add(row)
        if ranking.coord and groups:
            for row in total:
                total[row] *= (len(found[row]) / len(groups)) ** ranking.coord
        return {row: s for row, s in total.items() if s > 0}, named

    def _word(
        self, group: set[str], ranking: Ranking, in_names: dict[int, set[int]], i: int
    ) -> tuple[Sums, dict[int, float]]:
        """One query word: its weighted BM25 per document row, and per theme row."""
        per_row: Sums = defaultdict(float)
        for name in DOC_FIELDS:
            weight = ranking.weights.get(name, 0.0)
            if weight:
                found = self.fields.scores(name, group)
                for row, s in found.items():
                    per_row[row] += weight * s
                if name in NAME_FIELDS:
                    for row in found:
                        in_names[row].add(i)
        themes = self.themes.scores("themes", group)
        if ranking.translate and themes and not any(self._in_text(t) for t in group):
            best = max(themes, key=lambda r: themes[r])
            english = self._english.get(best, [])
            for name in TEXT_FIELDS:
                weight = ranking.translate * ranking.weights.get(name, 0.0)
                for row, s in self.fields.scores(name, english).items():
                    per_row[row] += weight * s
        return per_row, themes

    def _in_text(self, term: str) -> bool:
        return any(self.fields.field_has(name, term) for name in TEXT_FIELDS)

    def _phrases(
        self, groups: list[set[str]], ranking: Ranking, total: Sums, by_theme: Sums
    ) -> None:
        pairs = list(zip(groups, groups[1:], strict=False))
        if not pairs or not ranking.phrase:
            return
        for name in PHRASE_FIELDS:
            weight = ranking.phrase * ranking.weights.get(name, 0.0)
            for row, s in self.fields.phrase_scores(name, pairs).items():
                total[row] += weight * s
        for row, s in self.themes.phrase_scores("themes", pairs).items():
            by_theme[row] += ranking.phrase * s

    def _add_themes(
        self,
        ranking: Ranking,
        total: Sums,
        found: dict[int, set[int]],
        by_theme: Sums,
        theme_words: list[set[int]],
    ) -> None:
        """Each document's best theme (weighted), and the query words its themes hold."""
        weight = ranking.weights.get("themes", 0.0)
        if not weight or not by_theme:
            return
        for row, own in enumerate(self._doc_themes):
            best = max((by_theme.get(t, 0.0) for t in own), default=0.0)
            if ranking.broader_themes:
                up = self._doc_broader[row]
                best = max([best, *(ranking.broader_themes * by_theme.get(t, 0.0) for t in up)])
            if best <= 0:
                continue
            total[row] += weight * best
            found[row].update(
                i for i, rows in enumerate(theme_words) if any(t in rows for t in own)
            )


def exact_key(text: str) -> str:
    """A name folded word by word: what "the query is exactly this name" compares."""
    return " ".join(analysis.fold(w.text) for w in analysis.words(text))
