"""The single source of truth for every table: the field registry and what is generated from it."""

from schemas.registry import Field, ForeignKey, Registry, Table
from schemas.tables import REGISTRY

__all__ = ["REGISTRY", "Field", "ForeignKey", "Registry", "Table"]
