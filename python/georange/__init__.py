"""georange: RANGE geo-embeddings (CVPR 2025) from Python, on the engine of the georange npm
package and CLI (the same numbers as the browser computes).

>>> import georange, numpy as np
>>> m = georange.Model("encoder.safetensors", bank="bank.safetensors", device="cpu")
>>> v = m.embed(np.array([[-90.19, 38.63], [85.32, 27.72]]), variant="range+", beta=0.5)
>>> v.shape == (2, m.dim("range+"))
True

Files are paths or bytes, made by ``georange convert`` (the official SatCLIP checkpoint and
RANGE database, or GeoCLIP's weights). A :class:`Model` computes with the GIL released, on
``threads`` threads; it pickles as its sources and options, and a process that unpickles it
loads the files once however many tasks it runs (Dask, multiprocessing). ``georange.dask``
embeds Dask DataFrames.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from typing import Callable, List, Optional, Tuple, Union

import numpy as np

from . import _georange
from .errors import (BY_CODE, CODES, BackendError, BadCoordinate, BadFile, DeviceLost, Disposed,
                     FileUnreadable, GeoRangeError, IntegrityError, InvalidArgument, PairMismatch, Unavailable)

from .probe import Probe, labels_from_geojson
from .raster import raster

__version__: str = _georange.__version__
"""The package's version: the workspace's (Cargo.toml), as the npm package's and the CLI's."""

__all__ = [
    "Model", "Probe", "labels_from_geojson", "raster", "VARIANTS", "MODELS", "GeoRangeError", "BadFile", "PairMismatch", "BadCoordinate", "InvalidArgument",
    "FileUnreadable", "BackendError", "DeviceLost", "Unavailable", "Disposed", "IntegrityError", "CODES", "BY_CODE",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray]
Progress = Union[None, bool, Callable[[int, int], None]]

VARIANTS = ("encoder", "range", "range+")
"""The variants: the location encoder alone, RANGE, RANGE+."""

MODELS = VARIANTS
"""The first name of :data:`VARIANTS` (kept for old code)."""

BATCH = 8192
"""Points per batch by default (the engine cuts them): progress is reported after each."""


def _source_key(source: Source):
    """What identifies a file in the per-process cache: its absolute path, or its bytes' hash."""
    if isinstance(source, (bytes, bytearray)):
        return ("bytes", hashlib.sha256(source).hexdigest())
    return ("path", os.path.abspath(os.fspath(source)))


def _source(source: Source) -> Source:
    """A source as a Model keeps it: bytes, or a path as a string."""
    return bytes(source) if isinstance(source, (bytes, bytearray)) else os.fspath(source)


_LOADED: dict = {}
_LOADED_LOCK = threading.Lock()


def _restore(encoder: Source, bank: Optional[Source], options: dict) -> "Model":
    """Unpickles a Model: the one this process already loaded from the same sources and
    options, or a new one (loaded once per process, however many tasks unpickle it)."""
    key = (os.getpid(), _source_key(encoder), bank and _source_key(bank), tuple(sorted(options.items())))
    with _LOADED_LOCK:
        model = _LOADED.get(key)
        if model is None:
            model = _LOADED[key] = Model(encoder, bank, **options)
        return model


def _reporter(progress: Progress, total: int) -> Tuple[Callable[[int], None], Callable[[], None]]:
    """`(report(done), close())` for a `progress` argument: a callback, or True for a tqdm bar
    (when tqdm is installed)."""
    if callable(progress):
        return (lambda done: progress(done, total)), (lambda: None)
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return (lambda done: None), (lambda: None)
        bar = tqdm(total=total, unit="pt", desc="georange")
        return (lambda done: bar.update(done - bar.n)), bar.close
    return (lambda done: None), (lambda: None)


def _variant(variant: Optional[str], model: Optional[str], where: str, default: Optional[str]) -> Optional[str]:
    """The variant a call names: ``variant``, or its first name ``model`` (deprecated)."""
    if model is not None:
        warnings.warn(f"georange: {where}'s argument `model` is now `variant`", DeprecationWarning, stacklevel=3)
        if variant is None:
            variant = model
    return variant if variant is not None else default


class Model:
    """An encoder and, optionally, a bank, loaded for embedding.

    Args:
        encoder: the encoder file (``georange convert …``): a path or its bytes.
        bank: the bank file, a path or bytes; without it only ``model="encoder"`` works.
        device: ``"cpu"``, ``"webgpu"`` (also ``"wgpu"``: Vulkan/Metal; fails without a GPU)
            or ``"auto"`` (the GPU, else the CPU; :attr:`note` says why).
        threads: threads for its calls (default: the CPUs this process may use).
        geo_cutoff_deg: approximate RANGE+ (bank rows further than this from a point are
            skipped); ``None``: exact.
        integrity: pins the files, ``{"encoder": "blake3-<hex>", "bank": ...}``: each its
            file's content hash (``georange info FILE`` prints it); a file that is another is
            refused with :class:`IntegrityError` before it is used.

    Raises:
        FileUnreadable, BadFile, PairMismatch, Unavailable, IntegrityError: see :mod:`georange.errors`.
    """

    def __init__(self, encoder: Source, bank: Optional[Source] = None, *, device: str = "cpu",
                 threads: Optional[int] = None, geo_cutoff_deg: Optional[float] = None,
                 integrity: Optional[dict] = None):
        self._encoder = _source(encoder)
        self._bank = None if bank is None else _source(bank)
        pins = dict(integrity or {})
        unknown = set(pins) - {"encoder", "bank"}
        if unknown:
            raise InvalidArgument(f"integrity: unknown files {sorted(unknown)} (encoder, bank)", "invalid_argument")
        self._options = {"device": device, "threads": threads, "geo_cutoff_deg": geo_cutoff_deg, "integrity": tuple(sorted(pins.items())) or None}
        self._engine = _georange.Engine(self._encoder, self._bank, device, threads, geo_cutoff_deg,
                                        pins.get("encoder"), pins.get("bank"))

    def __reduce__(self):
        return (_restore, (self._encoder, self._bank, self._options))

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Frees the model; later calls raise :class:`Disposed`."""
        self._engine = None

    @property
    def _live(self):
        if self._engine is None:
            raise Disposed("the model was closed", "disposed")
        return self._engine

    @property
    def backend(self) -> str:
        """Where it computes: ``"cpu"`` or ``"webgpu"``."""
        return self._live.backend

    @property
    def note(self) -> str:
        """Why :attr:`backend` differs from the device asked for (``""`` if it does not)."""
        return self._live.note

    @property
    def threads(self) -> int:
        """How many threads its calls use."""
        return self._live.threads

    @property
    def has_bank(self) -> bool:
        return self._bank is not None

    @property
    def _default_variant(self) -> str:
        """What :meth:`embed` computes unless told: RANGE+ with a bank, else the encoder."""
        return "range+" if self.has_bank else "encoder"

    def dim(self, variant: str = "range+", *, model: Optional[str] = None) -> int:
        """The width of ``variant``'s embeddings (``"encoder"``, ``"range"`` or ``"range+"``)."""
        return self._live.dim(_variant(variant if model is None else None, model, "Model.dim", "range+"))

    def high_part(self, embeddings: np.ndarray, variant: Optional[str] = None) -> np.ndarray:
        """The high-resolution part of ``variant``'s embeddings: a view of their first columns,
        before the encoder's (none for ``"encoder"``); ``variant`` defaults as :meth:`embed`'s."""
        variant = variant or self._default_variant
        return np.asarray(embeddings)[..., : self._live.high_dim(variant)]

    def embed(self, lonlat, variant: Optional[str] = None, beta: float = 0.5, *, batch_size: int = BATCH,
              progress: Progress = None, model: Optional[str] = None, compute: str = "exact") -> np.ndarray:
        """Embeds points.

        Args:
            lonlat: ``(N, 2)`` [lon, lat] in degrees (any array-like; taken as float64).
            variant: ``"encoder"``, ``"range"`` or ``"range+"`` (default: ``"range+"`` with a
                bank, else ``"encoder"``). ``model=`` is its first name (deprecated).
            beta: RANGE+'s mix of semantic (1) and geographic (0) retrieval.
            batch_size: points per batch; progress is reported after each.
            progress: ``callback(done, total)``, or ``True`` for a tqdm bar.
            compute: the score pass's arithmetic against an int8 bank on the CPU: ``"exact"``
                (default; the parity tests' numbers) or ``"int8"`` (int8 dot products, the
                query quantised per point: within cosine 0.9999 and relative error 1e-3).

        Returns:
            ``(N, dim(model))`` float32.

        Raises:
            BadCoordinate: a NaN, infinite or out-of-range point, with its ``row``.
            InvalidArgument: a wrong shape or variant name.
        """
        variant = _variant(variant, model, "Model.embed", self._default_variant)
        engine = self._live
        points = np.ascontiguousarray(lonlat, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise InvalidArgument(f"lonlat must have shape (N, 2), got {points.shape}", "invalid_argument")
        if batch_size < 1:
            raise InvalidArgument(f"batch_size must be at least 1, got {batch_size}", "invalid_argument")
        if compute not in ("exact", "int8"):
            raise InvalidArgument(f"compute is 'exact' or 'int8', got {compute!r}", "invalid_argument")
        if len(points) == 0:
            return np.empty((0, engine.dim(variant)), dtype=np.float32)
        report, close = _reporter(progress, len(points))
        try:
            # The engine cuts the batches and names the caller's row in an error.
            return engine.embed(points, variant, beta, batch_size, report if progress else None, compute)
        finally:
            close()

    def fit_probe(self, points, labels, *, kind: str = "classify", method: Optional[str] = None, C: float = 1.0,
                  alpha: float = 1.0, k: int = 5, standardize: bool = True, variant: Optional[str] = None,
                  beta: float = 0.5) -> "Probe":
        """Fits a probe on the embeddings of labelled places: ``kind="classify"`` with
        ``method="logistic"`` (default) or ``"knn"``; ``kind="regress"`` with ``"ridge"``; or
        ``kind="similar"`` ("more like these, not like those": labels ``True``/``False``, a
        score per place; ``"logistic"``, ``"knn"``, or ``"centroid"``, which it is with no
        ``False``); ``C``, ``alpha`` and ``k`` as in scikit-learn. Returns a :class:`georange.Probe`."""
        return Probe.fit(self, points, labels, kind=kind, method=method, C=C, alpha=alpha, k=k,
                         standardize=standardize, variant=variant, beta=beta)

    def explain(self, lon: float, lat: float, k: int = 10, *, variant: Optional[str] = None,
                beta: float = 0.5, model: Optional[str] = None) -> List[Tuple[int, float, float, float]]:
        """The ``k`` bank rows that weigh most in a point's embedding, heaviest first:
        ``(index, weight, lon, lat)`` each."""
        return self._live.explain(lon, lat, k, _variant(variant, model, "Model.explain", "range+"), beta)

    def rank_bank(self, vector, by: str = "values", k: int = 10) -> List[Tuple[int, float, float, float]]:
        """"Places like this": the ``k`` bank rows most alike to ``vector`` (cosine similarity),
        world-wide, most alike first: ``(index, similarity, lon, lat)`` each. An exact scan of
        the bank, as the browser's ``rankBank``.

        Args:
            vector: as wide as the bank's values (``by="values"``: e.g. the high-resolution part
                of a RANGE embedding, or a mean of several) or its keys (``by="keys"``: an
                encoder output).
        """
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        return self._live.rank_bank(query, by, k)

    def places_like(self, lon: float, lat: float, k: int = 10, *, variant: Optional[str] = None, beta: float = 0.5,
                    by: str = "values", model: Optional[str] = None) -> List[Tuple[int, float, float, float]]:
        """The bank's places most like (``lon``, ``lat``): its embedding under ``variant`` ranked
        by ``rank_bank`` (``by="values"``: its high-resolution part against each row's value;
        ``"keys"``: the encoder's output against each row's key)."""
        variant = _variant(variant, model, "Model.places_like", "range+")
        if by == "keys":
            return self.rank_bank(self.embed([[lon, lat]], variant="encoder")[0], by, k)
        v = self.embed([[lon, lat]], variant=variant, beta=beta)[0]
        return self.rank_bank(self.high_part(v, variant), by, k)

    def __repr__(self) -> str:
        state = "closed" if self._engine is None else f"{self.backend}, {self.threads} threads"
        return f"georange.Model({self._encoder if isinstance(self._encoder, str) else '<bytes>'}, {state})"
