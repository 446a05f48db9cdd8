"""The wording of the reasons: every sentence is a message id with named parameters, and
``MESSAGES`` holds its English template, translated through the one catalogue
(``cckg.core.i18n``): a reason is rendered in the reader's language from its ``Reason.id`` and
``Reason.params`` (:func:`localise`).

Parameters are plain strings and numbers, or values rendered by their own rule: ``Message``
(a nested message: a verb, a status, a period), ``Language`` (a language's name from its
code), ``Population`` (300000 -> "300k") and tuples of these (joined with ", "). Fragments
that are appended to a sentence start with their own space (" with measured outcomes").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import pycountry

from cckg.core import i18n
from cckg.core.i18n import N_
from cckg.core.matching.model import Reason

MESSAGES: dict[str, str] = {
    # --- theme: "{verb} ..." with the verb of the candidate's kind
    "verb.solution": N_("implements"),
    "verb.institution": N_("works on"),
    "verb.practitioner": N_("has practical experience in"),
    "verb.city": N_("has worked on"),
    "verb.need": N_("asks for"),
    "emphasis": N_("“{text}”"),
    "quote": N_("“{text}”"),
    "theme.exact": N_("{verb} {what} (exact theme)"),
    "theme.narrower": N_("{verb} “{theme}”, a narrower theme of {what}"),
    "theme.broader": N_("{verb} “{theme}”, the broader theme of {what}"),
    "theme.related": N_("{verb} “{theme}”, related to {what}"),
    "words.description": N_("its description mentions {words}"),
    "words.solution": N_("“{title}” mentions {words}"),
    "semantic.same_thing": N_("your need and “{sentence}” say the same thing"),
    # --- proof: a solution's record, "{stage}{outcomes}{evidence}"
    "status.1": N_("idea"),
    "status.2": N_("pilot"),
    "status.3": N_("implemented"),
    "status.4": N_("scaled"),
    "period.range": N_("{start}–{end}"),
    "period.year": N_("{start}"),
    "period.since": N_("since {start}"),
    "proof.stage": N_("{status} {period}"),
    "proof.record": N_("{stage}{outcomes}{evidence}"),
    "proof.outcomes.measured": N_(" with measured outcomes"),
    "proof.outcomes.documented": N_(" with documented outcomes"),
    "proof.thin": N_(" (thin evidence)"),
    "proof.via.home": N_("home of “{title}”: {record}"),
    "proof.via.advised": N_("advised on “{title}”: {record}"),
    "proof.via.behind": N_("behind “{title}”: {record}"),
    "proof.via.offers": N_("offers know-how from “{title}”: {record}"),
    "proof.presented.one": N_("presented at {count} Connective Cities event{first}"),
    "proof.presented.other": N_("presented at {count} Connective Cities events{first}"),
    "proof.presented.first": N_(", first in {year}"),
    "proof.co_organised.one": N_("co-organised {count} event on the theme{first}"),
    "proof.co_organised.other": N_("co-organised {count} events on the theme{first}"),
    "proof.co_organised.first": N_(" (first {year})"),
    # --- context
    "context.same_country": N_("same country: {country}"),
    "context.same_region": N_("same region: {region}"),
    "context.size.city.similar": N_("city of similar size: {size} vs {asked}"),
    "context.size.city.comparable": N_("city of comparable size: {size} vs {asked}"),
    "context.size.based.similar": N_("based in a city of similar size: {size} vs {asked}"),
    "context.size.based.comparable": N_("based in a city of comparable size: {size} vs {asked}"),
    "context.shared_language": N_("shared language: {languages}"),
    # --- reach
    "names.more": N_("{names} and {more} more"),
    "reach.offered_by": N_("know-how offered by {names}"),
    "reach.offers_know_how": N_("offers its know-how on the theme"),
    "reach.offers_advice": N_("offers peer advice on the theme"),
    "reach.on_offer": N_("its know-how is on offer"),
    "reach.can_be_asked": N_("can be asked for peer advice"),
    "reach.speaks": N_("speaks {languages}"),
    "reach.offer_in": N_("the offer can be given in {languages}"),
    # --- flags and diversity
    "flag.example": N_("fictional example person (demonstration data)"),
    "flag.works_at": N_("works at {organisation}"),
    "diversity.one": N_("ranked down: {count} result from the same city comes first"),
    "diversity.other": N_("ranked down: {count} results from the same city come first"),
}


class Message(NamedTuple):
    """A message inside a message's parameters (rendered first)."""

    id: str
    params: Mapping[str, Param] = {}


class Language(NamedTuple):
    """A language, rendered as its name."""

    code: str


class Population(NamedTuple):
    """A number of inhabitants, rendered short."""

    n: int


Param = str | int | None | Message | Language | Population | tuple["Param", ...]


def render(key: str, params: Mapping[str, Param], lang: str = "en") -> str:
    """The text of a message in ``lang`` (English by default)."""
    template = MESSAGES[key] if lang == "en" else i18n.gettext_in(lang, MESSAGES[key])
    return template.format_map({k: _text(v, lang) for k, v in params.items()})


def _text(value: Param, lang: str = "en") -> str:
    if isinstance(value, Message):
        return render(value.id, value.params, lang)
    if isinstance(value, Language):
        return language_name(value.code) if lang == "en" else i18n.language_name(value.code, lang)
    if isinstance(value, Population):
        return short_number(value.n) if lang == "en" else i18n.compact_number(value.n, lang)
    if isinstance(value, tuple):
        return ", ".join(_text(v, lang) for v in value)
    return str(value)


def localise(reasons: Sequence[Reason], lang: str) -> list[Reason]:
    """The reasons rendered in ``lang`` (the same reasons when it is English)."""
    if i18n.supported(lang) == "en":
        return list(reasons)
    lang = i18n.supported(lang)
    return [
        Reason(r.factor, render(r.id, r.params, lang), r.id, r.params) if r.id else r
        for r in reasons
    ]


def reason(factor: str, key: str, /, **params: Param) -> Reason:
    """A Reason of a message id and its parameters, rendered in English when first read."""
    return Reason(factor, None, key, params, render)


def plural(key: str, n: int) -> str:
    """``key.one`` for one, else ``key.other``."""
    return f"{key}.one" if n == 1 else f"{key}.other"


def short_number(n: int) -> str:
    """300000 -> '300k', 1200000 -> '1.2M', 9500 -> '9.5k'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if n >= 10_000:
        return f"{round(n / 1000)}k"
    if n >= 1000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(n)


def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_2=code)
    return lang.name if lang else code


def languages(codes: Sequence[str]) -> tuple[Language, ...]:
    return tuple(Language(c) for c in codes)


# ---------------------------------------------------------------- reasons of the score


def theme_link(
    kind: str, rel: str, need_words: Sequence[str], need_label: str, label: str
) -> Reason:
    """How a candidate's theme (``label``) stands to a need theme, shown by the need's words
    for it (up to two) or else by its label."""
    what: Param = tuple(Message("emphasis", {"text": t}) for t in need_words[:2])
    if not what:
        what = Message("emphasis", {"text": need_label})
    verb = Message(f"verb.{kind}")
    if rel == "exact":
        return reason("theme", "theme.exact", verb=verb, what=what)
    return reason("theme", f"theme.{rel}", verb=verb, theme=label, what=what)


def same_thing(sentence: str) -> Reason:
    return reason("theme", "semantic.same_thing", sentence=sentence)


def words_found(words: Sequence[str], title: str | None) -> Reason:
    """The need's words (up to four) found in the candidate's text (``title`` None) or in the
    text of the solution behind it."""
    quoted = tuple(Message("quote", {"text": w}) for w in words[:4])
    if title is None:
        return reason("theme", "words.description", words=quoted)
    return reason("theme", "words.solution", title=title, words=quoted)


def record(
    rank: int, start: str | None, end: str | None, outcomes: float, uncertain: bool
) -> Message:
    """A solution's record: status, period, outcomes (``factors.outcome_level``), evidence."""
    status: Param = Message(f"status.{rank}") if f"status.{rank}" in MESSAGES else ""
    period: Param = ""
    if start and end and start != end:
        period = Message("period.range", {"start": start, "end": end})
    elif start and end:
        period = Message("period.year", {"start": start})
    elif start:
        period = Message("period.since", {"start": start})
    stage: Param = Message("proof.stage", {"status": status, "period": period})
    if not (status and period):
        stage = status or period
    measured = Message("proof.outcomes.measured")
    documented = Message("proof.outcomes.documented")
    found = measured if outcomes == 1.0 else documented if outcomes else ""
    evidence = Message("proof.thin") if uncertain else ""
    return Message("proof.record", {"stage": stage, "outcomes": found, "evidence": evidence})


def own_record(of: Message) -> Reason:
    return reason("proof", of.id, **of.params)


def record_via(role: str, title: str, of: Message) -> Reason:
    """The record of the solution behind a candidate; ``role``: home, advised, behind, offers."""
    return reason("proof", f"proof.via.{role}", title=title, record=of)


def presented(n: int, first: str | None) -> Reason:
    since: Param = Message("proof.presented.first", {"year": first}) if first else ""
    return reason("proof", plural("proof.presented", n), count=n, first=since)


def co_organised(n: int, first: str | None) -> Reason:
    since: Param = Message("proof.co_organised.first", {"year": first}) if first else ""
    return reason("proof", plural("proof.co_organised", n), count=n, first=since)


def same_country(label: str | None) -> Reason:
    return reason("context", "context.same_country", country=label)


def same_region(label: str | None) -> Reason:
    return reason("context", "context.same_region", region=label)


def similar_size(kind: str, similarity: float, size: int, asked: int) -> Reason:
    """A city (or a thing based in one) of similar size (within a factor of 3) or comparable."""
    noun = "city" if kind in ("solution", "city", "need") else "based"
    adjective = "similar" if similarity == 1.0 else "comparable"
    return reason(
        "context",
        f"context.size.{noun}.{adjective}",
        size=Population(size),
        asked=Population(asked),
    )


def shared_language(codes: Sequence[str]) -> Reason:
    return reason("context", "context.shared_language", languages=languages(codes[:3]))


def offered_by(joined: str) -> Reason:
    """Who offers a solution's know-how: ``joined`` names with " | ", two shown."""
    names = [n for n in joined.split(" | ") if n]
    shown: Param = tuple(names[:2])
    if len(names) > 2:
        shown = Message("names.more", {"names": shown, "more": len(names) - 2})
    return reason("reach", "reach.offered_by", names=shown)


def speaks(codes: Sequence[str]) -> Reason:
    return reason("reach", "reach.speaks", languages=languages(codes))


def offer_in(codes: Sequence[str]) -> Reason:
    return reason("reach", "reach.offer_in", languages=languages(codes))


def ranked_down(n: int) -> Reason:
    return reason("diversity", plural("diversity", n), count=n)
