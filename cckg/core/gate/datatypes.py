"""When a literal is ill-typed, as pySHACL decides it: rdflib's lexical parsing plus pySHACL's
check that the parsed Python value has the datatype's type (``sh:datatype`` relies on it)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from rdflib import RDF, RDFS, Literal
from rdflib.namespace import XSD

# pySHACL's check that a well-formed literal's Python value has the expected type.
VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    str(XSD.string): (str, bytes),
    str(RDF.langString): (str, bytes),
    str(XSD.integer): int,
    str(XSD.float): float,
    str(XSD.decimal): Decimal,
    str(XSD.boolean): bool,
    str(XSD.date): date,
    str(XSD.time): time,
    str(XSD.dateTime): datetime,
}
# Lexical forms that rdflib certainly parses to a value of the right type (a subset of XSD).
SURELY_VALID = {
    XSD.integer: r"^[+-]?[0-9]+$",
    XSD.decimal: r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$",
    XSD.boolean: r"^(true|false|1|0)$",
}
# Datatypes whose literals can never be ill-typed for sh:datatype (no lexical check needed).
NEVER_ILL = frozenset((XSD.string, RDF.langString, RDFS.Literal))


def well_typed(lit: Literal) -> bool:
    """pySHACL's test of a literal against its own datatype (rdflib's lexical parsing)."""
    if getattr(lit, "ill_typed", None) is True:
        return False
    wanted = VALUE_TYPES.get(str(lit.datatype))
    return wanted is None or isinstance(lit.value, wanted)
