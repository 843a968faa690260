"""Bulk loading through COPY, so every row passes the same validation triggers as the single-row API."""

from __future__ import annotations

from typing import Iterable

import psycopg


def copy_rows(conn: psycopg.Connection, table: str, columns: str, rows: Iterable[tuple]) -> int:
    """COPY rows into learning.<table> (columns: the column list); returns how many were written."""
    count = 0
    with conn.cursor().copy(f"COPY learning.{table} ({columns}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            count += 1
    return count
