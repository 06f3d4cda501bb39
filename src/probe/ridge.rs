//! Ridge regression with an intercept, as scikit-learn's `Ridge` (`alpha`, `fit_intercept`)
//! solves it: the columns and the targets centred, then `(XᵀX + αI) w = Xᵀy` (or, with fewer
//! rows than columns, the same solution from `(XXᵀ + αI) a = y`, `w = Xᵀa`) by Cholesky with
//! refinement ([`solve_normal`]); the intercept is the targets' mean less the centred columns'
//! means times `w`.

use super::linalg::solve_normal;
use crate::error::{Error, Result};

/// `(w, intercept)` for `x` (`n × dim`, already standardised) and targets `y`.
pub fn fit(x: &[f64], dim: usize, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64)> {
    let n = y.len();
    let mut mean_x = vec![0.0; dim];
    for row in x.chunks_exact(dim) {
        mean_x.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean_x.iter_mut().for_each(|m| *m /= n as f64);
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let xc: Vec<f64> = x
        .chunks_exact(dim)
        .flat_map(|r| r.iter().zip(&mean_x).map(|(v, m)| v - m))
        .collect();
    let yc: Vec<f64> = y.iter().map(|v| v - mean_y).collect();
    // Xᵀ v, row by row.
    let xt_times = |v: &[f64]| {
        let mut out = vec![0.0; dim];
        for (row, vi) in xc.chunks_exact(dim).zip(v) {
            out.iter_mut().zip(row).for_each(|(o, a)| *o += a * vi);
        }
        out
    };
    let singular = || Error::Invalid("ridge: the system is singular (alpha must be above 0)".into());
    let w = if n >= dim {
        solve_normal(&xc, n, dim, &xt_times(&yc), alpha).ok_or_else(singular)?
    } else {
        let mut xt = vec![0.0; dim * n];
        for (i, row) in xc.chunks_exact(dim).enumerate() {
            row.iter().enumerate().for_each(|(j, v)| xt[j * n + i] = *v);
        }
        xt_times(&solve_normal(&xt, dim, n, &yc, alpha).ok_or_else(singular)?)
    };
    let intercept = mean_y - mean_x.iter().zip(&w).map(|(m, c)| m * c).sum::<f64>();
    Ok((w, intercept))
}
