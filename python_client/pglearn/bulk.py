"""Bulk loading through COPY, so every row passes the same validation triggers as the single-row API."""

from __future__ import annotations

from typing import Iterable

import psycopg


def copy_rows(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple]) -> int:
    """COPY rows into learning.<table> (columns: the column list); returns how many were written.

    The bulk paths (`pglearn generate`, `pglearn import`) load in one transaction of their own, so this relaxes
    durability for that transaction only (SET LOCAL synchronous_commit = off; the server default stays on): a crash
    right after the commit may lose the whole batch, never part of it, and the caller can simply load it again.
    Nothing else is affected (docs/operations.md, "Durability").
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("SET LOCAL synchronous_commit = off")
    count = 0
    with conn.cursor().copy(f"COPY learning.{table} ({columns}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            count += 1
    return count
