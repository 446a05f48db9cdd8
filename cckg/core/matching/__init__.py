"""Matching: from a city's need to ranked solutions, institutions, practitioners and cities,
each with the reasons that put it there.

Where the work happens:

- ``cckg.core.text_analysis`` reads the need's free text (themes and words; population,
  country and city through ``text_mentions``) into RDF terms and numbers.
  It never touches the store beyond the theme labels.
- SPARQL in ``queries/match/*.rq`` retrieves the candidates and computes every fact the
  ranking weighs (theme relations in the SKOS scheme, status, outcomes, events, offers,
  places, populations, languages). Retrieval starts from the need's themes, never from the
  ~34,000 cities, so it is fast on the full graph and runs unchanged on a remote store.
- On a large store, where a popular theme has thousands of holders, a pre-ranking on a few
  facts of every holder (kept per store version in ``StoreCache``) chooses the few whose full
  facts are read and scored: the work per match then grows with the results asked for, not
  with the store.
- The score combines those facts with the weights of one table, ``Weights`` (documented in
  ``docs/matching.md``), keeps results from crowding into one city, and writes each result's
  reasons: one short sentence for every factor that scored.

The modules, each importing only those above it:

- ``model``: requests, responses, results, reasons, ``Weights``, ``MatchError``, the records
  of one match (``Candidate``, ``Holder``, ``Place``, ``CountryInfo``, ``StoreCache``, ``Job``);
- ``queries``: running ``queries/match/*.rq`` (``run``, ``with_rows``) and reading its values;
- ``factors``: the factor formulas, shared by the pre-ranking and the score;
- ``reasons``: the reasons' wording, message ids with English templates;
- ``cached_reads``: the store reads kept per store version;
- ``shortlist``: which theme holders are scored (the pre-ranking of a large store);
- ``retrieval``: the candidates and their facts;
- ``scoring``: score, reasons and diversity;
- ``matcher``: ``Matcher``, the entry point.
"""

from __future__ import annotations

from cckg.core.matching.matcher import Matcher, match
from cckg.core.matching.model import (
    DEFAULT_WEIGHTS,
    KINDS,
    MAX_LIMIT,
    MatchError,
    MatchRequest,
    MatchResponse,
    MatchResult,
    Reason,
    StoreCache,
    Weights,
)
from cckg.core.matching.queries import query_text, run, with_rows

__all__ = [
    "DEFAULT_WEIGHTS",
    "KINDS",
    "MAX_LIMIT",
    "MatchError",
    "MatchRequest",
    "MatchResponse",
    "MatchResult",
    "Matcher",
    "Reason",
    "StoreCache",
    "Weights",
    "match",
    "query_text",
    "run",
    "with_rows",
]
