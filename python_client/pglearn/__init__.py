"""pglearn: thin client for the Postgres-native v5 learning stack (schema `learning`)."""

from .cache import OverrideCache
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
    "OverrideCache",
    "PglearnError",
    "InvalidValue",
    "DuplicateTrade",
    "UnknownScopeDimension",
    "UnknownActionType",
    "UnknownPosition",
    "NoRegimeData",
]
