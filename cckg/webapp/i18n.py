"""UI language: a small dict-based catalogue and the request's language.

The language comes from ``?lang=`` (then remembered in the ``lang`` cookie for a year), else the
cookie, else ``Accept-Language``, else English. UI strings exist in en, de, es and fr; Arabic
(``ar``) is accepted for *data labels* (the theme scheme has Arabic labels) and switches the
layout to right-to-left, with UI strings falling back to English.

Data labels follow their own chain, per label: requested language → en → untagged → any
(see ``cckg.core.search.SearchIndex.label``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, g, request

UI_LANGS = ("en", "de", "es", "fr")
LANGS = (*UI_LANGS, "ar")
RTL = {"ar"}
LANG_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "fr": "Français", "ar": "العربية"}
COOKIE = "lang"

# key -> (en, de, es, fr)
_T: dict[str, tuple[str, str, str, str]] = {
    "skip": ("Skip to content", "Zum Inhalt springen", "Ir al contenido", "Aller au contenu"),
    "site": (
        "Connective Cities Knowledge Graph",
        "Connective Cities Wissensgraph",
        "Grafo de conocimiento Connective Cities",
        "Graphe de connaissances Connective Cities",
    ),
    "nav": ("Main navigation", "Hauptnavigation", "Navegación principal", "Navigation principale"),
    "home": ("Home", "Start", "Inicio", "Accueil"),
    "search": ("Search", "Suche", "Buscar", "Recherche"),
    "match": ("Find help", "Hilfe finden", "Buscar ayuda", "Trouver de l'aide"),
    "explore": ("Explore", "Erkunden", "Explorar", "Explorer"),
    "queries": ("Queries", "Abfragen", "Consultas", "Requêtes"),
    "editor": ("SPARQL editor", "SPARQL-Editor", "Editor SPARQL", "Éditeur SPARQL"),
    "data": ("Data", "Daten", "Datos", "Données"),
    "language": ("Language", "Sprache", "Idioma", "Langue"),
    "apply": ("Apply", "Anwenden", "Aplicar", "Appliquer"),
    "tagline": (
        "Find who has solved your city's problem before",
        "Finden Sie, wer das Problem Ihrer Stadt schon gelöst hat",
        "Encuentre quién ya resolvió el problema de su ciudad",
        "Trouvez qui a déjà résolu le problème de votre ville",
    ),
    "intro": (
        "Proven local solutions for sustainable urban development, and the cities and "
        "institutions that know them.",
        "Bewährte lokale Lösungen für nachhaltige Stadtentwicklung – und die Städte und "
        "Institutionen, die sie kennen.",
        "Soluciones locales probadas para el desarrollo urbano sostenible, y las ciudades e "
        "instituciones que las conocen.",
        "Des solutions locales éprouvées pour le développement urbain durable, et les villes "
        "et institutions qui les connaissent.",
    ),
    "search_label": (
        "Search solutions, institutions, events",
        "Lösungen, Institutionen, Veranstaltungen suchen",
        "Buscar soluciones, instituciones, eventos",
        "Rechercher des solutions, institutions, événements",
    ),
    "search_hint": (
        "e.g. composting, Kompostierung, transporte público",
        "z. B. Kompostierung, composting, transporte público",
        "p. ej. compostaje, Kompostierung, public transport",
        "p. ex. compostage, Kompostierung, transporte público",
    ),
    "focus_areas": ("Focus areas", "Themenfelder", "Áreas temáticas", "Domaines d'action"),
    "solutions_n": ("solutions", "Lösungen", "soluciones", "solutions"),
    "recent": (
        "Recent solutions",
        "Neueste Lösungen",
        "Soluciones recientes",
        "Solutions récentes",
    ),
    "numbers": ("In the graph", "Im Graphen", "En el grafo", "Dans le graphe"),
    "kind": ("Kind", "Art", "Tipo", "Type"),
    "count": ("Count", "Anzahl", "Cantidad", "Nombre"),
    "empty_store": (
        "The store is empty: run cckg load.",
        "Der Speicher ist leer: cckg load ausführen.",
        "El almacén está vacío: ejecute cckg load.",
        "Le stockage est vide : lancez cckg load.",
    ),
    "need_help": (
        "Describe your need and get ranked solutions, institutions and cities, with reasons.",
        "Beschreiben Sie Ihren Bedarf und erhalten Sie passende Lösungen, Institutionen und "
        "Städte – mit Begründung.",
        "Describa su necesidad y obtenga soluciones, instituciones y ciudades ordenadas, con "
        "motivos.",
        "Décrivez votre besoin et obtenez des solutions, institutions et villes classées, "
        "avec leurs raisons.",
    ),
    "for_researchers": (
        "For researchers",
        "Für Forschende",
        "Para investigadores",
        "Pour les chercheurs",
    ),
    "researchers_text": (
        "Every page links to its data (Turtle, JSON-LD) and the query behind it.",
        "Jede Seite verlinkt ihre Daten (Turtle, JSON-LD) und die Abfrage dahinter.",
        "Cada página enlaza sus datos (Turtle, JSON-LD) y la consulta que la genera.",
        "Chaque page renvoie à ses données (Turtle, JSON-LD) et à la requête qui la produit.",
    ),
    "all_solutions": (
        "All solutions",
        "Alle Lösungen",
        "Todas las soluciones",
        "Toutes les solutions",
    ),
    "classes": ("Classes", "Klassen", "Clases", "Classes"),
    "properties": ("Properties", "Eigenschaften", "Propiedades", "Propriétés"),
    "class": ("Class", "Klasse", "Clase", "Classe"),
    "property": ("Property", "Eigenschaft", "Propiedad", "Propriété"),
    "instances": ("Instances", "Instanzen", "Instancias", "Instances"),
    "uses": ("Uses", "Verwendungen", "Usos", "Utilisations"),
    "graphs": (
        "Graphs and provenance",
        "Graphen und Herkunft",
        "Grafos y procedencia",
        "Graphes et provenance",
    ),
    "graph": ("Graph", "Graph", "Grafo", "Graphe"),
    "loaded": ("Loaded", "Geladen", "Cargado", "Chargé"),
    "source": ("Source", "Quelle", "Fuente", "Source"),
    "licence": ("Licence", "Lizenz", "Licencia", "Licence"),
    "checksum": ("Checksum", "Prüfsumme", "Suma de control", "Somme de contrôle"),
    "triples": ("Triples", "Tripel", "Tripletas", "Triplets"),
    "by_region": (
        "Activity by region",
        "Aktivität nach Region",
        "Actividad por región",
        "Activité par région",
    ),
    "by_theme": (
        "Solutions by theme",
        "Lösungen nach Thema",
        "Soluciones por tema",
        "Solutions par thème",
    ),
    "things": ("things", "Einträge", "elementos", "éléments"),
    "query_behind": (
        "The SPARQL behind this page",
        "Die SPARQL-Abfrage hinter dieser Seite",
        "El SPARQL detrás de esta página",
        "Le SPARQL derrière cette page",
    ),
    "open_editor": (
        "Open in the SPARQL editor",
        "Im SPARQL-Editor öffnen",
        "Abrir en el editor SPARQL",
        "Ouvrir dans l'éditeur SPARQL",
    ),
    "editor_intro": (
        "Write SPARQL against the public graphs. The examples are the named queries.",
        "Schreiben Sie SPARQL gegen die öffentlichen Graphen. Die Beispiele sind die "
        "benannten Abfragen.",
        "Escriba SPARQL sobre los grafos públicos. Los ejemplos son las consultas con nombre.",
        "Écrivez du SPARQL sur les graphes publics. Les exemples sont les requêtes nommées.",
    ),
    "examples": ("Examples", "Beispiele", "Ejemplos", "Exemples"),
    "run": ("Run query", "Abfrage ausführen", "Ejecutar consulta", "Exécuter la requête"),
    "query": ("Query", "Abfrage", "Consulta", "Requête"),
    "format": ("Result format", "Ergebnisformat", "Formato del resultado", "Format du résultat"),
    "nojs_editor": (
        "Without JavaScript this is a plain form; results open as a file.",
        "Ohne JavaScript ist dies ein einfaches Formular; Ergebnisse öffnen sich als Datei.",
        "Sin JavaScript es un formulario simple; los resultados se abren como archivo.",
        "Sans JavaScript, c'est un simple formulaire ; les résultats s'ouvrent en fichier.",
    ),
    "credit": (
        "City data from GeoNames (CC BY 4.0).",
        "Städtedaten von GeoNames (CC BY 4.0).",
        "Datos de ciudades de GeoNames (CC BY 4.0).",
        "Données des villes : GeoNames (CC BY 4.0).",
    ),
    "summary": ("Summary", "Zusammenfassung", "Resumen", "Résumé"),
    "outcome": ("Outcomes", "Ergebnisse", "Resultados", "Résultats"),
    "city": ("City", "Stadt", "Ciudad", "Ville"),
    "institution": ("Institutions", "Institutionen", "Instituciones", "Institutions"),
    "theme": ("Themes", "Themen", "Temas", "Thèmes"),
    "sdg": (
        "Sustainable Development Goals",
        "Ziele für nachhaltige Entwicklung",
        "Objetivos de Desarrollo Sostenible",
        "Objectifs de développement durable",
    ),
    "related": (
        "Related events and project ideas",
        "Verwandte Veranstaltungen und Projektideen",
        "Eventos e ideas de proyecto relacionados",
        "Événements et idées de projet liés",
    ),
    "coordinates": ("Coordinates", "Koordinaten", "Coordenadas", "Coordonnées"),
    "population": ("Population", "Einwohner", "Población", "Population"),
    "country": ("Country", "Land", "País", "Pays"),
    "solution": ("Solutions here", "Lösungen hier", "Soluciones aquí", "Solutions ici"),
    "event": ("Events", "Veranstaltungen", "Eventos", "Événements"),
    "role": ("Role", "Rolle", "Función", "Rôle"),
    "fictional": (
        "Fictional example: this person is invented demonstration data. No contact data is "
        "ever shown.",
        "Fiktives Beispiel: Diese Person ist erfundene Demonstrationsdaten. Kontaktdaten "
        "werden nie angezeigt.",
        "Ejemplo ficticio: esta persona es un dato de demostración inventado. Nunca se "
        "muestran datos de contacto.",
        "Exemple fictif : cette personne est une donnée de démonstration inventée. Aucune "
        "coordonnée n'est jamais affichée.",
    ),
    "overview": ("Overview", "Überblick", "Resumen", "Aperçu"),
    "filters": ("Filters", "Filter", "Filtros", "Filtres"),
    "clear_filters": (
        "Clear all filters",
        "Alle Filter entfernen",
        "Quitar todos los filtros",
        "Effacer tous les filtres",
    ),
    "results": ("results", "Treffer", "resultados", "résultats"),
    "themes_found": (
        "Themes recognised",
        "Erkannte Themen",
        "Temas reconocidos",
        "Thèmes reconnus",
    ),
    "example_data": (
        "fictional example",
        "fiktives Beispiel",
        "ejemplo ficticio",
        "exemple fictif",
    ),
    "pages": ("Result pages", "Ergebnisseiten", "Páginas de resultados", "Pages de résultats"),
    "previous": ("Previous", "Zurück", "Anterior", "Précédent"),
    "next": ("Next", "Weiter", "Siguiente", "Suivant"),
    # facet titles on /search
    "facet_theme": ("Theme", "Thema", "Tema", "Thème"),
    "facet_kind": ("Kind", "Art", "Tipo", "Type"),
    "facet_country": ("Country", "Land", "País", "Pays"),
    "facet_region": ("Region", "Region", "Región", "Région"),
    "facet_status": ("Status", "Status", "Estado", "Statut"),
    "facet_sdg": ("SDG", "SDG", "ODS", "ODD"),
    "facet_year": ("Year", "Jahr", "Año", "Année"),
    "facet_format": ("Format", "Format", "Formato", "Format"),
    # kinds of things (KIND_KEYS)
    "kind_solution": ("Solution", "Lösung", "Solución", "Solution"),
    "kind_institution": ("Institution", "Institution", "Institución", "Institution"),
    "kind_event": ("Event", "Veranstaltung", "Evento", "Événement"),
    "kind_project_idea": ("Project idea", "Projektidee", "Idea de proyecto", "Idée de projet"),
    "kind_need": ("Need", "Bedarf", "Necesidad", "Besoin"),
    "kind_offer": ("Offer", "Angebot", "Oferta", "Offre"),
    "kind_city": ("City", "Stadt", "Ciudad", "Ville"),
    "kind_country": ("Country", "Land", "País", "Pays"),
    "sort_by": ("Sort by", "Sortieren nach", "Ordenar por", "Trier par"),
    "sort_relevance": ("relevance", "Relevanz", "relevancia", "pertinence"),
    "sort_newest": ("newest", "neueste", "más recientes", "plus récents"),
    "sort_city": ("city", "Stadt", "ciudad", "ville"),
    "score_hint": (
        "How well it matches: 0 to 1 (words and meaning)",
        "Wie gut es passt: 0 bis 1 (Wörter und Bedeutung)",
        "Grado de coincidencia: 0 a 1 (palabras y significado)",
        "Degré de correspondance : 0 à 1 (mots et sens)",
    ),
    "kind_practitioner": (
        "Practitioner (example)",
        "Fachperson (Beispiel)",
        "Profesional (ejemplo)",
        "Praticien (exemple)",
    ),
}


# Kinds of things (IRI kind or search kind) -> their catalogue key.
KIND_KEYS = {
    k: f"kind_{k.replace('-', '_')}"
    for k in "solution institution event project-idea need offer practitioner city country".split()
}


def translate(key: str, lang: str) -> str:
    """The UI string ``key`` in ``lang``; English when missing; the key itself if unknown."""
    row = _T.get(key)
    if row is None:
        return key
    return row[UI_LANGS.index(lang)] if lang in UI_LANGS else row[0]


def negotiate() -> str:
    """The request's language: ?lang= → cookie → Accept-Language → en."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate and candidate.lower()[:2] in LANGS:
            return candidate.lower()[:2]
    return request.accept_languages.best_match(LANGS, "en") or "en"


def current_lang() -> str:
    lang = getattr(g, "lang", None)
    if lang is None:
        lang = g.lang = negotiate()
    return lang


def lang_url(lang: str) -> str:
    """This page's URL in another language (other parameters kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    # A global (not only a context variable) so imported macros can translate too.
    app.jinja_env.globals["_"] = lambda key: translate(key, current_lang())

    @app.context_processor
    def _inject() -> dict:
        lang = current_lang()
        return {
            "lang": lang,
            "ui_lang": lang,
            "text_dir": "rtl" if lang in RTL else "ltr",
            "languages": LANG_NAMES,
            "lang_url": lang_url,
        }

    @app.after_request
    def _remember(response: Response) -> Response:
        wanted = request.args.get("lang", "").lower()[:2]
        if wanted in LANGS and request.cookies.get(COOKIE) != wanted:
            response.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax")
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
