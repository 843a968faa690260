"""The docs against the database they describe (issue 12): docs/operations.md's pm_config table against the shipped
pm_config of the freshly migrated test database, its jobs table against learning.job_registry, and the Client
docstring and the CLI help of the learning cycle against the registry. Fast: reads only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from pglearn import Client
from pglearn import cli

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section (up to the next `## `)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/operations.md has no section '## {heading}'"
    return match.group(1)


def table(body: str) -> list[list[str]]:
    """The rows of the first Markdown table of a section, header and separator left out, cells stripped."""
    lines = [line.strip() for line in body.splitlines() if line.strip().startswith("|")]
    assert len(lines) > 2, "no table"
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))] for line in lines[2:]]


def documented_config() -> dict[str, object]:
    """docs/operations.md "pm_config": {"tunables.x": value, "feature_flags.y": value}; one row may name several keys
    (`tunables.a`, `b`) with their values comma-separated in the same order."""
    rows = table(section(OPERATIONS.read_text(), "pm_config"))
    doc: dict[str, object] = {}
    for row in rows:
        names = re.findall(r"`([^`]+)`", row[0])
        assert names, f"no key in row {row}"
        group = names[0].split(".", 1)[0]
        keys = [names[0]] + [n if "." in n else f"{group}.{n}" for n in names[1:]]
        value = row[1]
        if keys == ["tunables.n_min"]:
            doc[keys[0]] = {k: int(v) for k, v in re.findall(r"(k\w+) (\d+)", value)}
        elif keys == ["tunables.lever_bounds"]:
            doc[keys[0]] = value  # the hard bounds: compared with the lever catalogue below
        else:
            values = [value] if len(keys) == 1 else [v.strip() for v in value.split(",")]
            assert len(values) == len(keys), f"{len(keys)} keys but {len(values)} values in row {row}"
            for k, v in zip(keys, values):
                try:
                    doc[k] = json.loads(v)
                except json.JSONDecodeError:
                    pytest.fail(f"docs/operations.md pm_config: the value of {k} is not JSON: {v!r}")
    return doc


@pytest.fixture(scope="module")
def db(dsn):
    with psycopg.connect(dsn) as conn:
        config = conn.execute("SELECT config FROM learning.learning_configs WHERE config_key = 'pm_config'").fetchone()[0]
        jobs = conn.execute("SELECT job, stage, cron_name, cron_schedule, meta_learning, requires"
                            " FROM learning.job_registry ORDER BY stage").fetchall()
        hard = None
        if conn.execute("SELECT to_regprocedure('learning.lever_catalogue()')").fetchone()[0]:
            hard = {lever: [lo, hi] for lever, lo, hi in
                    conn.execute("SELECT lever, hard_lo, hard_hi FROM learning.lever_catalogue()")}
    return {"config": config, "jobs": jobs, "hard": hard}


def test_pm_config_defaults_documented_as_shipped(db):
    doc = documented_config()
    shipped = {f"{group}.{k}": v for group in ("feature_flags", "tunables") for k, v in db["config"][group].items()}
    assert sorted(set(shipped) - set(doc)) == [], "pm_config keys missing from docs/operations.md's table"
    assert sorted(set(doc) - set(shipped)) == [], "docs/operations.md documents keys pm_config does not have"
    wrong = {k: {"docs": doc[k], "pm_config": shipped[k]} for k in doc
             if k != "tunables.lever_bounds" and doc[k] != shipped[k]}
    assert wrong == {}, "docs/operations.md's pm_config table differs from the shipped pm_config"
    if db["hard"] is not None:  # shipped lever bounds = the hard bounds of the lever catalogue (documented: roadmap 5.1)
        assert {k: [float(x) for x in v] for k, v in shipped["tunables.lever_bounds"].items()} == db["hard"]


def test_jobs_table_is_the_registry(db):
    rows = [r for r in table(section(OPERATIONS.read_text(), "Jobs (pg_cron)")) if r[0].isdigit()]
    documented = [(int(r[0]), r[1].strip("`"), r[2].strip("`"), r[3].strip("`")) for r in rows]
    registry = [(stage, job, cron_name, schedule) for job, stage, cron_name, schedule, _, _ in db["jobs"]]
    assert documented == registry, "docs/operations.md's jobs table differs from learning.job_registry"
    notes = {r[1].strip("`"): r[4] for r in rows}
    for job, _, _, _, meta, requires in db["jobs"]:
        assert ("meta-learning" in notes[job]) == meta, f"{job}: meta-learning note"
        named = re.findall(r"`(\w+)`", notes[job].split("requires", 1)[1]) if "requires" in notes[job] else []
        assert named == list(requires), f"{job}: requires note"


def test_cycle_docstring_and_cli_help_name_every_job(db, capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    docstring = " ".join((Client.run_learning_cycle.__doc__ or "").split())
    for job, *_ in db["jobs"]:
        assert job in docstring, f"Client.run_learning_cycle's docstring does not name {job}"
        assert job in help_text, f"`pglearn --help` (run-cycle) does not name {job}"
