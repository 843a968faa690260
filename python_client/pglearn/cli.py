"""The pglearn command line: migrate, rollback, status, run-cycle, health, export-config, and the main job's
generate, replay, import, report, explain (docs/demo.md).

The DSN comes from --dsn, else $DATABASE_URL, else $PGLEARN_DSN.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from . import migrate as mig
from .client import Client
from .errors import PglearnError


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.dsn or os.environ.get("DATABASE_URL") or os.environ.get("PGLEARN_DSN")
    if not dsn:
        sys.exit("pglearn: no database: pass --dsn or set DATABASE_URL (make db prints one)")
    return dsn


def cmd_migrate(args: argparse.Namespace) -> None:
    print(json.dumps(mig.migrate(_dsn(args)), indent=2))


def cmd_rollback(args: argparse.Namespace) -> None:
    print(json.dumps({"rolled_back": mig.rollback(_dsn(args), count=args.count)}, indent=2))


def cmd_status(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        print(json.dumps(client.status(), indent=2, default=str))


def cmd_run_cycle(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        summary = client.run_learning_cycle(args.as_of)
    print(json.dumps(summary, indent=2))
    if not summary["ok"]:
        sys.exit(1)


def cmd_health(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        rows = client.health()
    width = max(len(name) for name, _, _ in rows)
    for name, ok, detail in rows:
        print(f"{'ok ' if ok else 'BAD'}  {name:<{width}}  {detail}")
    if not all(ok for _, ok, _ in rows):
        sys.exit(1)


def cmd_export_config(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        print(json.dumps(client.export_config(), indent=2))


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def cmd_generate(args: argparse.Namespace) -> None:
    import psycopg

    from .synthetic import generate

    with psycopg.connect(_dsn(args)) as conn:
        try:
            info = generate(conn, trades=args.trades, weeks=args.weeks, patterns=args.patterns, seed=args.seed)
        except ValueError as exc:
            sys.exit(f"pglearn generate: {exc}")
    print(json.dumps(info, indent=2))


def cmd_replay(args: argparse.Namespace) -> None:
    from .replay import Progress, parse_step, replay

    try:
        step, start, end = parse_step(args.step), _when(args.from_), _when(args.to)
    except ValueError as exc:
        sys.exit(f"pglearn replay: {exc}")
    bar: list[Progress] = []

    def on_step(done: int, total: int, result: dict) -> None:
        if not bar:
            bar.append(Progress(total))
        bar[0].update(done, f"as_of {result['as_of'][:10]} gen {result['generation']} {result['seconds']}s"
                            + ("" if result["ok"] else " FAILED JOB"))

    with Client(_dsn(args)) as client:
        try:
            summary = replay(client, start, end, step, on_step=on_step)
        except (PglearnError, ValueError) as exc:  # the run is recorded as failed with the error
            sys.exit(f"pglearn replay: {exc}")
    print(json.dumps(summary, indent=2))
    if summary["failed_steps"]:
        sys.exit(1)


def cmd_import(args: argparse.Namespace) -> None:
    import psycopg

    from .importer import ImportLineError, import_history

    with psycopg.connect(_dsn(args)) as conn:
        try:
            print(json.dumps(import_history(conn, args.actions, args.trades), indent=2))
        except ImportLineError as exc:
            sys.exit(f"pglearn import: {exc} [SQLSTATE {exc.sqlstate}]; nothing was loaded")


def cmd_report(args: argparse.Namespace) -> None:
    import psycopg

    from .report import write_report

    with psycopg.connect(_dsn(args)) as conn:
        text, path = write_report(conn, Path(args.out))
    print(text)
    print(f"HTML report: {path}")


def cmd_explain(args: argparse.Namespace) -> None:
    try:
        scope = json.loads(args.scope)
    except json.JSONDecodeError as exc:
        sys.exit(f"pglearn explain: SCOPE_JSON is not valid JSON: {exc}")
    with Client(_dsn(args)) as client:
        try:
            print(json.dumps(client.explain_override(args.pattern_key, args.category, scope), indent=2, default=str))
        except PglearnError as exc:
            sys.exit(f"pglearn explain: {exc}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pglearn", description=__doc__)
    parser.add_argument("--dsn", help="PostgreSQL connection string (default: $DATABASE_URL)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "migrate", parents=[common], help="apply migrations, then re-apply db/functions and db/jobs"
    ).set_defaults(func=cmd_migrate)
    rb = sub.add_parser("rollback", parents=[common], help="roll back applied migrations (all by default)")
    rb.add_argument("--count", type=int, default=None, help="how many migrations to roll back")
    rb.set_defaults(func=cmd_rollback)
    sub.add_parser("status", parents=[common], help="what is installed, row counts").set_defaults(func=cmd_status)
    rc = sub.add_parser("run-cycle", parents=[common], help="run aggregation -> lessons -> materialization")
    rc.add_argument("--as-of", default=None, help="timestamp the cycle sees history up to (default: now)")
    rc.set_defaults(func=cmd_run_cycle)
    sub.add_parser("health", parents=[common], help="the section-7 health checks; exit 1 unless all ok").set_defaults(
        func=cmd_health
    )
    sub.add_parser("export-config", parents=[common], help="print the override documents (roadmap 1.5)").set_defaults(
        func=cmd_export_config
    )
    gen = sub.add_parser("generate", parents=[common], help="load a deterministic synthetic market with planted edges")
    gen.add_argument("--trades", type=int, default=4000)
    gen.add_argument("--weeks", type=int, default=12)
    gen.add_argument("--patterns", type=int, default=12)
    gen.add_argument("--seed", type=int, default=7)
    gen.set_defaults(func=cmd_generate)
    rp = sub.add_parser("replay", parents=[common], help="walk-forward: the learning cycle as of each step")
    rp.add_argument("--from", dest="from_", default=None, help="first as_of (default: first close + one step)")
    rp.add_argument("--to", default=None, help="last as_of (default: last close)")
    rp.add_argument("--step", default="1w", help="step: 1w, 3d, 12h ... (default 1w)")
    rp.set_defaults(func=cmd_replay)
    im = sub.add_parser("import", parents=[common], help="load actions.jsonl and trades.jsonl (all or nothing)")
    im.add_argument("actions", type=Path)
    im.add_argument("trades", type=Path)
    im.set_defaults(func=cmd_import)
    rep = sub.add_parser("report", parents=[common], help="planted vs learned, overrides, scores, health; writes report.html")
    rep.add_argument("--out", default="out", help="directory of report.html (default out/)")
    rep.set_defaults(func=cmd_report)
    ex = sub.add_parser("explain", parents=[common], help="which override applies to a scope, and why")
    ex.add_argument("pattern_key")
    ex.add_argument("category")
    ex.add_argument("scope", metavar="SCOPE_JSON")
    ex.set_defaults(func=cmd_explain)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
