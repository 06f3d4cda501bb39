//! "More like these, not like those": a score for how alike each place is to the places
//! marked `like` and unlike those marked `unlike`. With both, a two-class probe (logistic
//! regression or k-NN) whose score is the probability of `like`; with `like` places only, one
//! class: the cosine similarity to the mean direction of their embeddings (as "places like
//! this" compares), less the similarity to the `unlike` places' mean where `centroid` is asked
//! for with both.

use crate::error::{Error, Result};

pub const LIKE: &str = "like";
pub const UNLIKE: &str = "unlike";

/// Each label's side: 0 for `like`, 1 for `unlike`; refuses any other label, and labels
/// without a `like`.
pub fn sides(names: &[String]) -> Result<Vec<usize>> {
    let y = names
        .iter()
        .enumerate()
        .map(|(i, n)| match n.as_str() {
            LIKE => Ok(0),
            UNLIKE => Ok(1),
            other => Err(Error::Invalid(format!(
                "probe: label {i} is {other:?}; a similarity probe takes \"like\" and \"unlike\" (true and false)"
            ))),
        })
        .collect::<Result<Vec<usize>>>()?;
    if !y.contains(&0) {
        return Err(Error::Invalid(
            "probe: a similarity probe needs at least one \"like\" place".into(),
        ));
    }
    Ok(y)
}

/// The unit mean direction of each side's rows (`x`: `n × dim`, `y` its sides), `sides × dim`.
pub fn centroids(x: &[f64], dim: usize, y: &[usize], sides: usize) -> Vec<f64> {
    let mut c = vec![0.0; sides * dim];
    for (row, &s) in x.chunks_exact(dim).zip(y) {
        let n = norm(row);
        c[s * dim..(s + 1) * dim]
            .iter_mut()
            .zip(row)
            .for_each(|(a, v)| *a += v / n);
    }
    for side in c.chunks_exact_mut(dim) {
        let n = norm(side);
        side.iter_mut().for_each(|a| *a /= n);
    }
    c
}

/// `row`'s cosine similarity to the first centroid, less that to the second where there is one.
pub fn score(centroids: &[f64], row: &[f64]) -> f64 {
    let dim = row.len();
    let n = norm(row);
    let cos = |c: &[f64]| c.iter().zip(row).map(|(a, b)| a * b).sum::<f64>() / n;
    let mut sides = centroids.chunks_exact(dim);
    let like = sides.next().map_or(0.0, cos);
    like - sides.next().map_or(0.0, cos)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt().max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_refuse_other_labels_and_no_like() {
        let s = |v: &[&str]| sides(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["like", "unlike", "like"]).unwrap(), vec![0, 1, 0]);
        assert!(s(&["like", "maybe"]).unwrap_err().to_string().contains("label 1"));
        assert!(s(&["unlike"]).unwrap_err().to_string().contains("at least one"));
    }

    #[test]
    fn score_is_cosine_to_the_like_mean_less_the_unlike_mean() {
        let x = [1.0, 0.0, 0.0, 2.0, /* unlike */ 0.0, -3.0];
        let c = centroids(&x, 2, &[0, 0, 1], 2);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((c[0] - h).abs() < 1e-12 && (c[1] - h).abs() < 1e-12);
        assert!((c[2]).abs() < 1e-12 && (c[3] + 1.0).abs() < 1e-12);
        // (1, 1): cos to like = 1, to unlike = -h.
        assert!((score(&c, &[1.0, 1.0]) - (1.0 + h)).abs() < 1e-12);
        // One side only: the cosine alone.
        assert!((score(&c[..2], &[1.0, 0.0]) - h).abs() < 1e-12);
    }
}
