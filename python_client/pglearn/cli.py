"""The pglearn command line: `pglearn migrate|rollback|status`.

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
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
