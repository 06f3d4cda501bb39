"""georange's exceptions. Every error the engine reports is a :class:`GeoRangeError` whose
``code`` is one of :data:`CODES` (the same words as the npm package's ``GeoRangeError.code``);
a bad coordinate also carries the caller's ``row``. Branch on those, never on the message.
"""

from __future__ import annotations


class GeoRangeError(Exception):
    """An error of georange, with a stable ``code`` and, for a bad coordinate, ``row``."""

    code = "backend"

    def __init__(self, message: str, code: str | None = None, row: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.row = row


class BadFile(GeoRangeError):
    """A file that is not a georange encoder or bank, or is damaged (``bad_file``)."""
    code = "bad_file"


class PairMismatch(GeoRangeError):
    """An encoder and a bank that were not made for each other (``pair_mismatch``)."""
    code = "pair_mismatch"


class BadCoordinate(GeoRangeError, ValueError):
    """A NaN, infinite or out-of-range coordinate; ``row`` is its row (``bad_coordinate``)."""
    code = "bad_coordinate"


class InvalidArgument(GeoRangeError, ValueError):
    """An argument out of its domain: an unknown model name, a wrong shape (``invalid_argument``)."""
    code = "invalid_argument"


class FileUnreadable(GeoRangeError, OSError):
    """A file that cannot be read: missing, a directory, no permission (``io``)."""
    code = "io"


class BackendError(GeoRangeError):
    """The compute backend failed (``backend``)."""
    code = "backend"


class DeviceLost(GeoRangeError):
    """The GPU device was lost (``device_lost``)."""
    code = "device_lost"


class Unavailable(GeoRangeError):
    """What was asked for does not exist here, e.g. no GPU for ``device="wgpu"`` (``unavailable``)."""
    code = "unavailable"


class Disposed(GeoRangeError):
    """The model was closed (``disposed``)."""
    code = "disposed"


class IntegrityError(GeoRangeError):
    """A file that is intact but not the one pinned by ``integrity=`` (``integrity``)."""
    code = "integrity"


BY_CODE = {
    cls.code: cls
    for cls in (BadFile, PairMismatch, BadCoordinate, InvalidArgument, FileUnreadable,
                BackendError, DeviceLost, Unavailable, Disposed, IntegrityError)
}
"""The exception class of each code; the engine raises through this table."""

CODES = tuple(BY_CODE)
"""Every code an error can carry."""
