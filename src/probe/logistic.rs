//! L2-regularised logistic regression as scikit-learn's `LogisticRegression` (`lbfgs`, `C`)
//! fits it: two classes through one weight vector (the binomial model), more through one per
//! class (the multinomial model); the intercepts are not penalised. The objective, divided by
//! `C·n` to keep its scale independent of the data's size (the same minimum):
//! `(1/n) Σ loss_i + ‖W‖² / (2·C·n)`, minimised by L-BFGS to a gradient below 1e-10.

use super::linalg::{dot, lbfgs};

/// Weights (`outputs × dim`, row-major) and intercepts (`outputs`): one output for two classes,
/// one per class for more.
pub struct Fitted {
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
}

/// Fits `x` (`n × dim`, standardised) to classes `y` (indices below `classes`).
pub fn fit(x: &[f64], dim: usize, y: &[usize], classes: usize, c: f64) -> Fitted {
    let outputs = if classes == 2 { 1 } else { classes };
    let n = y.len();
    let mut params = vec![0.0; outputs * (dim + 1)];
    let penalty = 1.0 / (c * n as f64);
    let mut z = vec![0.0; outputs];
    lbfgs(
        &mut params,
        |p, g| {
            g.iter_mut().for_each(|v| *v = 0.0);
            let (w, b) = p.split_at(outputs * dim);
            let mut loss = 0.0;
            for (row, &yi) in x.chunks_exact(dim).zip(y) {
                for (k, zk) in z.iter_mut().enumerate() {
                    *zk = b[k] + dot(&w[k * dim..(k + 1) * dim], row);
                }
                // d loss / d z_k for this sample.
                let resid: Vec<f64> = if outputs == 1 {
                    let t = if yi == 1 { 1.0 } else { 0.0 };
                    loss += softplus(z[0]) - t * z[0];
                    vec![sigmoid(z[0]) - t]
                } else {
                    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                    loss += lse - z[yi];
                    z.iter()
                        .enumerate()
                        .map(|(k, v)| (v - lse).exp() - if k == yi { 1.0 } else { 0.0 })
                        .collect()
                };
                for (k, r) in resid.iter().enumerate() {
                    g[k * dim..(k + 1) * dim]
                        .iter_mut()
                        .zip(row)
                        .for_each(|(gk, v)| *gk += r * v);
                    g[outputs * dim + k] += r;
                }
            }
            let inv_n = 1.0 / n as f64;
            g.iter_mut().for_each(|v| *v *= inv_n);
            g[..outputs * dim]
                .iter_mut()
                .zip(w)
                .for_each(|(gk, wk)| *gk += penalty * wk);
            loss * inv_n + 0.5 * penalty * w.iter().map(|v| v * v).sum::<f64>()
        },
        1e-10,
        5000,
    );
    let intercept = params.split_off(outputs * dim);
    Fitted {
        coef: params,
        intercept,
    }
}

/// Each class's probability for `row` (standardised), as `predict_proba` gives them.
pub fn probabilities(coef: &[f64], intercept: &[f64], row: &[f64], classes: usize) -> Vec<f64> {
    let dim = row.len();
    let z: Vec<f64> = intercept
        .iter()
        .enumerate()
        .map(|(k, b)| b + dot(&coef[k * dim..(k + 1) * dim], row))
        .collect();
    if classes == 2 {
        let p = sigmoid(z[0]);
        return vec![1.0 - p, p];
    }
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// `ln(1 + eᶻ)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}
