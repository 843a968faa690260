"""docs/levers.md's lever table states the hard bounds of learning.lever_catalogue(), the one source: a lever or a
bound that drifts in either place fails here."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

LEVERS_MD = Path(__file__).resolve().parents[2] / "docs" / "levers.md"
ROW = re.compile(r"^\| `(?P<lever>[a-z0-9_.]+)` \|.*\| (?P<lo>-?[0-9.]+) - (?P<hi>-?[0-9.]+)(?: \([^|]*\))? \|$")


def docs_levers() -> dict[str, tuple[float, float]]:
    """{documented lever: (lo, hi)} from the table under "| lever | rule per epoch | bounds |"."""
    lines = LEVERS_MD.read_text().splitlines()
    start = lines.index("| lever | rule per epoch | bounds |")
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        m = ROW.match(line)
        assert m, f"docs/levers.md: cannot read the bounds of the lever row {line!r}"
        rows[m["lever"]] = (float(m["lo"]), float(m["hi"]))
    return rows


def catalogue_name(doc_lever: str) -> str:
    """signal_thresholds.<name> rows are the catalogue's threshold lever."""
    return "signal_threshold" if doc_lever.startswith("signal_thresholds.") else doc_lever


def test_docs_lever_table_matches_catalogue(dsn):
    with psycopg.connect(dsn) as conn:
        catalogue = {lever: (lo, hi) for lever, lo, hi in
                     conn.execute("SELECT lever, hard_lo, hard_hi FROM learning.lever_catalogue()")}
    documented = docs_levers()
    assert documented, "docs/levers.md has a lever table"
    for doc_lever, bounds in documented.items():
        name = catalogue_name(doc_lever)
        assert name in catalogue, f"docs/levers.md documents {doc_lever}, which learning.lever_catalogue() does not have"
        assert bounds == catalogue[name], f"docs/levers.md gives {doc_lever} the bounds {bounds}, the catalogue {catalogue[name]}"
    missing = set(catalogue) - {catalogue_name(d) for d in documented}
    assert not missing, f"levers of learning.lever_catalogue() missing from docs/levers.md: {sorted(missing)}"
