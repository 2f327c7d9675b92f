"""Sextant's exceptions, one class per kind of core error.

Every exception carries ``.code``, a stable string such as ``"EXPERIMENT_NOT_FOUND"``. The
classes mix in the built-in exception Python code already catches for that kind of
problem: ``KeyError`` for things not found, ``ValueError`` for bad input (luml-sdk raises
``ValueError`` for these too, so ``except ValueError`` keeps working).
"""

from __future__ import annotations


class SextantError(Exception):
    """Base class of every error Sextant raises; ``code`` names the kind."""

    code: str
    message: str

    def __init__(self, message: str, code: str = "SEXTANT_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return self.message

    def __reduce__(self):  # picklable across processes (multiprocessing, Ray)
        return (type(self), (self.message, self.code))


class NotFoundError(SextantError, KeyError, ValueError):
    """An experiment, attachment or trace that does not exist: a ``KeyError``, and a
    ``ValueError`` too because luml-sdk raises that for unknown experiments and
    attachments."""


class ExperimentNotFoundError(NotFoundError):
    pass


class AttachmentNotFoundError(NotFoundError):
    pass


class TraceNotFoundError(NotFoundError):
    pass


class InvalidInputError(SextantError, ValueError):
    """A key, name, id, step, value or argument that breaks the tracker's rules."""


class InvalidTypeError(InvalidInputError, TypeError):
    """A value of the wrong type (a metric that is not a number, a param that is not
    JSON-serialisable): catchable as ``TypeError`` and as ``ValueError``."""


class InvalidConnectionError(InvalidInputError):
    """A connection string without ``backend://`` or naming an unknown backend."""


class NoActiveExperimentError(InvalidInputError):
    """A call that needs an experiment, with none current and no ``experiment_id``."""


class ExperimentStateError(SextantError, ValueError):
    """Logging to an experiment that has ended or that this tracker did not open."""


class ExperimentExistsError(ExperimentStateError):
    pass


class SnapshotError(SextantError, ValueError):
    """A snapshot file that is not a valid luml/Sextant snapshot."""


class StorageError(SextantError):
    """The store failed (I/O, database, network); nothing already stored was lost."""


class QuotaExceededError(StorageError):
    pass


class CorruptStoreError(StorageError):
    pass


class ReadOnlyError(StorageError, PermissionError):
    """The store was opened read-only (a read-only mount); nothing can be written."""


class PermissionDeniedError(SextantError, PermissionError):
    """A server refused the token (``UNAUTHORIZED``) or what it may do (``FORBIDDEN``)."""


class UnavailableError(StorageError, ConnectionError):
    """A remote store cannot be reached right now; buffered data is kept and retried."""


__all__ = [
    "AttachmentNotFoundError",
    "CorruptStoreError",
    "ExperimentExistsError",
    "ExperimentNotFoundError",
    "ExperimentStateError",
    "InvalidConnectionError",
    "InvalidInputError",
    "InvalidTypeError",
    "NoActiveExperimentError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "ReadOnlyError",
    "SextantError",
    "SnapshotError",
    "StorageError",
    "TraceNotFoundError",
    "UnavailableError",
]
