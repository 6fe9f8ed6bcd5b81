"""The scorer's user errors: the CLI prints the one-line message of any of them and exits non-zero.

What belongs here: the exception classes, nothing else.
"""

from __future__ import annotations


class EvaluationError(Exception):
    """A user error: the CLI prints the one-line message and exits non-zero."""


class GoldFileError(EvaluationError):
    """A gold file is missing or cannot be read."""


class GoldFormatError(EvaluationError, ValueError):
    """A gold line is not valid JSON or not a gold article; names the file and line."""


class WarehouseError(EvaluationError):
    """The warehouse folder, its DuckDB file or one of its tables is missing or unreadable."""


class NoGoldArticlesError(EvaluationError):
    """None of the gold articles is in the warehouse, so there is nothing to score."""
