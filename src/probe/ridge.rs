//! Ridge regression with an intercept, as scikit-learn's `Ridge` (`alpha`, `fit_intercept`)
//! solves it: the columns and the targets centred, then `(XᵀX + αI) w = Xᵀy` by Cholesky
//! (or, with fewer rows than columns, the same solution from `(XXᵀ + αI) a = y`, `w = Xᵀa`);
//! the intercept is the targets' mean less the centred columns' means times `w`.

use super::linalg::{cholesky_solve, gram, gram_t};
use crate::error::{Error, Result};

/// `(w, intercept)` for `x` (`n × dim`, already standardised) and targets `y`.
pub fn fit(x: &[f64], dim: usize, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64)> {
    let n = y.len();
    let mean_x: Vec<f64> = (0..dim)
        .map(|j| x.iter().skip(j).step_by(dim).sum::<f64>() / n as f64)
        .collect();
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let xc: Vec<f64> = x
        .chunks_exact(dim)
        .flat_map(|r| r.iter().zip(&mean_x).map(|(v, m)| v - m))
        .collect();
    let yc: Vec<f64> = y.iter().map(|v| v - mean_y).collect();
    let w = if n >= dim {
        let mut a = gram(&xc, n, dim);
        (0..dim).for_each(|j| a[j * dim + j] += alpha);
        let b: Vec<f64> = (0..dim)
            .map(|j| (0..n).map(|i| xc[i * dim + j] * yc[i]).sum())
            .collect();
        cholesky_solve(a, b, dim)
    } else {
        let mut a = gram_t(&xc, n, dim);
        (0..n).for_each(|i| a[i * n + i] += alpha);
        let dual = cholesky_solve(a, yc, n)
            .ok_or_else(|| Error::Invalid("ridge: the system is singular (alpha must be above 0)".into()))?;
        Some(
            (0..dim)
                .map(|j| (0..n).map(|i| xc[i * dim + j] * dual[i]).sum())
                .collect(),
        )
    }
    .ok_or_else(|| Error::Invalid("ridge: the system is singular (alpha must be above 0)".into()))?;
    let intercept = mean_y - mean_x.iter().zip(&w).map(|(m, c)| m * c).sum::<f64>();
    Ok((w, intercept))
}
