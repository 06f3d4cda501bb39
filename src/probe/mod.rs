//! Probes: a classifier or regressor fitted on embeddings of labelled places, applied to the
//! rest (issue 43). The fitting is the scikit-learn estimators' (same objective, same numbers;
//! `tests/probe.rs` holds them to goldens made by `tools/fixtures/make_probe_goldens.py`):
//! - classification: multinomial (or, for two classes, binomial) logistic regression with L2
//!   ([`logistic`]), or k nearest neighbours by cosine ([`knn`]);
//! - regression: ridge with an intercept ([`ridge`]);
//! - similarity ("more like these, not like those"): places marked `like` and `unlike` give a
//!   score ([`similar`]);
//!
//! each on inputs standardised as `StandardScaler` does ([`scaler`]) unless asked not to.
//! [`cv`] scores a probe by spatial block cross-validation. A probe serialises to JSON with
//! the model it was fitted on ([`Origin`]) and refuses another (`pair_mismatch`).
//!
//! The bindings embed the points with their model and hand the embeddings here: this module
//! knows rows of numbers, not coordinates (but for the folds of [`cv`]).

pub mod cv;
mod knn;
mod linalg;
mod logistic;
mod ridge;
mod scaler;
mod similar;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use scaler::Scaler;

/// What a probe predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Classify,
    Regress,
    /// A score for how alike each place is to those labelled `like` (and unlike those labelled
    /// `unlike`).
    Similar,
}

/// How a probe is fitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Logistic regression with L2 (classification; the default there).
    Logistic,
    /// k nearest neighbours by cosine (classification).
    Knn,
    /// Ridge regression (regression; the default there).
    Ridge,
    /// Cosine similarity to the mean of the `like` places (similarity; what a similarity probe
    /// with no `unlike` place is fitted with).
    Centroid,
}

impl Kind {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "classify" => Ok(Kind::Classify),
            "regress" => Ok(Kind::Regress),
            "similar" => Ok(Kind::Similar),
            other => Err(Error::Invalid(format!(
                "unknown probe kind {other:?} (expected classify, regress or similar)"
            ))),
        }
    }

    /// The name [`parse`](Self::parse) reads.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Classify => "classify",
            Kind::Regress => "regress",
            Kind::Similar => "similar",
        }
    }

    /// The names of the two scores cross-validation gives a probe of this kind.
    pub fn score_names(self) -> [&'static str; 2] {
        match self {
            Kind::Classify | Kind::Similar => ["accuracy", "macroF1"],
            Kind::Regress => ["r2", "rmse"],
        }
    }

    /// Whether the probe answers with a number per point (regression, similarity), not classes.
    pub fn gives_values(self) -> bool {
        self != Kind::Classify
    }
}

impl Method {
    /// `name`, or `kind`'s default for `None`; refuses a method the kind has not.
    pub fn parse(name: Option<&str>, kind: Kind) -> Result<Self> {
        let method = match name {
            None => {
                return Ok(match kind {
                    Kind::Classify | Kind::Similar => Method::Logistic,
                    Kind::Regress => Method::Ridge,
                });
            }
            Some("logistic") => Method::Logistic,
            Some("knn") => Method::Knn,
            Some("ridge") => Method::Ridge,
            Some("centroid") => Method::Centroid,
            Some(other) => {
                return Err(Error::Invalid(format!(
                    "unknown probe method {other:?} (expected logistic, knn, ridge or centroid)"
                )));
            }
        };
        match (kind, method) {
            (Kind::Classify, Method::Logistic | Method::Knn)
            | (Kind::Regress, Method::Ridge)
            | (Kind::Similar, Method::Logistic | Method::Knn | Method::Centroid) => Ok(method),
            _ => Err(Error::Invalid(format!(
                "a {} probe cannot be fitted with {} (classify: logistic or knn; regress: ridge; similar: logistic, knn or centroid)",
                kind.name(),
                method.name()
            ))),
        }
    }

    /// The name [`parse`](Self::parse) reads.
    pub fn name(self) -> &'static str {
        match self {
            Method::Logistic => "logistic",
            Method::Knn => "knn",
            Method::Ridge => "ridge",
            Method::Centroid => "centroid",
        }
    }
}

/// The options of a fit; the defaults are scikit-learn's (`C = 1`, `alpha = 1`, `k = 5`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FitOptions {
    pub kind: Kind,
    pub method: Method,
    /// Inverse regularisation strength of logistic regression (as `LogisticRegression`'s `C`).
    pub c: f64,
    /// Regularisation strength of ridge (as `Ridge`'s `alpha`).
    pub alpha: f64,
    /// Neighbours of k-NN.
    pub k: usize,
    /// Standardise the inputs first (as `StandardScaler`).
    pub standardize: bool,
}

impl FitOptions {
    pub fn new(kind: Kind, method: Method) -> Self {
        FitOptions {
            kind,
            method,
            c: 1.0,
            alpha: 1.0,
            k: 5,
            standardize: true,
        }
    }

    /// The options the bindings pass by name: `kind` and `method` (`None`: the kind's default)
    /// parsed, the numbers checked when a probe is fitted.
    pub fn parse(
        kind: &str,
        method: Option<&str>,
        (c, alpha): (f64, f64),
        k: usize,
        standardize: bool,
    ) -> Result<Self> {
        let kind = Kind::parse(kind)?;
        let method = Method::parse(method, kind)?;
        Ok(FitOptions {
            kind,
            method,
            c,
            alpha,
            k,
            standardize,
        })
    }

    fn check(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::Invalid(format!("probe: {what}")));
        if !(self.c.is_finite() && self.c > 0.0) {
            return bad(&format!("C must be a number above 0, got {}", self.c));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return bad(&format!("alpha must be a number above 0, got {}", self.alpha));
        }
        if self.k == 0 {
            return bad("k must be at least 1");
        }
        Ok(())
    }
}

/// The labels of the points, one each: class names, or numbers for regression.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    Classes(Vec<String>),
    Values(Vec<f64>),
}

impl Labels {
    /// Class names or numbers, as the bindings pass them: exactly one of the two.
    pub fn from_parts(classes: Option<Vec<String>>, values: Option<Vec<f64>>) -> Result<Self> {
        match (classes, values) {
            (Some(c), None) => Ok(Labels::Classes(c)),
            (None, Some(v)) => Ok(Labels::Values(v)),
            _ => Err(Error::Invalid(
                "a probe takes class labels or numbers, one of the two".into(),
            )),
        }
    }

    fn len(&self) -> usize {
        match self {
            Labels::Classes(c) => c.len(),
            Labels::Values(v) => v.len(),
        }
    }
}

/// What a probe was fitted on: its model's encoder and bank, and the variant and β whose
/// embeddings it reads.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Origin {
    /// [`crate::Model::identity`] of the model.
    pub model: String,
    /// `"encoder"`, `"range"` or `"range+"`.
    pub variant: String,
    pub beta: f32,
}

/// A fitted probe.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Probe {
    /// Always `"georange-probe"`, and [`VERSION`]: what a JSON file says it is.
    pub format: String,
    pub version: u32,
    pub origin: Origin,
    pub options: FitOptions,
    /// The class names, sorted (numerically where all are integers, as scikit-learn sorts
    /// integer labels); empty for regression.
    pub classes: Vec<String>,
    pub dim: usize,
    scaler: Scaler,
    /// Logistic: `outputs × dim` (one output for two classes); ridge: `dim`; centroid: a unit
    /// direction per class (`classes × dim`); k-NN: empty.
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
    /// k-NN: the standardised training rows and their classes.
    train: Vec<f64>,
    train_classes: Vec<usize>,
}

/// Format version of [`Probe`]'s JSON.
pub const VERSION: u32 = 1;
const FORMAT: &str = "georange-probe";

/// What a probe says of some rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    /// The predicted class of each row (an index into [`Probe::classes`]) and every class's
    /// probability (`rows × classes`).
    Classes {
        labels: Vec<usize>,
        probabilities: Vec<f64>,
    },
    Values(Vec<f64>),
}

impl Probe {
    /// Fits `options`' probe on `embeddings` (`rows × dim`, one row per label).
    pub fn fit(embeddings: &[f32], dim: usize, labels: &Labels, options: &FitOptions, origin: Origin) -> Result<Self> {
        options.check()?;
        let x = rows_f64(embeddings, dim, labels.len())?;
        let scaler = Scaler::fit(&x, dim, options.standardize);
        let xs = scaler.apply(&x);
        let mut probe = Probe {
            format: FORMAT.into(),
            version: VERSION,
            origin,
            options: options.clone(),
            classes: Vec::new(),
            dim,
            scaler,
            coef: Vec::new(),
            intercept: Vec::new(),
            train: Vec::new(),
            train_classes: Vec::new(),
        };
        match (options.kind, labels) {
            (Kind::Classify, Labels::Classes(names)) => {
                let (classes, y) = class_indices(names)?;
                probe.classes = classes;
                match options.method {
                    Method::Knn => (probe.train, probe.train_classes) = (xs, y),
                    _ => {
                        let f = logistic::fit(&xs, dim, &y, probe.classes.len(), options.c);
                        (probe.coef, probe.intercept) = (f.coef, f.intercept);
                    }
                }
            }
            (Kind::Similar, Labels::Classes(names)) => probe.fit_similar(&x, &xs, names)?,
            (Kind::Regress, Labels::Values(values)) => {
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    return Err(Error::Invalid(format!(
                        "probe: label {i} is {} (regression needs finite numbers)",
                        values[i]
                    )));
                }
                let (w, b) = ridge::fit(&xs, dim, values, options.alpha)?;
                (probe.coef, probe.intercept) = (w, vec![b]);
            }
            _ => {
                return Err(Error::Invalid(
                    "probe: classify and similar take class labels, regress numbers".into(),
                ));
            }
        }
        Ok(probe)
    }

    /// A similarity probe on `x` (and `xs`, standardised) labelled `like` and `unlike`: with no
    /// `unlike`, or asked for, the centroid method on `x` as it is (the scaler the identity).
    fn fit_similar(&mut self, x: &[f64], xs: &[f64], names: &[String]) -> Result<()> {
        let y = similar::sides(names)?;
        let two = y.contains(&1);
        self.classes = [similar::LIKE, similar::UNLIKE][..1 + two as usize]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !two {
            self.options.method = Method::Centroid;
        }
        match self.options.method {
            Method::Centroid => {
                self.options.standardize = false;
                self.scaler = Scaler::fit(x, self.dim, false);
                self.coef = similar::centroids(x, self.dim, &y, self.classes.len());
            }
            Method::Knn => (self.train, self.train_classes) = (xs.to_vec(), y),
            _ => {
                let f = logistic::fit(xs, self.dim, &y, 2, self.options.c);
                (self.coef, self.intercept) = (f.coef, f.intercept);
            }
        }
        Ok(())
    }

    /// A similarity probe's score above which (or at which, for a probability) a place counts
    /// as `like`: 0.5 for a probability, 0 for the centroid method with both sides.
    pub fn like_cut(&self) -> f64 {
        if self.options.method == Method::Centroid {
            0.0
        } else {
            0.5
        }
    }

    /// The probe's answer for `embeddings` (`rows × dim`).
    pub fn predict(&self, embeddings: &[f32]) -> Result<Prediction> {
        let rows = embeddings.len() / self.dim.max(1);
        let x = self.scaler.apply(&rows_f64(embeddings, self.dim, rows)?);
        let rows = x.chunks_exact(self.dim);
        Ok(match (self.options.kind, self.options.method) {
            (Kind::Regress, _) => Prediction::Values(
                rows.map(|r| self.intercept[0] + r.iter().zip(&self.coef).map(|(a, b)| a * b).sum::<f64>())
                    .collect(),
            ),
            (Kind::Similar, method) => Prediction::Values(
                rows.map(|r| match method {
                    Method::Centroid => similar::score(&self.coef, r),
                    Method::Knn => knn::probabilities(&self.train, &self.train_classes, r, self.options.k, 2)[0],
                    _ => logistic::probabilities(&self.coef, &self.intercept, r, 2)[0],
                })
                .collect(),
            ),
            (Kind::Classify, method) => {
                let k = self.classes.len();
                let mut labels = Vec::new();
                let mut probabilities = Vec::new();
                for r in rows {
                    let p = match method {
                        Method::Knn => knn::probabilities(&self.train, &self.train_classes, r, self.options.k, k),
                        _ => logistic::probabilities(&self.coef, &self.intercept, r, k),
                    };
                    labels.push(argmax(&p));
                    probabilities.extend(p);
                }
                Prediction::Classes { labels, probabilities }
            }
        })
    }

    /// The probe as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Invalid(format!("probe: cannot be written as JSON: {e}")))
    }

    /// A probe from [`to_json`](Self::to_json)'s text, for a model whose
    /// [`identity`](crate::Model::identity) is `model`: another model's probe is refused
    /// (`pair_mismatch`), as is text that is not a probe (`bad_file`).
    pub fn from_json(text: &str, model: &str) -> Result<Self> {
        let bad = |reason: String| Error::Format {
            what: "probe".into(),
            reason,
        };
        let p: Probe = serde_json::from_str(text).map_err(|e| bad(format!("not a georange probe: {e}")))?;
        if p.format != FORMAT || p.version != VERSION {
            return Err(bad(format!(
                "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
                p.format, p.version
            )));
        }
        let similar_ok = p.options.kind != Kind::Similar
            || (p.classes.first().map(String::as_str) == Some(similar::LIKE)
                && p.classes.len() <= 2
                && p.classes.get(1).is_none_or(|c| c == similar::UNLIKE)
                && (p.classes.len() == 2 || p.options.method == Method::Centroid));
        let outputs = match (p.options.kind, p.options.method) {
            (Kind::Regress, _) => 1,
            (_, Method::Knn) => 0,
            (Kind::Similar, Method::Centroid) => p.classes.len(),
            (_, _) if p.classes.len() == 2 => 1,
            (_, _) => p.classes.len(),
        };
        let intercepts = match (p.options.kind, p.options.method) {
            (_, Method::Knn) | (Kind::Similar, Method::Centroid) => 0,
            _ => outputs,
        };
        let knn_ok = p.options.method != Method::Knn
            || (p.train.len() == p.train_classes.len() * p.dim && p.train_classes.iter().all(|&c| c < p.classes.len()));
        if p.coef.len() != outputs * p.dim
            || p.scaler.mean.len() != p.dim
            || p.scaler.scale.len() != p.dim
            || !knn_ok
            || p.intercept.len() != intercepts
            || !similar_ok
            || Method::parse(Some(p.options.method.name()), p.options.kind).is_err()
        {
            return Err(bad("its numbers do not fit its dimensions".into()));
        }
        if p.origin.model != model {
            return Err(Error::Mismatch(format!(
                "this probe was fitted on model {}, not on this one ({model})",
                p.origin.model
            )));
        }
        Ok(p)
    }
}

/// `rows × dim` f32 as f64, refusing a wrong length or a non-finite value.
fn rows_f64(x: &[f32], dim: usize, rows: usize) -> Result<Vec<f64>> {
    if dim == 0 || x.len() != rows * dim {
        return Err(Error::Mismatch(format!(
            "probe: {} values for {rows} rows of {dim}",
            x.len()
        )));
    }
    if rows == 0 {
        return Err(Error::Invalid("probe: no rows".into()));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::Invalid(format!(
            "probe: row {} has a value that is not a finite number",
            i / dim
        )));
    }
    Ok(x.iter().map(|&v| v as f64).collect())
}

/// The sorted distinct class names and each label's index among them.
fn class_indices(names: &[String]) -> Result<(Vec<String>, Vec<usize>)> {
    if let Some(i) = names.iter().position(|n| n.trim().is_empty()) {
        return Err(Error::Invalid(format!("probe: label {i} is an empty class name")));
    }
    let mut classes: Vec<String> = names.to_vec();
    let numeric: Option<Vec<i64>> = classes.iter().map(|c| c.parse::<i64>().ok()).collect();
    match numeric {
        Some(_) => classes.sort_by_key(|c| c.parse::<i64>().unwrap_or(0)),
        None => classes.sort(),
    }
    classes.dedup();
    if classes.len() < 2 {
        return Err(Error::Invalid(format!(
            "probe: classification needs at least two classes, got {:?}",
            classes
        )));
    }
    let y = names
        .iter()
        .map(|n| classes.iter().position(|c| c == n).unwrap_or(0))
        .collect();
    Ok((classes, y))
}

fn argmax(p: &[f64]) -> usize {
    p.iter()
        .enumerate()
        .fold(0, |best, (i, v)| if *v > p[best] { i } else { best })
}
