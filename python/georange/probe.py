"""Probes (issue 43): a classifier, regressor or similarity score fitted on the embeddings of
labelled places.

The fitting is the Rust core's (``src/probe/``), the same as the browser's ``fitProbe``: a
probe fitted in a page loads here and the other way round. Its numbers are scikit-learn's
``LogisticRegression`` (lbfgs), ``KNeighborsClassifier`` (cosine) and ``Ridge`` on
``StandardScaler``-standardised inputs (``python/tests/test_probe.py`` checks them)."""

from __future__ import annotations

import json
from typing import Optional

import numpy as np

from . import _georange
from .errors import InvalidArgument


def _labels(labels, kind: str):
    """``(classes, values, numeric)`` as the core takes them."""
    items = list(labels)
    if kind == "regress":
        values = np.asarray(items, dtype=np.float64) if items else np.empty(0)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise InvalidArgument(f"label {bad[0]} is {items[bad[0]]!r}; regression takes finite numbers", "invalid_argument")
        return None, values.tolist(), True
    if kind == "similar":
        sides = []
        for i, v in enumerate(items):
            if isinstance(v, (bool, np.bool_)):
                sides.append("like" if v else "unlike")
            elif v in ("like", "unlike"):
                sides.append(v)
            else:
                raise InvalidArgument(f"label {i} is {v!r}; a similarity probe takes True/False or 'like'/'unlike'",
                                      "invalid_argument")
        return sides, None, False
    numeric = bool(items) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items)
    for i, v in enumerate(items):
        if not (isinstance(v, str) and v.strip()) and not isinstance(v, (int, np.integer)):
            raise InvalidArgument(f"label {i} is {v!r}; classes are non-empty strings or integers", "invalid_argument")
    return [str(v) for v in items], None, numeric


def _plain(v):
    """A numpy scalar as the Python value JSON writes."""
    return v.item() if isinstance(v, np.generic) else v


def labels_from_geojson(geojson, property: str = "label", samples: int = 20, seed: int = 0):
    """Labelled points from GeoJSON (a FeatureCollection dict, a Feature or a list of
    features) for :meth:`Model.fit_probe`, as the browser's ``labelsFromGeoJson``: each Point's
    or MultiPoint's positions, and ``samples`` points spread by area over each Polygon /
    MultiPolygon (the same points for the same ``seed``), labelled with ``property``. Returns
    ``(points (N, 2), labels)``. A feature without a label, with another geometry, a polygon
    that crosses itself or a position off the globe raises :class:`InvalidArgument` naming it."""
    if isinstance(geojson, list):
        features = geojson
    elif isinstance(geojson, dict) and geojson.get("type") == "FeatureCollection":
        features = geojson.get("features", [])
    else:
        features = [geojson]
    points, labels = [], []
    for i, f in enumerate(features):
        label = (f.get("properties") or {}).get(property)
        ok = (isinstance(label, str) and label.strip()) or (isinstance(label, (int, float)) and not isinstance(label, bool) and np.isfinite(label))
        if not ok:
            raise InvalidArgument(f"feature {i} has no {property!r} property to label it", "invalid_argument")
        g = f.get("geometry") or {}
        kind, coords = g.get("type"), g.get("coordinates")

        def position(p):
            if not (isinstance(p, (list, tuple)) and len(p) >= 2 and abs(p[0]) <= 180 and abs(p[1]) <= 90):
                raise InvalidArgument(f"feature {i} has a position off the globe: {p!r}", "invalid_argument")
            return [float(p[0]), float(p[1])]

        def polygon(rings, part):
            try:
                sampled = _georange.sample_polygon([[position(p) for p in r] for r in rings], samples, seed + 1_000_003 * i + part)
            except InvalidArgument as e:
                raise InvalidArgument(f"feature {i} is refused: {e}", "invalid_argument") from e
            points.extend(sampled.tolist())
            labels.extend([label] * len(sampled))

        if kind == "Point":
            points.append(position(coords))
            labels.append(label)
        elif kind == "MultiPoint":
            for p in coords:
                points.append(position(p))
                labels.append(label)
        elif kind == "Polygon":
            polygon(coords, 0)
        elif kind == "MultiPolygon":
            for part, rings in enumerate(coords):
                polygon(rings, part)
        else:
            raise InvalidArgument(f"feature {i} is a {kind}; labels come from Points, MultiPoints, Polygons and MultiPolygons",
                                  "invalid_argument")
    return np.asarray(points, dtype=np.float64).reshape(-1, 2), labels


class Probe:
    """A probe fitted on a :class:`georange.Model`'s embeddings (:meth:`Model.fit_probe`)."""

    def __init__(self, core, model, numeric: bool, data=None):
        self._core, self._model, self._numeric, self._data = core, model, numeric, data

    @classmethod
    def fit(cls, model, points, labels, *, kind: str = "classify", method: Optional[str] = None, C: float = 1.0,
            alpha: float = 1.0, k: int = 5, standardize: bool = True, variant: Optional[str] = None,
            beta: float = 0.5) -> "Probe":
        if kind not in ("classify", "regress", "similar"):
            raise InvalidArgument(f"kind is 'classify', 'regress' or 'similar', got {kind!r}", "invalid_argument")
        classes, values, numeric = _labels(labels, kind)
        points = np.ascontiguousarray(points, dtype=np.float64)
        n = len(classes if classes is not None else values)
        if points.ndim != 2 or points.shape != (n, 2):
            raise InvalidArgument(f"points must have shape ({n}, 2) for {n} labels, got {points.shape}", "invalid_argument")
        variant = variant or model._default_variant
        embeddings = model.embed(points, variant, beta)
        core = _georange.ProbeCore.fit(embeddings, classes, values, kind, method, C, alpha, k, standardize,
                                       model._live.identity, variant, beta)
        return cls(core, model, numeric, (points, embeddings, classes, values))

    @classmethod
    def from_json(cls, text, model) -> "Probe":
        """A probe from :meth:`to_json` (or the browser's ``probe.toJSON()``) for ``model``:
        one fitted on another model raises :class:`PairMismatch`, text that is not a probe
        :class:`BadFile`."""
        text = text if isinstance(text, str) else json.dumps(text)
        core = _georange.ProbeCore.from_json(text, model._live.identity)
        return cls(core, model, bool(json.loads(text).get("numericLabels", False)))

    @property
    def kind(self) -> str:
        return self._core.kind

    @property
    def method(self) -> str:
        return self._core.method

    @property
    def classes(self) -> list:
        """The classes, sorted as scikit-learn sorts them (ints where the labels were)."""
        names = self._core.classes
        return [int(c) for c in names] if self._numeric else names

    def predict(self, points):
        """``(labels, probabilities)`` for a classifier (a label per point, ``(N, classes)``),
        ``values`` (``(N,)``) for a regressor, and for a similarity probe its score (the
        probability of ``like``, or with ``like`` places only the cosine similarity to their
        mean)."""
        embeddings = self._model.embed(np.ascontiguousarray(points, dtype=np.float64), self._core.variant, self._core.beta)
        labels, out = self._core.predict(embeddings)
        if labels is None:
            return out[:, 0]
        classes = self.classes
        return np.array([classes[i] for i in labels]), out

    def cross_validate(self, block_degrees: float = 10.0, folds: int = 5, seed: int = 0) -> dict:
        """Spatial block cross-validation on the points it was fitted on: ``{"score",
        "metric", "folds"}`` (each fold's sizes and two scores), as the browser's."""
        if self._data is None:
            raise InvalidArgument("a probe read from JSON has not its points; fit it again", "invalid_argument")
        points, embeddings, classes, values = self._data
        metric, names, rows = self._core.cross_validate(points, embeddings, classes, values, block_degrees, folds, seed)
        folds_out = [{"train": t, "test": s, names[0]: a, names[1]: b} for t, s, a, b in rows]
        return {"score": float(np.mean([f[names[0]] for f in folds_out])), "metric": metric, "folds": folds_out}

    def predictions_geojson(self, points, answer=None) -> dict:
        """The probe's answers as a GeoJSON FeatureCollection of points (a ``dict`` for
        ``json.dump``; QGIS, ``ogr2ogr`` and geopandas read it), as the browser's
        ``probe.predictionsGeoJson``: ``label`` and ``probability`` (the label's) for a
        classifier, ``value`` for a regressor, ``score`` for a similarity probe. ``answer``:
        :meth:`predict`'s for ``points`` (predicted here when not given)."""
        points = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 2)
        answer = self.predict(points) if answer is None else answer
        if isinstance(answer, tuple):
            labels, proba = answer
            classes = self.classes
            props = [{"label": _plain(l), "probability": float(proba[i, classes.index(_plain(l))])} for i, l in enumerate(labels)]
        else:
            name = "score" if self.kind == "similar" else "value"
            props = [{name: float(v)} for v in np.asarray(answer)]
        if len(props) != len(points):
            raise InvalidArgument(f"{len(points)} points, answers for {len(props)}", "invalid_argument")
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(p[0]), float(p[1])]}, "properties": q}
            for p, q in zip(points, props)]}

    def to_json(self) -> str:
        data = json.loads(self._core.to_json())
        data["numericLabels"] = self._numeric
        return json.dumps(data)
