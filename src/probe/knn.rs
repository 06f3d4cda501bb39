//! k nearest neighbours by cosine similarity, as scikit-learn's `KNeighborsClassifier`
//! (`metric='cosine'`, uniform weights): each class's share of the `k` nearest training rows;
//! the predicted class the largest share (the first class on a tie).

/// Each class's share among the `k` training rows (`train`, `n × dim`, classes `y`) most alike
/// to `row`; of equally alike rows, the earlier one is nearer.
pub fn probabilities(train: &[f64], y: &[usize], row: &[f64], k: usize, classes: usize) -> Vec<f64> {
    let dim = row.len();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    let nr = norm(row);
    let mut sims: Vec<(f64, usize)> = train
        .chunks_exact(dim)
        .enumerate()
        .map(|(i, t)| (t.iter().zip(row).map(|(a, b)| a * b).sum::<f64>() / (norm(t) * nr), i))
        .collect();
    sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let k = k.min(sims.len()).max(1);
    let mut share = vec![0.0; classes];
    for &(_, i) in &sims[..k] {
        share[y[i]] += 1.0 / k as f64;
    }
    share
}
