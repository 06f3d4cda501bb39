//! Inputs standardised as scikit-learn's `StandardScaler` does: each column less its mean,
//! over its standard deviation (population, `ddof = 0`); a constant column is only centred.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Scaler {
    /// Fitted on `x` (`rows × dim`); with `standardize` false, the identity.
    pub fn fit(x: &[f64], dim: usize, standardize: bool) -> Self {
        let n = (x.len() / dim.max(1)).max(1) as f64;
        if !standardize {
            return Scaler {
                mean: vec![0.0; dim],
                scale: vec![1.0; dim],
            };
        }
        let mut mean = vec![0.0; dim];
        for row in x.chunks_exact(dim) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; dim];
        for row in x.chunks_exact(dim) {
            var.iter_mut()
                .zip(row.iter().zip(&mean))
                .for_each(|(s, (v, m))| *s += (v - m) * (v - m));
        }
        let scale = var
            .iter()
            .map(|s| (s / n).sqrt())
            .map(|s| if s > 1e-12 * (1.0 + s) && s > 0.0 { s } else { 1.0 })
            .collect();
        Scaler { mean, scale }
    }

    /// `x` (`rows × dim`) standardised.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        let dim = self.mean.len();
        x.chunks_exact(dim.max(1))
            .flat_map(|row| {
                row.iter()
                    .zip(self.mean.iter().zip(&self.scale))
                    .map(|(v, (m, s))| (v - m) / s)
            })
            .collect()
    }
}
