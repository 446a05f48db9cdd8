"""What mediation reads from the graph: the city a person names, the themes they pick, the
counterpart of an introduction and the contacts who may answer for it.

Every query is a helper of ``queries/mediation/`` run with bound terms; only
``get_contact_email`` reads the private graph (``dataset="all"``), and its result goes into an
e-mail, never into a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from cckg.core import geonames, iris
from cckg.core.i18n import LANGUAGES, N_
from cckg.core.mediation.model import City, Contact, MediationError
from cckg.core.queries import helper
from cckg.core.store import Store

CCKG = "https://w3id.org/cckg/def/cckg#"
# The kinds of things one can ask to be introduced to, and the query listing their contacts.
CONTACT_QUERIES = {
    "practitioner": "mediation/get_practitioner_contact",
    "institution": "mediation/list_institution_contacts",
    "solution": "mediation/list_solution_contacts",
    "offer": "mediation/list_offer_contacts",
}
INTRODUCIBLE = (*CONTACT_QUERIES, "need")
LANG_IRI = "http://id.loc.gov/vocabulary/iso639-1/"


def pick_label(labels: Sequence[Identifier], lang: str) -> str:
    """The label in ``lang``, else English, else untagged, else any."""
    by_lang = {(lbl.language or "" if isinstance(lbl, Literal) else ""): str(lbl) for lbl in labels}
    for key in (lang, "en", ""):
        if key in by_lang:
            return by_lang[key]
    return str(labels[0]) if labels else ""


def resolve_city(store: Store, value: str) -> City:
    """The city a person typed: a GeoNames id, a city IRI, or a name ("Curitiba",
    "Lisboa, PT"); it must be a city of the graph. MediationError 400 otherwise."""
    value = (value or "").strip()
    if not value:
        raise MediationError(N_("Please name your city."), 400, "city")
    base = store.base_iri
    gid: int | str | None = None
    if value.startswith(f"{base}id/city/"):
        gid = value.rsplit("/", 1)[-1]
    elif value.isdigit():
        gid = value
    elif len(value) <= 200:
        name, _, country = value.partition(",")
        country = country.strip()
        gid = geonames.resolve_city(name.strip(), country if len(country) == 2 else None)
    city = city_facts(store, str(gid)) if gid is not None else None
    if city is None:
        raise MediationError(
            N_("We do not know the city %(city)s. Please choose one from the list."),
            400,
            "city",
            city=value[:80],
        )
    return city


def city_facts(store: Store, slug: str) -> City | None:
    try:
        iri = iris.thing("city", slug, store.base_iri)
    except ValueError:
        return None
    rows = store.select(helper("mediation/get_city_facts"), {"city": iri})
    if not rows:
        return None
    row = rows[0]
    return City(
        iri=str(iri),
        label=pick_label([r["label"] for r in rows], "en"),
        country=str(row["country"]) if "country" in row else None,
        region=str(row["region"]) if "region" in row else None,
    )


def theme_labels(store: Store, theme: str) -> list[Identifier]:
    """The labels of a theme of the scheme ([] when it is none)."""
    return [
        r["label"]
        for r in store.select(helper("mediation/get_theme_labels"), {"theme": URIRef(theme)})
    ]


def check_themes(store: Store, themes: list[str]) -> list[str]:
    """Theme IRIs from slugs or IRIs; MediationError 400 naming the first unknown one."""
    out: list[str] = []
    for value in themes:
        value = value.strip()
        if not value:
            continue
        iri = value if "/" in value else f"{store.base_iri}id/theme/{value}"
        if not theme_labels(store, iri):
            raise MediationError(N_("Unknown theme: %(theme)s."), 400, "themes", theme=value[:80])
        if iri not in out:
            out.append(iri)
    return out


@dataclass(frozen=True)
class Counterpart:
    iri: str
    kind: str
    label: str


def counterpart(store: Store, iri: str, lang: str = "en") -> Counterpart:
    """The thing one asks to be introduced to: a practitioner, institution, solution, offer or
    need of the graph. MediationError 404 when it is none of those."""
    parts = iris.split(iri or "", store.base_iri)
    if parts is None or parts[0] not in INTRODUCIBLE:
        raise MediationError(N_("We cannot introduce you to this."), 404, "counterpart")
    rows = store.select(helper("mediation/get_thing_kind"), {"thing": URIRef(iri)})
    types = {str(r["type"]) for r in rows}
    if f"{CCKG}{parts[0].title().replace('-', '')}" not in types:
        raise MediationError(N_("We cannot introduce you to this."), 404, "counterpart")
    return Counterpart(iri, parts[0], pick_label([r["label"] for r in rows], lang))


def contact_lang(codes: list[str], prefer: str) -> str:
    """The language to write to a contact in: the requester's when the contact speaks it,
    else English when they speak it, else their first language cckg speaks, else English."""
    spoken = [c for c in codes if c in LANGUAGES]
    if prefer in spoken:
        return prefer
    if "en" in spoken or not spoken:
        return "en"
    return sorted(spoken)[0]


def graph_contacts(store: Store, cp: Counterpart, prefer_lang: str) -> list[Contact]:
    """The practitioners of the graph who answer for ``cp``, with the e-mail addresses the
    private graph holds for them (those without one are left out)."""
    query = CONTACT_QUERIES.get(cp.kind)
    if query is None:
        return []
    rows = store.select(helper(query), {"thing": URIRef(cp.iri)})
    people: dict[str, tuple[list[Identifier], list[str]]] = {}
    for r in rows:
        key = str(r.get("contact", cp.iri))
        names, langs = people.setdefault(key, ([], []))
        names.append(r["name"])
        if "language" in r and str(r["language"]).startswith(LANG_IRI):
            langs.append(str(r["language"])[len(LANG_IRI) :])
    private = iris.private_graph(store.base_iri)
    out = []
    for key in sorted(people):
        emails = store.select(
            helper("mediation/get_contact_email"),
            {"contact": URIRef(key), "private": private},
            dataset="all",
        )
        if not emails:
            continue
        names, langs = people[key]
        lang = contact_lang(langs, prefer_lang)
        out.append(Contact(key, pick_label(names, lang), str(emails[0]["email"]), lang))
    return out


def institutions(store: Store, lang: str = "en") -> list[tuple[str, str]]:
    """(IRI, label) of every institution, by label."""
    labels: dict[str, list[Identifier]] = {}
    for r in store.select(helper("mediation/list_institutions")):
        labels.setdefault(str(r["institution"]), []).append(r["label"])
    out = [(iri, pick_label(ls, lang)) for iri, ls in labels.items()]
    return sorted(out, key=lambda x: x[1].casefold())


def published_need(store: Store, iri: str, lang: str = "en") -> dict | None:
    """Label, description, themes and city of a published need, or None."""
    try:
        rows = store.select(helper("mediation/get_published_need"), {"need": URIRef(iri)})
    except ValueError:
        return None
    if not rows:
        return None
    descriptions = [r["description"] for r in rows if "description" in r]
    return {
        "iri": iri,
        "label": pick_label([r["label"] for r in rows], lang),
        "description": pick_label(descriptions, lang) if descriptions else "",
        "themes": sorted({str(r["theme"]) for r in rows}),
        "city": next((str(r["city"]) for r in rows if "city" in r), None),
    }
