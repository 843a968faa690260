"""The pglearn command line: `pglearn migrate|rollback|status|run-cycle|health|export-config`.

The DSN comes from --dsn, else $DATABASE_URL, else $PGLEARN_DSN.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import migrate as mig
from .client import Client


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
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
