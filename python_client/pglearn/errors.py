"""Typed exceptions, one per documented SQLSTATE (docs/api.md, "Errors")."""

from __future__ import annotations

import psycopg


class PglearnError(Exception):
    """A documented pglearn error raised by the database."""

    sqlstate: str = ""

    def __init__(self, message: str, *, sqlstate: str = "", hint: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate or self.sqlstate
        self.hint = hint


class InvalidValue(PglearnError):
    """22023: an argument or field has an invalid value (the message names the field)."""

    sqlstate = "22023"


class DuplicateTrade(PglearnError):
    """23505: the position is already closed."""

    sqlstate = "23505"


class UnknownScopeDimension(PglearnError):
    """LR001: a scope dimension is unknown or missing."""

    sqlstate = "LR001"


class UnknownActionType(PglearnError):
    """LR002: the action_type is not in learning.action_category_map."""

    sqlstate = "LR002"


class UnknownPosition(PglearnError):
    """LR003: closing a position with no logged action."""

    sqlstate = "LR003"


class NoRegimeData(PglearnError):
    """LR004: no phase state, bucket snapshot or token bucket at the requested time."""

    sqlstate = "LR004"


_BY_SQLSTATE = {
    cls.sqlstate: cls
    for cls in (InvalidValue, DuplicateTrade, UnknownScopeDimension, UnknownActionType, UnknownPosition, NoRegimeData)
}


def translate(exc: psycopg.Error) -> Exception:
    """Map a psycopg error with a documented SQLSTATE to its typed exception; others pass through."""
    cls = _BY_SQLSTATE.get(exc.sqlstate or "")
    if cls is None:
        return exc
    diag = exc.diag
    return cls(diag.message_primary or str(exc), sqlstate=exc.sqlstate or "", hint=diag.message_hint)
