"""CPU time of the one-off start-up work, printed as figures (the tests do not time it).

    python -m bench.startup [--no-reasoner]

- the GeoNames resolver index, built in a fresh interpreter (the first ``resolve_city``);
- each data file's parse, once that index is built (targets: index < 2 s, a file < 3 s CPU);
- HermiT's consistency check of the ontology, wall-clock (a Java process; target < 30 s).

CPU time (``process_time``) leaves out what other processes on the machine take.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def _index_seconds() -> float:
    code = (
        "import time; t = time.process_time(); from cckg.core import geonames; "
        "geonames.resolve_city('Köln', None); print(time.process_time() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-reasoner", action="store_true", help="skip the HermiT check (Java)")
    args = ap.parse_args(argv)

    from cckg.core import geonames
    from cckg.core.resources import CHECKOUT
    from cckg.loaders.tabular import parse_file

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'GeoNames resolver index (fresh process)':60} {_index_seconds():7.2f} s CPU")
    geonames._index()
    data = CHECKOUT / "data"
    files = sorted(p for p in data.rglob("*") if p.suffix in {".yaml", ".csv"})
    for path in files:
        start = time.process_time()
        parse_file(path)
        print(f"{str(path.relative_to(CHECKOUT)):60} {time.process_time() - start:7.2f} s CPU")
    if not args.no_reasoner:
        from cckg.core.ontology_check import check_ontology

        report = check_ontology(CHECKOUT / "ontology" / "cckg.ttl")
        print(f"{'HermiT consistency check':60} {report.seconds:7.2f} s wall")


if __name__ == "__main__":
    main()
