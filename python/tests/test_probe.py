"""Probes (issue 43) through the Python API against scikit-learn on the same embeddings (the
SatCLIP L = 40 fixture's RANGE+ β = 0.5 rows of points spread over the globe): ridge
predictions within 1e-5 relative, logistic regression's probabilities within 1e-3 and its
classes on ≥ 99.5% of points, k-NN's probabilities exactly, spatial-CV scores within ±0.005 on
the same folds; a probe's JSON loads back on its model only."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, r2_score, root_mean_squared_error
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

import georange

MASK = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def folds_of(points, block, k, seed):
    """The folds src/probe/cv.rs cuts: a SplitMix64 hash of each block."""
    keys = [((int(np.floor((lon + 180) / block)) * 1_000_003 + int(np.floor((lat + 90) / block))) & MASK) for lon, lat in points]
    return np.array([splitmix64(key ^ seed) % k for key in keys])


def lattice(n, shift=0.0):
    i = np.arange(n) + 0.5
    lat = np.degrees(np.arcsin(1 - 2 * i / n))
    lon = ((np.arange(n) * 137.50776405 + shift) % 360 + 540) % 360 - 180
    return np.stack([lon, lat], axis=1)


@pytest.fixture(scope="module")
def model(l40):
    encoder, bank = l40
    return georange.Model(encoder, bank=bank)


def bands(points):
    return np.where(points[:, 1] > 30, "north", np.where(points[:, 1] < -30, "south", "middle"))


def test_probes_match_scikit_learn(model):
    points, held = lattice(240), lattice(80, 40.0)
    x = model.embed(points, "range+", 0.5).astype(np.float64)
    xt = model.embed(held, "range+", 0.5).astype(np.float64)
    scaler = StandardScaler().fit(x)
    xs, xts = scaler.transform(x), scaler.transform(xt)

    target = 30 * np.cos(np.radians(points[:, 1])) + np.sin(np.radians(points[:, 0]))
    ridge = model.fit_probe(points, target, kind="regress", alpha=3.0)
    want = Ridge(alpha=3.0).fit(xs, target).predict(xts)
    got = ridge.predict(held)
    assert np.linalg.norm(got - want) / np.linalg.norm(want) <= 1e-5

    labels = bands(points)
    probe = model.fit_probe(points, labels, C=0.5)
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=100_000).fit(xs, labels)
    got_labels, proba = probe.predict(held)
    assert list(probe.classes) == list(ref.classes_)
    assert np.abs(proba - ref.predict_proba(xts)).max() <= 1e-3
    assert np.mean(got_labels == ref.predict(xts)) >= 0.995

    knn = model.fit_probe(points, labels, method="knn", k=5)
    ref = KNeighborsClassifier(n_neighbors=5, metric="cosine", algorithm="brute").fit(xs, labels)
    assert np.abs(knn.predict(held)[1] - ref.predict_proba(xts)).max() < 1e-9

    folds = folds_of(points, 30.0, 5, 3)
    for p, y, make in [(probe, labels, lambda: LogisticRegression(C=0.5, tol=1e-12, max_iter=100_000)),
                       (ridge, target, lambda: Ridge(alpha=3.0))]:
        report = p.cross_validate(block_degrees=30.0, folds=5, seed=3)
        expected = []
        for f in range(5):
            test, train = folds == f, folds != f
            if not test.any() or not train.any():
                continue
            s = StandardScaler().fit(x[train])
            pred = make().fit(s.transform(x[train]), y[train]).predict(s.transform(x[test]))
            if p.kind == "classify":
                expected.append((accuracy_score(y[test], pred), f1_score(y[test], pred, average="macro")))
            else:
                expected.append((r2_score(y[test], pred), root_mean_squared_error(y[test], pred)))
        assert len(report["folds"]) == len(expected)
        names = ("accuracy", "macroF1") if p.kind == "classify" else ("r2", "rmse")
        for got_fold, (a, b) in zip(report["folds"], expected):
            assert abs(got_fold[names[0]] - a) <= 0.005 and abs(got_fold[names[1]] - b) <= 0.005, (got_fold, a, b)


def test_a_probe_round_trips_and_refuses_another_model_and_bad_labels(model, satclip):
    points = lattice(120)
    labels = [int(v > 0) for v in points[:, 1]]
    probe = model.fit_probe(points, labels)
    assert probe.classes == [0, 1]
    text = probe.to_json()
    back = georange.Probe.from_json(text, model)
    assert np.array_equal(back.predict(points)[1], probe.predict(points)[1])
    assert back.classes == [0, 1]
    other = georange.Model(*satclip["l10"])
    with pytest.raises(georange.PairMismatch):
        georange.Probe.from_json(text, other)
    with pytest.raises(georange.BadFile):
        georange.Probe.from_json(text[:100], model)
    with pytest.raises(georange.InvalidArgument) as e:
        model.fit_probe(points, ["a"] * 7 + [""] + ["b"] * 112)
    assert "label 7" in str(e.value)
    with pytest.raises(georange.InvalidArgument):
        model.fit_probe(points, [1.0] * 3 + [float("nan")] + [2.0] * 116, kind="regress")
    with pytest.raises(georange.InvalidArgument):
        model.fit_probe(points, labels, method="ridge")
    with pytest.raises(georange.InvalidArgument):
        model.fit_probe(points[:5], labels)
    assert json.loads(text)["origin"]["variant"] == "range+"


def test_labels_from_geojson_sample_polygons_inside_and_refuse_bad_features(model):
    square = lambda w, s, e, n: [[w, s], [e, s], [e, n], [w, n], [w, s]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"label": "city"}, "geometry": {"type": "Point", "coordinates": [2.35, 48.86]}},
        {"type": "Feature", "properties": {"label": "lake"},
         "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 40, 40), square(10, 10, 20, 20)]}},
    ]}
    points, labels = georange.labels_from_geojson(fc, samples=50, seed=3)
    assert points.shape == (51, 2) and labels == ["city"] + ["lake"] * 50
    lake = points[1:]
    assert ((lake >= 0) & (lake <= 40)).all()
    assert not (((lake > 10) & (lake < 20)).all(axis=1)).any(), "a point in the hole"
    again, _ = georange.labels_from_geojson(fc, samples=50, seed=3)
    assert np.array_equal(points, again)
    bow_tie = {"type": "Feature", "properties": {"label": "x"},
               "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]}}
    with pytest.raises(georange.InvalidArgument, match="feature 1 is refused.*crosses itself"):
        georange.labels_from_geojson([fc["features"][0], bow_tie])
    with pytest.raises(georange.InvalidArgument, match="feature 0 has no 'label'"):
        georange.labels_from_geojson([{"type": "Feature", "properties": {}, "geometry": fc["features"][0]["geometry"]}])
    probe = model.fit_probe(points, labels)
    assert probe.classes == ["city", "lake"]


def test_a_similarity_probe_is_the_probability_of_like(model):
    """"More like these": True/False labels score each place by the probability of ``like``,
    as scikit-learn's LogisticRegression on the same standardised rows; with True labels only,
    the cosine to their mean direction."""
    points, held = lattice(200), lattice(60, 40.0)
    like = points[:, 1] > 30
    probe = model.fit_probe(points, like, kind="similar", C=0.5)
    assert (probe.kind, probe.method, probe.classes) == ("similar", "logistic", ["like", "unlike"])
    x = model.embed(points, "range+", 0.5).astype(np.float64)
    xt = model.embed(held, "range+", 0.5).astype(np.float64)
    scaler = StandardScaler().fit(x)
    sk = LogisticRegression(C=0.5, tol=1e-12, max_iter=100_000).fit(scaler.transform(x), np.where(like, "like", "unlike"))
    want = sk.predict_proba(scaler.transform(xt))[:, list(sk.classes_).index("like")]
    got = probe.predict(held)
    assert got.shape == (60,)
    assert np.max(np.abs(got - want)) <= 1e-3

    features = probe.predictions_geojson(held, got)["features"]
    assert len(features) == 60 and features[2]["properties"] == {"score": float(got[2])}
    assert features[2]["geometry"]["coordinates"] == [float(held[2, 0]), float(held[2, 1])]
    classes = model.fit_probe(points, bands(points))
    labels, proba = classes.predict(held)
    gj = json.loads(json.dumps(classes.predictions_geojson(held)))
    assert gj["features"][5]["properties"]["label"] == labels[5]
    assert abs(gj["features"][5]["properties"]["probability"] - proba[5].max()) < 1e-12

    one = model.fit_probe(points[like], [True] * int(like.sum()), kind="similar")
    assert one.method == "centroid"
    unit = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)
    centre = unit(unit(x[like]).sum(axis=0))
    np.testing.assert_allclose(one.predict(held), unit(xt) @ centre, atol=1e-6)
    with pytest.raises(georange.InvalidArgument):
        model.fit_probe(points, ["like", "maybe"] * 100, kind="similar")
