"""pglearn: thin client for the Postgres-native v5 learning stack (schema `learning`)."""

from .client import Client, Resolution
from .errors import (
    DuplicateTrade,
    InvalidValue,
    NoRegimeData,
    PglearnError,
    UnknownActionType,
    UnknownPosition,
    UnknownScopeDimension,
)

__all__ = [
    "Client",
    "Resolution",
    "PglearnError",
    "InvalidValue",
    "DuplicateTrade",
    "UnknownScopeDimension",
    "UnknownActionType",
    "UnknownPosition",
    "NoRegimeData",
]
