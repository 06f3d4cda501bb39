//! Spatial block cross-validation: the globe cut into blocks of `block_degrees` (in longitude
//! and latitude), each block in one of `folds` folds (a seeded hash of the block: every label in
//! a block is held out together, so a score is not flattered by near neighbours); for each
//! fold a probe is fitted on the others and scored on it — accuracy and macro-F1 (a similarity
//! probe's `like` past its cut, [`Probe::like_cut`]), or R² and RMSE, as scikit-learn's `accuracy_score`, `f1_score(average='macro')`, `r2_score` and
//! `root_mean_squared_error` compute them.

use serde::Serialize;

use super::similar::{LIKE, UNLIKE};
use super::{FitOptions, Kind, Labels, Origin, Prediction, Probe};
use crate::error::{Error, Result};
use crate::seeded::splitmix64;

/// How to cut the folds.
#[derive(Clone, Copy, Debug)]
pub struct CvOptions {
    pub block_degrees: f64,
    pub folds: usize,
    pub seed: u64,
}

/// One fold's scores.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FoldScore {
    pub train: usize,
    pub test: usize,
    /// Classification: accuracy and macro-F1; regression: R² and RMSE.
    pub scores: [f64; 2],
}

/// The folds' scores and the mean of the first (`metric`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CvReport {
    /// `"accuracy"` or `"r2"`.
    pub metric: &'static str,
    /// The names of each fold's two scores.
    pub names: [&'static str; 2],
    pub score: f64,
    pub folds: Vec<FoldScore>,
}

/// The fold of each point (`[lon, lat, …]` degrees).
pub fn fold_of(lonlat: &[f64], o: &CvOptions) -> Vec<usize> {
    lonlat
        .chunks_exact(2)
        .map(|p| {
            let bx = ((p[0] + 180.0) / o.block_degrees).floor() as i64;
            let by = ((p[1] + 90.0) / o.block_degrees).floor() as i64;
            let key = (bx as u64).wrapping_mul(1_000_003).wrapping_add(by as u64);
            (splitmix64(key ^ o.seed) % o.folds as u64) as usize
        })
        .collect()
}

/// Scores `options`' probe on each fold of the points `lonlat` (their `embeddings`, `rows ×
/// dim`, and `labels`). Folds with no test point, or whose training rows have fewer than two
/// classes, are left out of the report.
pub fn cross_validate(
    lonlat: &[f64],
    (embeddings, dim): (&[f32], usize),
    labels: &Labels,
    options: &FitOptions,
    cv: &CvOptions,
) -> Result<CvReport> {
    if cv.folds < 2 || !(cv.block_degrees.is_finite() && cv.block_degrees > 0.0) {
        return Err(Error::Invalid(format!(
            "cross-validation needs at least 2 folds and blocks above 0°, got {} folds of {}°",
            cv.folds, cv.block_degrees
        )));
    }
    let n = lonlat.len() / 2;
    if labels_len(labels) != n || embeddings.len() != n * dim {
        return Err(Error::Mismatch(format!(
            "cross-validation: {n} points, {} labels, {} values of {dim}",
            labels_len(labels),
            embeddings.len()
        )));
    }
    if options.kind == Kind::Similar && !matches!(labels, Labels::Classes(c) if c.iter().any(|c| c == UNLIKE)) {
        return Err(Error::Invalid(
            "cross-validation of a similarity probe needs \"unlike\" places as well as \"like\" ones".into(),
        ));
    }
    let fold = fold_of(lonlat, cv);
    let origin = Origin {
        model: String::new(),
        variant: String::new(),
        beta: 0.0,
    };
    let mut folds = Vec::new();
    for f in 0..cv.folds {
        let (test, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| fold[i] == f);
        if test.is_empty() || train.is_empty() {
            continue;
        }
        let rows = |idx: &[usize]| {
            idx.iter()
                .flat_map(|&i| embeddings[i * dim..(i + 1) * dim].iter().copied())
                .collect::<Vec<f32>>()
        };
        let pick = |idx: &[usize]| match labels {
            Labels::Classes(c) => Labels::Classes(idx.iter().map(|&i| c[i].clone()).collect()),
            Labels::Values(v) => Labels::Values(idx.iter().map(|&i| v[i]).collect()),
        };
        let probe = match Probe::fit(&rows(&train), dim, &pick(&train), options, origin.clone()) {
            Ok(p) => p,
            // A fold whose training rows hold one class only (or no `like`) cannot be scored.
            Err(Error::Invalid(m)) if m.contains("at least two classes") || m.contains("at least one \"like\"") => {
                continue;
            }
            Err(e) => return Err(e),
        };
        let scores = match (probe.predict(&rows(&test))?, pick(&test)) {
            (Prediction::Classes { labels: got, .. }, Labels::Classes(want)) => {
                let got: Vec<&str> = got.iter().map(|&k| probe.classes[k].as_str()).collect();
                let want: Vec<&str> = want.iter().map(String::as_str).collect();
                [accuracy(&got, &want), macro_f1(&got, &want)]
            }
            (Prediction::Values(got), Labels::Values(want)) => [r2(&got, &want), rmse(&got, &want)],
            (Prediction::Values(scores), Labels::Classes(want)) => {
                let got: Vec<&str> = scores
                    .iter()
                    .map(|&s| if s >= probe.like_cut() { LIKE } else { UNLIKE })
                    .collect();
                let want: Vec<&str> = want.iter().map(String::as_str).collect();
                [accuracy(&got, &want), macro_f1(&got, &want)]
            }
            _ => {
                return Err(Error::Invalid(
                    "probe: classify takes class labels, regress numbers".into(),
                ));
            }
        };
        folds.push(FoldScore {
            train: train.len(),
            test: test.len(),
            scores,
        });
    }
    if folds.is_empty() {
        return Err(Error::Invalid(
            "cross-validation: no fold could be scored (too few blocks or classes)".into(),
        ));
    }
    let score = folds.iter().map(|f| f.scores[0]).sum::<f64>() / folds.len() as f64;
    let names = options.kind.score_names();
    let metric = names[0];
    Ok(CvReport {
        metric,
        names,
        score,
        folds,
    })
}

fn labels_len(l: &Labels) -> usize {
    match l {
        Labels::Classes(c) => c.len(),
        Labels::Values(v) => v.len(),
    }
}

fn accuracy(got: &[&str], want: &[&str]) -> f64 {
    got.iter().zip(want).filter(|(a, b)| a == b).count() as f64 / want.len() as f64
}

/// The mean over the classes in either list of each class's F1 (0 where it has no true or
/// predicted point), as `f1_score(average='macro')`.
fn macro_f1(got: &[&str], want: &[&str]) -> f64 {
    let mut classes: Vec<&str> = got.iter().chain(want).copied().collect();
    classes.sort();
    classes.dedup();
    let f1 = |c: &str| {
        let tp = got.iter().zip(want).filter(|(g, w)| **g == c && **w == c).count() as f64;
        let fp = got.iter().zip(want).filter(|(g, w)| **g == c && **w != c).count() as f64;
        let fn_ = got.iter().zip(want).filter(|(g, w)| **g != c && **w == c).count() as f64;
        if tp + fp + fn_ == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        }
    };
    classes.iter().map(|c| f1(c)).sum::<f64>() / classes.len() as f64
}

fn r2(got: &[f64], want: &[f64]) -> f64 {
    let mean = want.iter().sum::<f64>() / want.len() as f64;
    let ss_res: f64 = got.iter().zip(want).map(|(g, w)| (w - g).powi(2)).sum();
    let ss_tot: f64 = want.iter().map(|w| (w - mean).powi(2)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

fn rmse(got: &[f64], want: &[f64]) -> f64 {
    (got.iter().zip(want).map(|(g, w)| (w - g).powi(2)).sum::<f64>() / want.len() as f64).sqrt()
}
