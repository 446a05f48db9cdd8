"""The dashboard of /explore: events per year by format, solutions by status and period, SDG
coverage, and the gaps (needs no offer answers, by region and theme; regions and themes with
few practices). Each chart comes from one SPARQL query (named, or a helper in
``queries/dashboard/``) run through the Store interface, which the page links to the editor."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from flask_babel import gettext

from cckg.core import queries as nq
from cckg.core.queries import helper, helper_source
from cckg.core.search import SearchIndex
from cckg.core.store import Store
from cckg.webapp.charts import Chart, Row

CCKG = "https://w3id.org/cckg/def/cckg#"
STATUSES = ("Idea", "Pilot", "Implemented", "Scaled")
PERIODS = ((0, 2009), (2010, 2014), (2015, 2019), (2020, 9999))
FEW_THEMES = 15  # themes shown in "themes with few practices"

Label = Callable[[str], str]


def _run_named(store: Store, name: str) -> tuple[str, list]:
    query = nq.named_queries()[name]
    return query.text, nq.run_page(store, query, {}).rows


def _run_helper(store: Store, name: str) -> tuple[str, list]:
    return helper_source(name), store.select(helper(name))


def events_by_year(store: Store, label: Label) -> Chart:
    text, rows = _run_named(store, "count_events_per_year_and_format")
    formats = sorted({str(r["eventFormat"]) for r in rows}, key=lambda f: label(f).casefold())
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        counts[str(r["year"])][str(r["eventFormat"])] += int(r["events"])
    chart = Chart(
        "events-per-year",
        gettext("Events per year by format"),
        gettext("Dialogue events, workshops, study tours … by the year they started."),
        gettext("Year"),
        [label(f) for f in formats],
        query=text,
    )
    for year in sorted(counts):
        chart.rows.append(
            Row(year, [counts[year][f] for f in formats], f"/search?kind=event&year={year}")
        )
    return chart


def solutions_by_status(store: Store, label: Label) -> Chart:
    text, rows = _run_helper(store, "dashboard/count_solutions_by_status_and_year")
    statuses = [CCKG + s for s in STATUSES]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        year = str(r["year"])
        period = _period(year)
        counts[period][str(r["status"])] += int(r["solutions"])
    chart = Chart(
        "solutions-by-status",
        gettext("Solutions by status and period"),
        gettext("Good practices by the period they started in, and how far they got."),
        gettext("Period"),
        [label(s) for s in statuses],
        query=text,
    )
    for period in [*(_period_name(p) for p in PERIODS), gettext("no start year")]:
        if period in counts:
            chart.rows.append(Row(period, [counts[period][s] for s in statuses]))
    return chart


def _period_name(p: tuple[int, int]) -> str:
    if p[0] == 0:
        return f"–{p[1]}"
    if p[1] == 9999:
        return f"{p[0]}–"
    return f"{p[0]}–{p[1]}"


def _period(year: str) -> str:
    if not year.isdigit():
        return gettext("no start year")
    y = int(year)
    return next(_period_name(p) for p in PERIODS if p[0] <= y <= p[1])


def sdg_coverage(store: Store, label: Label) -> Chart:
    text, rows = _run_named(store, "count_sdg_coverage")
    keys = ("solutions", "events", "projectIdeas", "needs", "offers")
    chart = Chart(
        "sdg-coverage",
        gettext("SDG coverage"),
        gettext("What serves each UN Sustainable Development Goal (zero: nothing yet)."),
        gettext("Goal"),
        [gettext("Solutions"), gettext("Events"), gettext("Project ideas"), gettext("Needs"),
         gettext("Offers")],
        query=text,
    )  # fmt: skip
    for r in rows:
        number = int(r["number"])
        name = label(str(r["goal"]))
        chart.rows.append(
            Row(
                name if str(number) in name else f"{number} {name}",
                [int(r[k]) for k in keys],
                f"/search?sdg={number}",
            )
        )
    return chart


def needs_without_offers(store: Store, label: Label) -> tuple[Chart, Chart]:
    """The gaps: needs that share no theme with any offer, by region and by theme."""
    text, rows = _run_helper(store, "dashboard/list_needs_without_offers")
    regions: dict[str, set[str]] = defaultdict(set)
    themes: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        need = str(r["need"])
        regions[str(r["region"]) if "region" in r else ""].add(need)
        if "theme" in r:
            themes[str(r["theme"])].add(need)
    by_region = Chart(
        "gaps-by-region",
        gettext("Needs without offers, by region"),
        gettext("Needs that share no theme with any offer: the gaps the network cannot fill yet."),
        gettext("Region"),
        [gettext("Needs")],
        query=text,
    )
    for region, needs in sorted(regions.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        name = label(region) if region else gettext("no region")
        href = f"/search?kind=need&region={region.rsplit('/', 1)[-1]}" if region else None
        by_region.rows.append(Row(name, [len(needs)], href))
    by_theme = Chart(
        "gaps-by-theme",
        gettext("Needs without offers, by theme"),
        gettext("The themes of those needs: know-how nobody offers yet."),
        gettext("Theme"),
        [gettext("Needs")],
        query=text,
    )
    for theme, needs in sorted(themes.items(), key=lambda kv: (-len(kv[1]), label(kv[0]))):
        href = f"/search?kind=need&theme={theme.rsplit('/', 1)[-1]}"
        by_theme.rows.append(Row(label(theme), [len(needs)], href))
    return by_region, by_theme


def few_practices(store: Store, label: Label) -> tuple[Chart, Chart]:
    """Regions and themes with the fewest good practices (zero included)."""
    text, rows = _run_helper(store, "dashboard/count_solutions_per_region")
    regions = Chart(
        "practices-by-region",
        gettext("Good practices per region"),
        gettext("Regions with few practices come first."),
        gettext("Region"),
        [gettext("Solutions")],
        query=text,
    )
    for r in sorted(rows, key=lambda r: (int(r["solutions"]), label(str(r["region"])))):
        slug = str(r["region"]).rsplit("/", 1)[-1]
        regions.rows.append(
            Row(
                label(str(r["region"])),
                [int(r["solutions"])],
                f"/search?kind=solution&region={slug}",
            )
        )
    text, rows = _run_helper(store, "dashboard/count_solutions_per_theme")
    themes = Chart(
        "practices-by-theme",
        gettext("Themes with the fewest good practices"),
        gettext(
            "The %(n)d themes with the fewest practices (narrower themes count too).",
            n=FEW_THEMES,
        ),
        gettext("Theme"),
        [gettext("Solutions")],
        query=text,
    )
    ranked = sorted(rows, key=lambda r: (int(r["solutions"]), label(str(r["theme"])).casefold()))
    for r in ranked[:FEW_THEMES]:
        slug = str(r["theme"]).rsplit("/", 1)[-1]
        themes.rows.append(
            Row(
                label(str(r["theme"])), [int(r["solutions"])], f"/search?kind=solution&theme={slug}"
            )
        )
    return regions, themes


def dashboard(store: Store, index: SearchIndex, lang: str) -> dict[str, list[Chart]]:
    """Every chart of the dashboard, in sections."""

    def label(iri: str) -> str:
        return index.label(iri, lang)

    gaps_region, gaps_theme = needs_without_offers(store, label)
    few_regions, few_themes = few_practices(store, label)
    return {
        "activity": [
            events_by_year(store, label),
            solutions_by_status(store, label),
            sdg_coverage(store, label),
        ],
        "gaps": [gaps_region, gaps_theme, few_regions, few_themes],
    }


def all_charts(sections: dict[str, list[Chart]]) -> dict[str, Chart]:
    return {c.name: c for charts in sections.values() for c in charts}
