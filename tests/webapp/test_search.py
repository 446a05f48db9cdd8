"""Search over the demo store: multilingual, theme-aware, faceted, paged; bad input is a 400."""

from __future__ import annotations

import pytest
import yaml

from tests import ROOT


def slugs(data) -> list[str]:
    return [r["iri"].rsplit("/", 1)[-1] for r in data["results"]]


def test_german_word_finds_solutions_through_theme_synonyms(client):
    data = client.get("/api/search?q=Kompostierung&kind=solution").get_json()
    assert "bizerte-composting" in slugs(data)
    assert any(
        t["iri"].endswith("/waste-management-circular-economy") for t in data["themes_matched"]
    )
    assert all(r["kind"] == "solution" for r in data["results"])


@pytest.mark.parametrize("q", ["compostaje", "compostage", "composting", "Kompost"])
def test_composting_in_four_languages(client, q):
    assert "bizerte-composting" in slugs(client.get(f"/api/search?q={q}&page_size=50").get_json())


def test_accents_and_case_do_not_matter(client):
    # Words match without accents or case; the meaning (sentence vectors of the query as
    # typed) may order near-equal results differently, never what is found or what is first.
    a = slugs(client.get("/api/search?q=bogota&page_size=100").get_json())
    b = slugs(client.get("/api/search?q=BOGOTÁ&page_size=100").get_json())
    assert a and set(a) == set(b) and a[0] == b[0] == "3688689"


def test_theme_facet_counts_narrower_themes_for_broader(client):
    data = client.get("/api/search?kind=solution").get_json()
    counts = {f["value"].rsplit("/", 1)[-1]: f["count"] for f in data["facets"]["theme"]}
    assert counts["municipal-services"] >= counts["waste-management-circular-economy"] > 0
    assert counts["municipal-services"] >= counts["mobility"]
    filtered = client.get("/api/search?kind=solution&theme=municipal-services").get_json()
    assert filtered["total"] == counts["municipal-services"]


def test_region_and_country_filters(client):
    mena = client.get("/api/search?kind=solution&region=mena&page_size=100").get_json()
    assert mena["total"] > 0
    tn = client.get("/api/search?kind=solution&country=tn&page_size=100").get_json()
    assert set(slugs(tn)) <= set(slugs(mena))


def test_paging(client):
    p1 = client.get("/api/search?kind=solution&page_size=5").get_json()
    p2 = client.get("/api/search?kind=solution&page_size=5&page=2").get_json()
    assert len(p1["results"]) == 5 and not set(slugs(p1)) & set(slugs(p2))


@pytest.mark.parametrize(
    "query, param",
    [("page=0", "page"), ("page=x", "page"), ("page_size=1000", "page_size"), ("colour=red", None)],
)
def test_bad_parameters_are_400(client, query, param):
    r = client.get(f"/api/search?{query}")
    if param is None:  # unknown parameters are ignored, like any web form
        assert r.status_code == 200
    else:
        assert r.status_code == 400 and r.get_json()["param"] == param


def test_hostile_text_is_just_text(client):
    r = client.get('/api/search?q=" } ; DROP ALL ; { ?s ?p ?o')
    assert r.status_code == 200


def test_search_page_renders(client):
    r = client.get("/search?q=heat")
    assert r.status_code == 200 and b"Heat" in r.data


# ---------------------------------------------------------------- ranking (BM25 + meaning)


LABELLED = {
    i["q"]: i for i in yaml.safe_load((ROOT / "eval/search-queries.yaml").read_text())["queries"]
}


def keys(data) -> list[str]:
    return [r["iri"].split("/id/", 1)[1] for r in data["results"]]


def search(client, q: str, **params) -> dict:
    return client.get("/api/search", query_string={"q": q, **params}).get_json()


@pytest.mark.parametrize(
    "q, best",
    [
        ("composting", "event/2018-online-composting-webinar"),
        ("Urban Thinkers Campus", "event/2024-amman-urban-thinkers-campus"),
        ("UN-Habitat", "institution/un-habitat"),
        ("Deutscher Städtetag", "institution/deutscher-staedtetag"),
        ("energy efficiency Batumi", "solution/batumi-energy-efficiency"),
    ],
)
def test_the_best_document_comes_first(client, q, best):
    data = search(client, q)
    assert keys(data)[0] == best


def test_ranking_is_by_score_not_alphabetical(client):
    data = search(client, "waste management", page_size=30)
    scores = [r["score"] for r in data["results"]]
    labels = [r["label"].casefold() for r in data["results"]]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 5
    assert labels != sorted(labels)
    assert all(0 < s <= 1 for s in scores)


@pytest.mark.parametrize("q", ["Köln", "Cologne", "Colonia", "KOELN", "كولونيا"])
def test_a_city_is_found_by_any_of_its_names(client, q):
    assert keys(search(client, q))[0] == "city/2886242"


@pytest.mark.parametrize("q", ["Amman", "عمّان", "عمان"])
def test_amman_in_latin_and_arabic_script(client, q):
    assert keys(search(client, q))[0] == "city/250441"


@pytest.mark.parametrize("q", ["Jordan", "Jordanien", "Jordania", "Jordanie", "Jordânia", "الأردن"])
def test_a_country_is_found_by_its_name_in_six_languages(client, q):
    data = search(client, q)
    assert keys(data)[0] == "country/jo"
    assert data["results"][0]["kind"] == "country"


def test_places_are_documents_only_when_asked_for_without_words(client):
    everything = client.get("/api/search?page_size=100").get_json()
    assert {"city", "country"}.isdisjoint({r["kind"] for r in everything["results"]})
    cities = client.get("/api/search?kind=city&country=jo&page_size=100").get_json()
    assert cities["total"] > 0 and {r["kind"] for r in cities["results"]} == {"city"}


@pytest.mark.parametrize("q", ["movilidad urbana", "mobilidade urbana", "gestión de residuos"])
def test_topic_queries_have_only_on_topic_results_in_their_top_10(client, q):
    relevant = LABELLED[q]["relevant"]
    top = keys(search(client, q, page_size=10))
    assert len(top) == 10
    assert [k for k in top if relevant.get(k, 0) <= 0] == []


def test_typos_are_forgiven(client):
    assert "solution/batumi-energy-efficiency" in keys(search(client, "energy efficency"))[:5]


def test_api_rows_have_summary_place_period_status_themes_and_highlights(client):
    data = search(client, "composting Bizerte", lang="en")
    row = next(r for r in data["results"] if r["iri"].endswith("/solution/bizerte-composting"))
    assert row["summary"].startswith("Bizerte introduced separate collection")
    assert "<mark>Bizerte</mark>" in row["highlights"]["summary"]
    assert "<mark>composting</mark>" in row["highlights"]["label"]
    assert row["city"]["label"] == "Bizerte" and row["city"]["iri"].endswith("/city/2472706")
    assert row["country"]["label"] == "Tunisia"
    assert row["period"] == "2015–2020"
    assert row["status"]["label"] == "implemented"
    assert {t["slug"] for t in row["themes"]} >= {"waste-management-circular-economy"}
    assert 0 < row["score"] <= 1
    assert data["query"]["sort"] == "relevance"


def test_highlighting_escapes_the_data():
    from cckg.core.search.analysis import highlight_terms
    from cckg.core.search.present import highlight

    html = highlight(
        '<script>alert("x")</script> waste & <b>compost</b>', highlight_terms("compost")
    )
    assert "<script>" not in html and "<b>" not in html
    assert html == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; waste &amp; "
        "&lt;b&gt;<mark>compost</mark>&lt;/b&gt;"
    )


def test_highlights_hold_no_markup_but_mark(client):
    data = search(client, "waste", page_size=50)
    for r in data["results"]:
        for text in r["highlights"].values():
            assert "<" not in text.replace("<mark>", "").replace("</mark>", "")


def test_search_page_shows_rows_with_highlights_and_chips(client):
    html = client.get("/search?q=composting&lang=en").get_data(as_text=True)
    assert '<li class="result-row"' in html and "<mark>Composting</mark>" in html
    assert 'class="chips"' in html and 'class="summary"' in html
    assert 'aria-current="true">relevance<' in html and "sort=newest" in html


def test_sort_newest(client):
    data = search(client, "waste", sort="newest", page_size=50)
    dated = [r["period"] for r in data["results"] if r["period"]]
    latest = [max(p.replace(" – ", "–").split("–")) for p in dated]
    assert len(latest) > 5 and latest == sorted(latest, reverse=True)
    assert data["query"]["sort"] == "newest"


def test_sort_by_city(client):
    data = search(client, "waste", sort="city", page_size=100)
    cities = [r["city"]["label"].casefold() for r in data["results"] if r["city"]]
    assert len(cities) > 5 and cities == sorted(cities)
    with_city = [bool(r["city"]) for r in data["results"]]
    assert with_city == sorted(with_city, reverse=True)  # things without a city come last


def test_sorts_keep_the_results_and_facets(client):
    by_score = search(client, "waste", page_size=100)
    by_date = search(client, "waste", sort="newest", page_size=100)
    assert set(keys(by_score)) == set(keys(by_date)) and by_score["facets"] == by_date["facets"]


def test_bad_sort_is_400(client):
    r = client.get("/api/search?q=waste&sort=alphabetical")
    assert r.status_code == 400 and r.get_json()["param"] == "sort"


def test_filters_apply_to_ranked_results(client):
    data = search(client, "waste management", kind="solution", page_size=50)
    assert data["total"] > 0 and {r["kind"] for r in data["results"]} == {"solution"}
    assert data["facets"]["kind"] == [
        {"value": "solution", "label": "solution", "count": data["total"]}
    ]


# ---------------------------------------------------------------- analysis and versions


def test_arabic_article_clitics_and_letter_variants():
    from cckg.core.search.analysis import fold, stem

    assert fold("عمّان") == fold("عمان")
    assert fold("المرأة") == fold("المراه") and fold("الصحى") == fold("الصحي")
    assert stem("والصرف", "ar") == stem("الصرف", "ar") == stem("صرف", "ar")
    assert stem("للبلديات", "ar") == stem("البلديات", "ar")


def test_stop_words_are_not_searched_for():
    from cckg.core.search.analysis import query_words

    words = [w for w in query_words("gestión de residuos") if not w.stop]
    assert [w.text for w in words] == ["gestión", "residuos"]
    assert "residu" in words[1].variants  # the Spanish stem


def test_the_index_is_rebuilt_when_the_store_version_changes(monkeypatch):
    """Kept while the store's version stays; a write gives a new one. (Across processes over
    one remote store: tests/webapp/test_shared_store.py.)"""
    from rdflib import RDFS, Graph, Literal, URIRef

    from cckg.core.search import service
    from cckg.core.store import EmbeddedStore

    built = []
    monkeypatch.setattr(
        service, "SearchIndex", lambda store, semantic: built.append(1) or len(built)
    )
    store = EmbeddedStore(None)
    s = service.SearchService(store)
    assert s.index() == s.index() == 1
    g = Graph()
    g.add((URIRef("https://w3id.org/cckg/id/city/x"), RDFS.label, Literal("X")))
    store.replace_graphs({URIRef("https://w3id.org/cckg/graph/curated/x"): [g]})
    assert s.index() == s.index() == 2 and s.builds == 2
    store.close()


@pytest.mark.remote
def test_search_on_a_remote_store(oxigraph_server, demo_store, tmp_path, monkeypatch):
    """The index reads the store through the Store interface only: an Oxigraph server holding
    the demo data gives the same documents and finds a city by an alias."""
    import urllib.request

    from cckg.core.search.service import SearchService, own_semantic_index
    from cckg.core.store import RemoteStore

    req = urllib.request.Request(  # noqa: S310 (loopback test server)
        f"{oxigraph_server}/store",
        data=demo_store.export_nquads(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=120).read()  # noqa: S310
    monkeypatch.setenv("CCKG_CACHE_DIR", str(tmp_path))  # the remote store's sentence vectors
    store = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update")
    index = SearchService(store, semantic=own_semantic_index(store)).index()
    local = SearchService(demo_store).index()
    assert set(index.docs) == set(local.docs)
    assert index.search("Colonia").hits[0].doc.iri.endswith("/id/city/2886242")


def test_browsing_is_kept_per_filter_and_callers_cannot_change_it(app):
    from cckg.webapp.store import get_search_index

    with app.test_request_context("/"):
        index = get_search_index()
    first = index.search("", {"kind": "solution"}, page_size=5)
    hits = index.matches("", {"kind": "solution"})
    assert [h.doc.iri for h in hits[:5]] == [h.doc.iri for h in first.hits]
    hits.clear()  # the caller's copy
    again = index.search("", {"kind": "solution"}, page_size=5)
    assert again.total == first.total > 5 and again.facets == first.facets
    assert len(index.matches("", {"kind": "solution"})) == first.total
    # a filter gives its own list, with the facet counts of that list
    german = index.search("", {"kind": "solution", "country": "de"}, page_size=1)
    assert 0 < german.total < first.total
    assert sum(n for _, n in german.facets["kind"]) == german.total


@pytest.mark.parametrize("q", ["", "composting"])
def test_matches_and_facets_agree_with_search_and_matches(app, q):
    from cckg.webapp.store import get_search_index

    with app.test_request_context("/"):
        index = get_search_index()
    hits, facets = index.matches_and_facets(q, {"kind": "solution"})
    assert hits and [h.doc.iri for h in hits] == [
        h.doc.iri for h in index.matches(q, {"kind": "solution"})
    ]
    assert facets == index.search(q, {"kind": "solution"}, page_size=1).facets
    hits.clear()  # the caller's copy
    assert index.matches_and_facets(q, {"kind": "solution"})[0]
