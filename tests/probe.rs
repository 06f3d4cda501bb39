//! The probes (src/probe/) against scikit-learn (goldens by tools/fixtures/make_probe_goldens.py,
//! on seeded inputs in tests/fixtures/probe/): ridge coefficients and predictions within 1e-5
//! relative, logistic regression's probabilities within 1e-3 and its classes on ≥ 99.5% of
//! points (two and three classes), k-NN's probabilities exactly, spatial-CV scores within
//! ±0.005 on the same folds; and the JSON round trip, the model check and bad input.

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
