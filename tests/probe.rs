//! The probes (src/probe/) against scikit-learn (goldens by tools/fixtures/make_probe_goldens.py,
//! on seeded inputs in tests/fixtures/probe/): ridge coefficients and predictions within 1e-5
//! relative, logistic regression's probabilities within 1e-3 and its classes on ≥ 99.5% of
//! points (two and three classes), k-NN's probabilities exactly, spatial-CV scores within
//! ±0.005 on the same folds; the similarity probe ("more like these") against the same goldens
//! and by hand; and the JSON round trip, the model check and bad input.

use crate::common::*;
use georange::convert::npy::read_npy;
use georange::probe::cv::{CvOptions, cross_validate, fold_of};
use georange::probe::{FitOptions, Kind, Labels, Method, Origin, Prediction, Probe};
use serde_json::Value;

struct Golden {
    g: Value,
    x: Vec<f32>,
    xt: Vec<f32>,
    dim: usize,
}

fn golden() -> Golden {
    let text = std::fs::read_to_string(fixture("probe/golden.json")).unwrap();
    let (x, xt) = (
        read_npy(&fixture("probe/x.npy")).unwrap(),
        read_npy(&fixture("probe/x_test.npy")).unwrap(),
    );
    let dim = x.cols;
    Golden {
        g: serde_json::from_str(&text).unwrap(),
        x: x.data,
        xt: xt.data,
        dim,
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| match r.as_array() {
            Some(row) => row.iter().map(|a| a.as_f64().unwrap()).collect(),
            None => vec![r.as_f64().unwrap()],
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().map(String::from).unwrap_or_else(|| a.to_string()))
        .collect()
}

fn origin() -> Origin {
    Origin {
        model: "test model".into(),
        variant: "range+".into(),
        beta: 0.5,
    }
}

fn fit(g: &Golden, labels: Labels, kind: Kind, method: Method, tune: impl Fn(&mut FitOptions)) -> Probe {
    let mut o = FitOptions::new(kind, method);
    tune(&mut o);
    Probe::fit(&g.x, g.dim, &labels, &o, origin()).unwrap()
}

fn probabilities(p: &Probe, xt: &[f32]) -> (Vec<usize>, Vec<f64>) {
    match p.predict(xt).unwrap() {
        Prediction::Classes { labels, probabilities } => (labels, probabilities),
        Prediction::Values(_) => panic!("a classifier answered values"),
    }
}

#[test]
fn ridge_matches_scikit_learn() {
    let g = golden();
    let p = fit(
        &g,
        Labels::Values(floats(&g.g["value"])),
        Kind::Regress,
        Method::Ridge,
        |_| {},
    );
    let (coef, want) = (&p.coef, floats(&g.g["ridge"]["coef"]));
    let rel = |a: &[f64], b: &[f64]| {
        let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        d / b.iter().map(|y| y * y).sum::<f64>().sqrt()
    };
    assert!(
        rel(coef, &want) <= 1e-5,
        "coefficients: relative error {:.2e}",
        rel(coef, &want)
    );
    assert!(
        (p.intercept[0] - g.g["ridge"]["intercept"].as_f64().unwrap()).abs() <= 1e-5 * p.intercept[0].abs().max(1.0)
    );
    let Prediction::Values(got) = p.predict(&g.xt).unwrap() else {
        panic!("values expected")
    };
    assert!(rel(&got, &floats(&g.g["ridge"]["predict"])) <= 1e-5);
}

#[test]
fn logistic_regression_matches_scikit_learn_for_two_and_three_classes() {
    let g = golden();
    for (case, labels, c) in [("logistic3", "three", 1.0), ("logistic2", "two", 0.5)] {
        let p = fit(
            &g,
            Labels::Classes(strings(&g.g[labels])),
            Kind::Classify,
            Method::Logistic,
            |o| o.c = c,
        );
        assert_eq!(
            p.classes,
            strings(&g.g[case]["classes"]),
            "{case}: classes in scikit-learn's order"
        );
        let (got, proba) = probabilities(&p, &g.xt);
        let want = floats(&g.g[case]["proba"]);
        let worst = proba.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-3, "{case}: probabilities differ by {worst:.2e}");
        let k = p.classes.len();
        let agree = got.iter().enumerate().filter(|(i, l)| {
            let row = &want[i * k..(i + 1) * k];
            **l == (0..k).fold(0, |b, j| if row[j] > row[b] { j } else { b })
        });
        assert!(
            agree.count() as f64 >= 0.995 * got.len() as f64,
            "{case}: classes disagree"
        );
    }
}

#[test]
fn knn_matches_scikit_learn() {
    let g = golden();
    let p = fit(
        &g,
        Labels::Classes(strings(&g.g["three"])),
        Kind::Classify,
        Method::Knn,
        |o| o.k = 5,
    );
    let (_, proba) = probabilities(&p, &g.xt);
    let want = floats(&g.g["knn"]["proba"]);
    assert!(
        proba.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-9),
        "k-NN shares differ"
    );
}

#[test]
fn spatial_cross_validation_matches_scikit_learn_on_the_same_folds() {
    let g = golden();
    let points = floats(&g.g["points"]);
    let cv = CvOptions {
        block_degrees: 30.0,
        folds: 5,
        seed: 7,
    };
    let folds: Vec<usize> = floats(&g.g["cv"]["fold_of"]).iter().map(|&f| f as usize).collect();
    assert_eq!(
        fold_of(&points, &cv),
        folds,
        "the folds are cut as the script cuts them"
    );
    for (name, labels, kind, method) in [
        (
            "logistic",
            Labels::Classes(strings(&g.g["three"])),
            Kind::Classify,
            Method::Logistic,
        ),
        (
            "ridge",
            Labels::Values(floats(&g.g["value"])),
            Kind::Regress,
            Method::Ridge,
        ),
    ] {
        let report = cross_validate(&points, (&g.x, g.dim), &labels, &FitOptions::new(kind, method), &cv).unwrap();
        let want: Vec<Vec<f64>> = g.g["cv"][name].as_array().unwrap().iter().map(floats).collect();
        assert_eq!(report.folds.len(), want.len(), "{name}: folds scored");
        for (got, w) in report.folds.iter().zip(&want) {
            assert_eq!(
                (got.train, got.test),
                (w[0] as usize, w[1] as usize),
                "{name}: fold sizes"
            );
            for (a, b) in got.scores.iter().zip(&w[2..]) {
                assert!((a - b).abs() <= 0.005, "{name}: score {a} against scikit-learn's {b}");
            }
        }
        let mean = want.iter().map(|w| w[2]).sum::<f64>() / want.len() as f64;
        assert!((report.score - mean).abs() <= 0.005);
    }
}

#[test]
fn a_probe_round_trips_through_json_and_refuses_another_model() {
    let g = golden();
    for (labels, kind, method) in [
        (
            Labels::Classes(strings(&g.g["three"])),
            Kind::Classify,
            Method::Logistic,
        ),
        (Labels::Classes(strings(&g.g["three"])), Kind::Classify, Method::Knn),
        (Labels::Values(floats(&g.g["value"])), Kind::Regress, Method::Ridge),
    ] {
        let p = fit(&g, labels, kind, method, |_| {});
        let text = p.to_json().unwrap();
        let back = Probe::from_json(&text, "test model").unwrap();
        assert_eq!(back, p);
        assert_eq!(back.predict(&g.xt).unwrap(), p.predict(&g.xt).unwrap());
        assert_eq!(
            Probe::from_json(&text, "another model").unwrap_err().code(),
            "pair_mismatch"
        );
        assert_eq!(
            Probe::from_json(&text[..text.len() / 2], "test model")
                .unwrap_err()
                .code(),
            "bad_file"
        );
        let tampered = text.replacen("\"dim\":40", "\"dim\":41", 1);
        assert_eq!(
            Probe::from_json(&tampered, "test model").unwrap_err().code(),
            "bad_file"
        );
    }
}

#[test]
fn bad_labels_and_options_are_refused_with_their_codes() {
    let g = golden();
    let n = g.x.len() / g.dim;
    let classify = FitOptions::new(Kind::Classify, Method::Logistic);
    let refuse = |labels: Labels, o: &FitOptions| Probe::fit(&g.x, g.dim, &labels, o, origin()).unwrap_err();
    let one_class = refuse(Labels::Classes(vec!["a".into(); n]), &classify);
    assert_eq!(one_class.code(), "invalid_argument");
    let mut empty = vec!["a".to_string(); n];
    empty[7] = " ".into();
    assert!(
        refuse(Labels::Classes(empty), &classify)
            .to_string()
            .contains("label 7")
    );
    let mut nan = vec![1.0; n];
    nan[3] = f64::NAN;
    let e = refuse(Labels::Values(nan), &FitOptions::new(Kind::Regress, Method::Ridge));
    assert!(e.to_string().contains("label 3"), "{e}");
    assert_eq!(
        refuse(
            Labels::Values(vec![1.0; n - 1]),
            &FitOptions::new(Kind::Regress, Method::Ridge)
        )
        .code(),
        "pair_mismatch"
    );
    let mut c0 = classify.clone();
    c0.c = 0.0;
    assert_eq!(
        refuse(Labels::Classes(strings(&g.g["three"])), &c0).code(),
        "invalid_argument"
    );
    assert!(Method::parse(Some("ridge"), Kind::Classify).is_err());
    assert!(Method::parse(Some("forest"), Kind::Classify).is_err());
    assert_eq!(Method::parse(None, Kind::Regress).unwrap(), Method::Ridge);
    let p = fit(
        &g,
        Labels::Classes(strings(&g.g["three"])),
        Kind::Classify,
        Method::Logistic,
        |_| {},
    );
    assert_eq!(
        p.predict(&g.xt[..g.dim + 1]).unwrap_err().code(),
        "pair_mismatch",
        "a row of the wrong width"
    );
    let mut bad = g.xt.clone();
    bad[5] = f32::NAN;
    assert_eq!(p.predict(&bad).unwrap_err().code(), "invalid_argument");
}

/// "More like these": the golden two-class labels as `like` (1) and `unlike` (0).
fn like_labels(g: &Golden) -> Labels {
    Labels::Classes(
        strings(&g.g["two"])
            .iter()
            .map(|c| if c == "1" { "like" } else { "unlike" }.to_string())
            .collect(),
    )
}

fn values(p: &Probe, xt: &[f32]) -> Vec<f64> {
    match p.predict(xt).unwrap() {
        Prediction::Values(v) => v,
        Prediction::Classes { .. } => panic!("a similarity probe answered classes"),
    }
}

#[test]
fn a_similarity_probe_scores_the_probability_of_like_as_scikit_learn() {
    let g = golden();
    let p = fit(&g, like_labels(&g), Kind::Similar, Method::Logistic, |o| o.c = 0.5);
    assert_eq!(p.classes, ["like", "unlike"]);
    let got = values(&p, &g.xt);
    // scikit-learn's probability of class 1 (here `like`), LogisticRegression(C=0.5).
    let want: Vec<f64> = floats(&g.g["logistic2"]["proba"]).chunks(2).map(|r| r[1]).collect();
    let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-3, "like's probability differs by {worst:.2e}");
    // Cross-validated as the classifier of the same labels is (accuracy of like ≥ 0.5).
    let points = floats(&g.g["points"]);
    let cv = CvOptions {
        block_degrees: 30.0,
        folds: 5,
        seed: 7,
    };
    let mut o = FitOptions::new(Kind::Similar, Method::Logistic);
    o.c = 0.5;
    let similar = cross_validate(&points, (&g.x, g.dim), &like_labels(&g), &o, &cv).unwrap();
    let mut o = FitOptions::new(Kind::Classify, Method::Logistic);
    o.c = 0.5;
    let classify = cross_validate(&points, (&g.x, g.dim), &like_labels(&g), &o, &cv).unwrap();
    assert_eq!(similar.metric, "accuracy");
    assert_eq!(similar.folds, classify.folds);
}

#[test]
fn a_similarity_probe_with_like_places_only_is_the_cosine_to_their_mean() {
    let g = golden();
    let like: Vec<usize> = (0..10).map(|i| 3 * i).collect();
    let rows: Vec<f32> = like
        .iter()
        .flat_map(|&i| g.x[i * g.dim..(i + 1) * g.dim].to_vec())
        .collect();
    let o = FitOptions::new(Kind::Similar, Method::Logistic);
    let p = Probe::fit(
        &rows,
        g.dim,
        &Labels::Classes(vec!["like".into(); like.len()]),
        &o,
        origin(),
    )
    .unwrap();
    assert_eq!((p.options.method, p.classes.len()), (Method::Centroid, 1));
    // The mean of the unit rows, by hand.
    let unit = |r: &[f32]| {
        let n = r.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        r.iter().map(|v| *v as f64 / n).collect::<Vec<f64>>()
    };
    let mut mean = vec![0.0; g.dim];
    for r in rows.chunks(g.dim) {
        mean.iter_mut().zip(unit(r)).for_each(|(m, v)| *m += v);
    }
    let m = unit(&mean.iter().map(|v| *v as f32).collect::<Vec<f32>>());
    let got = values(&p, &g.xt);
    for (r, s) in g.xt.chunks(g.dim).zip(&got) {
        let want: f64 = unit(r).iter().zip(&m).map(|(a, b)| a * b).sum();
        assert!((s - want).abs() < 1e-6, "score {s} against the cosine {want}");
    }
    // Its JSON round trip keeps it; cross-validation without unlike places is refused.
    assert_eq!(Probe::from_json(&p.to_json().unwrap(), "test model").unwrap(), p);
    let pts: Vec<f64> = like
        .iter()
        .flat_map(|&i| floats(&g.g["points"])[2 * i..2 * i + 2].to_vec())
        .collect();
    let cv = CvOptions {
        block_degrees: 30.0,
        folds: 2,
        seed: 0,
    };
    let labels = Labels::Classes(vec!["like".into(); like.len()]);
    let e = cross_validate(&pts, (&rows, g.dim), &labels, &o, &cv).unwrap_err();
    assert!(e.to_string().contains("unlike"), "{e}");
}

#[test]
fn a_similarity_probe_refuses_other_labels_and_no_like() {
    let g = golden();
    let n = g.x.len() / g.dim;
    let o = FitOptions::new(Kind::Similar, Method::Logistic);
    let mut labels = vec!["like".to_string(); n];
    labels[4] = "maybe".into();
    let e = Probe::fit(&g.x, g.dim, &Labels::Classes(labels), &o, origin()).unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("label 4"), "{e}");
    let e = Probe::fit(&g.x, g.dim, &Labels::Classes(vec!["unlike".into(); n]), &o, origin()).unwrap_err();
    assert!(e.to_string().contains("at least one"), "{e}");
    assert!(Method::parse(Some("centroid"), Kind::Classify).is_err());
    assert_eq!(Method::parse(None, Kind::Similar).unwrap(), Method::Logistic);
    assert_eq!(Kind::parse("similar").unwrap(), Kind::Similar);
    // A tampered probe (an intercept gone) is refused, not a panic later.
    let p = fit(&g, like_labels(&g), Kind::Similar, Method::Logistic, |_| {});
    let text = p.to_json().unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut t = v.clone();
    t["intercept"] = serde_json::json!([]);
    assert_eq!(
        Probe::from_json(&t.to_string(), "test model").unwrap_err().code(),
        "bad_file"
    );
    let mut t = v;
    t["classes"] = serde_json::json!(["like", "other"]);
    assert_eq!(
        Probe::from_json(&t.to_string(), "test model").unwrap_err().code(),
        "bad_file"
    );
}
