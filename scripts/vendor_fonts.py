"""Install the Noto web fonts for the scripts in the data (``make setup`` runs this).

City and country names come in some 30 scripts (GeoNames alternate names: Arabic, Cyrillic,
Devanagari, CJK, Thai, Ethiopic, …); without a font for a script a browser shows empty boxes.
This installs the Fontsource packages of Noto (SIL Open Font License) with npm into a temporary
folder and copies the regular weight (and bold for Arabic, a UI language) of each script's
subsets as WOFF2 into ``cckg/webapp/static/vendor/fonts/``, with one ``fonts.css`` whose
``unicode-range`` rules make a browser fetch only the files for characters a page shows.
The folder is not in git (about 30 MB, most of it CJK); base.html links ``fonts.css`` when it
is there. Usage: ``python scripts/vendor_fonts.py [--force]``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "cckg" / "webapp" / "static" / "vendor" / "fonts"
VERSION = "5.3.0"
# package → the weights to ship. noto-sans brings Cyrillic, Greek and Devanagari; Latin stays
# with the system fonts (its subsets are left out below).
PACKAGES = {
    "noto-sans": (400,),
    "noto-sans-arabic": (400, 700),
    "noto-sans-armenian": (400,),
    "noto-sans-bengali": (400,),
    "noto-sans-devanagari": (400,),
    "noto-sans-ethiopic": (400,),
    "noto-sans-georgian": (400,),
    "noto-sans-gujarati": (400,),
    "noto-sans-gurmukhi": (400,),
    "noto-sans-hebrew": (400,),
    "noto-sans-jp": (400,),
    "noto-sans-kannada": (400,),
    "noto-sans-khmer": (400,),
    "noto-sans-kr": (400,),
    "noto-sans-malayalam": (400,),
    "noto-sans-myanmar": (400,),
    "noto-sans-oriya": (400,),
    "noto-sans-sc": (400,),
    "noto-sans-sinhala": (400,),
    "noto-sans-syriac": (400,),
    "noto-sans-tamil": (400,),
    "noto-sans-telugu": (400,),
    "noto-sans-thai": (400,),
    "noto-serif-tibetan": (400,),
}
SKIP = re.compile(r"-(latin|latin-ext|vietnamese|math|symbols)-\d+-normal$")
FACE = re.compile(r"/\* (?P<name>[\w\[\]-]+) \*/\s*@font-face \{(?P<body>.*?)\}", re.S)
SRC = re.compile(r"src: url\(\./files/(?P<file>[\w-]+\.woff2)\) format\('woff2'\)[^;]*;")


def faces(package_dir: Path, weight: int) -> list[tuple[str, str]]:
    """(woff2 file name, @font-face rule) of one weight, script subsets only."""
    css = (package_dir / f"{weight}.css").read_text(encoding="utf-8")
    out = []
    for m in FACE.finditer(css):
        if SKIP.search(m["name"]):
            continue
        src = SRC.search(m["body"])
        if src is None:
            raise SystemExit(f"{package_dir.name}/{weight}.css: no woff2 source in {m['name']}")
        body = SRC.sub(f"src: url(files/{src['file']}) format('woff2');", m["body"])
        out.append((src["file"], f"/* {m['name']} */\n@font-face {{{body}}}\n"))
    return out


def main(argv: list[str]) -> int:
    if (TARGET / "fonts.css").exists() and "--force" not in argv:
        print(f"fonts: {TARGET.relative_to(ROOT)} is there (--force to reinstall)")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("fonts: npm is missing; names in non-Latin scripts use the system fonts only")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "package.json").write_text('{"private": true}', encoding="utf-8")
        specs = [f"@fontsource/{p}@{VERSION}" for p in PACKAGES]
        subprocess.run(  # noqa: S603 (fixed arguments)
            [npm, "install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts", *specs],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        staging = TARGET.with_name("fonts.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "files").mkdir(parents=True)
        rules, installed = [], {}
        for package, weights in PACKAGES.items():
            source = Path(tmp) / "node_modules" / "@fontsource" / package
            installed[package] = json.loads((source / "package.json").read_text())["version"]
            for weight in weights:
                for file, rule in faces(source, weight):
                    shutil.copy2(source / "files" / file, staging / "files" / file)
                    rules.append(rule)
        licence = Path(tmp) / "node_modules" / "@fontsource" / "noto-sans" / "LICENSE"
        shutil.copy2(licence, staging / "LICENSE")
    header = "/* Noto fonts from Fontsource (SIL OFL 1.1): scripts/vendor_fonts.py */\n"
    (staging / "fonts.css").write_text(header + "\n".join(rules), encoding="utf-8")
    (staging / "packages.json").write_text(json.dumps(installed, indent=1), encoding="utf-8")
    shutil.rmtree(TARGET, ignore_errors=True)
    staging.rename(TARGET)
    size = sum(f.stat().st_size for f in TARGET.rglob("*")) / 1e6
    print(f"fonts: {len(rules)} faces from {len(installed)} packages, {size:.1f} MB in {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
