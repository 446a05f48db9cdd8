"""The six UI languages in a real headless Chromium (Debian package, Playwright), at desktop
(1280 px) and phone (390 px) width, over the main pages: home, search, match (with results),
the ontology, explore and two records.

On every page: the html element carries the language (and ``dir=rtl`` for Arabic); no text node
or label is an English catalogue message left untranslated (checked against the catalogues;
ontology terms and text marked with another ``lang`` are data, not UI); nothing scrolls
sideways at either width; no console or page error; axe-core finds no serious or critical
violation (every page in Arabic, home and match in the other languages: axe takes 2-9 s a
page). One browser and one context per language; each page is loaded once at desktop width and
then resized to a phone's, so the whole file stays under three minutes on a busy machine.
``CCKG_SCREENSHOTS=1`` also saves full-page screenshots of Arabic and Portuguese at both widths
to ``test-artifacts/i18n/`` for a person to look at.
"""

from __future__ import annotations

import os
import re

import pytest
from babel.messages.pofile import read_po

from cckg.core import i18n
from tests.support.template_text import ALLOWED
from tests.webapp.test_browser import ARTIFACTS, browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "search": "/search?q=waste",
    "match": "/match?text=waste+collection+in+a+coastal+city&city=Tunis",
    "ontology": "/def/cckg",
    "explore": "/explore",
    "solution": "/id/solution/bizerte-composting",
    "city": "/id/city/2472706",  # Bizerte: names in many scripts
}
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SCREENSHOTS = ("ar", "pt")
# axe on every page in Arabic (right to left: the layout most likely to break) and on the pages
# with the most translated text in the other languages; axe takes 2-9 s a page, the whole
# matrix must stay under three minutes on a busy two-core machine.
AXE_EVERYWHERE = "ar"
AXE_PAGES = ("home", "match")
# Text nodes and the labels a user reads (placeholder, aria-label, title, alt, value of buttons).
VISIBLE_TEXT = """() => {
  const out = [];
  const skip = new Set(['SCRIPT', 'STYLE', 'CODE', 'PRE', 'TEXTAREA', 'NOSCRIPT']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.replace(/\\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!t || el.closest('script,style,code,pre,textarea,noscript')) continue;
    // data, not UI: ontology terms (their labels come from ontology/cckg.ttl) and text marked
    // as being in another language
    if (el.closest('a[href^="/def/"], a[href^="http"]')) continue;
    const tagged = el.closest('[lang]'), page = document.documentElement;
    if (tagged && tagged !== page && tagged.lang !== page.lang) continue;
    out.push(t);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]')) {
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) {
      const v = el.getAttribute(a); if (v) out.push(v.trim());
    }
  }
  out.push(document.title.trim());
  return out;
}"""


def _english_leftovers() -> dict[str, set[str]]:
    """Per language, the English messages whose translation differs: seeing one of them on a
    page in that language means a string escaped the catalogue."""
    with (i18n.CATALOGUE / "messages.pot").open("rb") as f:
        template = read_po(f)
    singular = {m.id for m in template if isinstance(m.id, str) and m.id}
    out = {}
    for lang in i18n.LANGUAGES[1:]:
        with (i18n.CATALOGUE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogue = read_po(f, locale=lang)
        out[lang] = {
            m.id
            for m in catalogue
            if m.id in singular
            and m.string
            and m.string != m.id
            and "%(" not in m.id
            and "{" not in m.id
            and re.search(r"[a-z]{3}", m.id)
            and m.id not in ALLOWED
        }
    return out


LEFTOVERS = _english_leftovers()


def _leftovers(texts: list[str], lang: str) -> list[str]:
    english = LEFTOVERS[lang]
    found = {t for t in texts if t in english}
    # a long sentence is English even inside a longer text node
    found |= {m for m in english if len(m.split()) >= 5 for t in texts if m in t}
    return sorted(found)


def _screenshot(page, lang: str, width: str, name: str) -> None:
    if lang in SCREENSHOTS and os.environ.get("CCKG_SCREENSHOTS"):
        folder = ARTIFACTS / "i18n"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{lang}-{width}-{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_pages_in_every_language(browser, live_server, lang):  # noqa: F811
    """Each page is loaded once, checked at desktop width, then resized to a phone's."""
    from axe_playwright_python.sync_playwright import Axe

    desktop, phone = WIDTHS["desktop"], WIDTHS["phone"]
    # axe is injected by page.evaluate, which the pages' CSP (rightly) refuses otherwise
    context = browser.new_context(
        viewport={"width": desktop[0], "height": desktop[1]}, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: m.type == "error" and "favicon" not in m.text and errors.append(m.text),
    )
    problems: list[str] = []
    axe = Axe()

    def scrolls(name: str, width: str) -> None:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > WIDTHS[width][0]:
            problems.append(f"{name} ({width}): scrolls sideways ({scroll} px)")

    try:
        for name, path in PAGES.items():
            page.set_viewport_size({"width": desktop[0], "height": desktop[1]})
            url = f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}"
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            page.wait_for_load_state("load")
            html = page.locator("html")
            if html.get_attribute("lang") != lang:
                problems.append(f"{name}: lang={html.get_attribute('lang')}")
            if lang == "ar" and html.get_attribute("dir") != "rtl":
                problems.append(f"{name}: not dir=rtl")
            if lang != "en":
                left = _leftovers(page.evaluate(VISIBLE_TEXT), lang)
                if left:
                    problems.append(f"{name}: English left: {left[:6]}")
            scrolls(name, "desktop")
            if lang == AXE_EVERYWHERE or name in AXE_PAGES:
                bad = [
                    (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:2])
                    for v in axe.run(page).response["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                if bad:
                    problems.append(f"{name}: axe {bad}")
            _screenshot(page, lang, "desktop", name)
            page.set_viewport_size({"width": phone[0], "height": phone[1]})
            scrolls(name, "phone")
            _screenshot(page, lang, "phone", name)
            if errors:
                problems.append(f"{name}: console {errors[:3]}")
                errors.clear()
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
