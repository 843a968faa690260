"""The pglearn command line: migrate, rollback, status, run-cycle, health, alerts, dashboard, export-config, and the
main job's generate, replay, import, report, explain (docs/demo.md).

The DSN comes from --dsn, else $DATABASE_URL, else $PGLEARN_DSN.

Every command turns argument and database errors into one line on stderr ("pglearn <command>: <reason>") and a
non-zero exit: 2 for a bad argument, 1 for everything else (the server unreachable, a database error with its
SQLSTATE, a file that cannot be read or written). PGLEARN_DEBUG=1 shows the traceback as well.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

import psycopg

from . import migrate as mig
from .client import PATTERN_KEY_RE, Client
from .errors import PglearnError


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block): `pglearn <command>: <reason>`, exit 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {_one_line(message)}\n")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return value


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp (e.g. 2026-03-01T00:00:00+00:00)") from None


def _pattern_key(text: str) -> str:
    if not PATTERN_KEY_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"pattern key {text[:60]!r} is malformed: pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-],"
            " at most 200 characters")
    return text


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.dsn or os.environ.get("DATABASE_URL") or os.environ.get("PGLEARN_DSN")
    if not dsn:
        sys.exit("pglearn: no database: pass --dsn or set DATABASE_URL (make db prints one)")
    return dsn


def _describe(exc: BaseException) -> str:
    """One line for an error: a database error's primary message and SQLSTATE, else the exception's text."""
    if isinstance(exc, psycopg.Error):
        diag = exc.diag
        text = diag.message_primary or str(exc) or type(exc).__name__
        if exc.sqlstate:
            text += f" [SQLSTATE {exc.sqlstate}]"
        return _one_line(text)
    if isinstance(exc, PglearnError) and exc.sqlstate:
        return _one_line(f"{exc} [SQLSTATE {exc.sqlstate}]")
    if isinstance(exc, OSError) and exc.strerror:
        return _one_line(f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror)
    return _one_line(str(exc) or type(exc).__name__)


def cmd_migrate(args: argparse.Namespace) -> None:
    print(json.dumps(mig.migrate(_dsn(args)), indent=2))


def cmd_rollback(args: argparse.Namespace) -> None:
    print(json.dumps({"rolled_back": mig.rollback(_dsn(args), count=args.count)}, indent=2))


def cmd_status(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        print(json.dumps(client.status(), indent=2, default=str))


def cmd_run_cycle(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        summary = client.run_learning_cycle(args.as_of)  # a datetime, parsed by argparse
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


def cmd_alerts(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        rows = client.alerts(include_resolved=args.all)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    elif not rows:
        print("no open alert")
    for a in rows if not args.json else []:
        state = "open" if a["open"] else f"resolved {a['resolved_at']:%Y-%m-%d %H:%M}"
        print(f"{a['severity']:<8} {a['kind']:<22} {a['subject']}: {a['detail']} (since {a['first_seen']:%Y-%m-%d %H:%M}, {state})")
    if any(a["open"] and a["severity"] in ("critical", "warning") for a in rows):
        sys.exit(1)


def cmd_dashboard(args: argparse.Namespace) -> None:
    from .dashboard import serve

    print(f"pglearn dashboard: http://{args.host}:{args.port}/ (read-only, as pglearn_reader; Ctrl-C stops it)",
          file=sys.stderr, flush=True)
    serve(_dsn(args), host=args.host, port=args.port)


def cmd_export_config(args: argparse.Namespace) -> None:
    with Client(_dsn(args)) as client:
        print(json.dumps(client.export_config(), indent=2))


def _when(text: str | None) -> datetime | None:
    return _timestamp(text) if text else None


def cmd_generate(args: argparse.Namespace) -> None:
    from .synthetic import generate

    with psycopg.connect(_dsn(args)) as conn:
        try:
            info = generate(conn, trades=args.trades, weeks=args.weeks, patterns=args.patterns, seed=args.seed)
        except ValueError as exc:
            sys.exit(f"pglearn generate: {_one_line(exc)}")
    print(json.dumps(info, indent=2))


def cmd_replay(args: argparse.Namespace) -> None:
    from .progress import StepBar
    from .replay import parse_step, replay

    try:
        step, start, end = parse_step(args.step), _when(args.from_), _when(args.to)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        sys.exit(f"pglearn replay: {_one_line(exc)}")
    bar = StepBar("replay")

    def on_step(done: int, total: int, result: dict) -> None:
        bar.update(done, total, f"as_of {result['as_of'][:10]} gen {result['generation']} {result['seconds']}s"
                                + ("" if result["ok"] else " FAILED JOB"))

    with Client(_dsn(args)) as client:
        try:
            summary = replay(client, start, end, step, on_step=on_step)
        except (PglearnError, ValueError) as exc:  # the run is recorded as failed with the error
            sys.exit(f"pglearn replay: {_one_line(exc)}")
    print(json.dumps(summary, indent=2))
    if summary["failed_steps"]:
        sys.exit(1)


def cmd_import(args: argparse.Namespace) -> None:
    from .importer import ImportLineError, check_readable, import_history

    check_readable(args.actions, args.trades)  # before connecting: a missing file is one line, nothing loaded
    with psycopg.connect(_dsn(args)) as conn:
        try:
            print(json.dumps(import_history(conn, args.actions, args.trades), indent=2))
        except ImportLineError as exc:
            sys.exit(f"pglearn import: {_one_line(exc)} [SQLSTATE {exc.sqlstate}]; nothing was loaded")


def cmd_report(args: argparse.Namespace) -> None:
    from .report import write_report

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        sys.exit(f"pglearn report: {out} exists and is not a directory")
    with psycopg.connect(_dsn(args)) as conn:
        text, path = write_report(conn, Path(args.out))
    print(text)
    print(f"HTML report: {path}")


def cmd_explain(args: argparse.Namespace) -> None:
    try:
        scope = json.loads(args.scope)
    except json.JSONDecodeError as exc:
        sys.exit(f"pglearn explain: SCOPE_JSON is not valid JSON: {_one_line(exc)}")
    if not isinstance(scope, dict):
        sys.exit("pglearn explain: SCOPE_JSON must be a JSON object")
    with Client(_dsn(args)) as client:
        try:
            print(json.dumps(client.explain_override(args.pattern_key, args.category, scope), indent=2, default=str))
        except PglearnError as exc:
            sys.exit(f"pglearn explain: {_one_line(exc)}")


def main(argv: list[str] | None = None) -> None:
    parser = _Parser(prog="pglearn", description=__doc__)
    parser.add_argument("--dsn", help="PostgreSQL connection string (default: $DATABASE_URL)")
    common = _Parser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser(
        "migrate", parents=[common], help="apply migrations, then re-apply db/functions and db/jobs"
    ).set_defaults(func=cmd_migrate)
    rb = sub.add_parser("rollback", parents=[common], help="roll back applied migrations (all by default)")
    rb.add_argument("--count", type=_positive_int, default=None, help="how many migrations to roll back (>= 1)")
    rb.set_defaults(func=cmd_rollback)
    sub.add_parser("status", parents=[common], help="what is installed, row counts").set_defaults(func=cmd_status)
    rc = sub.add_parser(
        "run-cycle", parents=[common],
        help="run the eight jobs of learning.job_registry in stage order: aggregate_pattern_scope_stats -> "
             "learn_regime_weights -> cluster_latent_factors -> build_lessons -> estimate_half_lives -> "
             "materialize_overrides -> evaluate_alerts -> fold_in_closes (exit 1 unless ok)",
    )
    rc.add_argument("--as-of", type=_timestamp, default=None,
                    help="ISO 8601 timestamp the cycle sees history up to (default: now)")
    rc.set_defaults(func=cmd_run_cycle)
    sub.add_parser("health", parents=[common], help="the section-7 health checks; exit 1 unless all ok").set_defaults(
        func=cmd_health
    )
    al = sub.add_parser("alerts", parents=[common],
                        help="the open alerts of learning.v_alerts (exit 1 if a critical or warning one is open)")
    al.add_argument("--all", action="store_true", help="the resolved alerts too")
    al.add_argument("--json", action="store_true", help="JSON instead of one line per alert")
    al.set_defaults(func=cmd_alerts)
    db = sub.add_parser("dashboard", parents=[common],
                        help="the operator's web dashboard, read-only as pglearn_reader (docs/operations.md)")
    db.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    db.add_argument("--port", type=_positive_int, default=8050, help="port (default 8050)")
    db.set_defaults(func=cmd_dashboard)
    sub.add_parser("export-config", parents=[common], help="print the override documents (roadmap 1.5)").set_defaults(
        func=cmd_export_config
    )
    gen = sub.add_parser("generate", parents=[common], help="load a deterministic synthetic market with planted edges")
    gen.add_argument("--trades", type=_positive_int, default=4000)
    gen.add_argument("--weeks", type=_positive_int, default=12)
    gen.add_argument("--patterns", type=_positive_int, default=12)
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
    ex.add_argument("pattern_key", type=_pattern_key)
    ex.add_argument("category")
    ex.add_argument("scope", metavar="SCOPE_JSON")
    ex.set_defaults(func=cmd_explain)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a traceback
        if os.environ.get("PGLEARN_DEBUG"):
            traceback.print_exc()
        sys.exit(f"pglearn {args.command}: {_describe(exc)}")


if __name__ == "__main__":
    main()
