//! "Places like this" on the host: the cosine similarity of a query with every row of a bank
//! matrix, read from the rows as stored (int8 codes without their scales: a row's scale
//! cancels out of its cosine). The same on a device is [`crate::model`]'s `similar_rows`.

use crate::format::Rows;
use crate::parallel::for_rows;

/// Rows each thread takes at least (a row is a few hundred multiply-adds).
const MIN_ROWS_PER_THREAD: usize = 4096;

/// The cosine similarity of `query` with each row of `rows` (0 where either is zero).
pub fn cosine_rows(rows: &Rows, query: &[f32]) -> Vec<f32> {
    let query_norm = dot(query, query).sqrt();
    let mut out = vec![0f32; rows.rows()];
    for_rows(&mut out, 1, MIN_ROWS_PER_THREAD, |first, part| {
        for (i, o) in part.iter_mut().enumerate() {
            let (row_dot, row_sq) = row_products(rows, first + i, query);
            let norms = query_norm * row_sq.sqrt();
            *o = if norms > 0.0 { row_dot / norms } else { 0.0 };
        }
    });
    out
}

/// `(query · row, row · row)` for one row.
fn row_products(rows: &Rows, r: usize, query: &[f32]) -> (f32, f32) {
    match rows {
        Rows::F32 { data, cols } => {
            let row = &data[r * cols..][..*cols];
            (dot(query, row), dot(row, row))
        }
        Rows::Int8 { codes, cols, .. } => {
            let row = &codes[r * cols..][..*cols];
            let squares: i32 = row.iter().map(|&c| i32::from(c) * i32::from(c)).sum();
            (dot_codes(query, row), squares as f32)
        }
    }
}

/// `a · b` in eight lanes, which the compiler turns into SIMD (f32 addition is not
/// associative, so a plain running sum stays scalar).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `a · codes`, likewise.
fn dot_codes(a: &[f32], codes: &[i8]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, c8) = (a.chunks_exact(8), codes.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(c8.remainder())
        .map(|(x, &c)| x * f32::from(c))
        .sum();
    for (x, c) in a8.zip(c8) {
        for l in 0..8 {
            lanes[l] += x[l] * f32::from(c[l]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The indices of the `k` largest of `scores`, largest first (ties: the lower index first).
pub fn top_k(scores: &[f32], k: usize) -> Vec<usize> {
    let larger = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    let mut order: Vec<usize> = (0..scores.len()).collect();
    if k < order.len() {
        // The k largest first, unsorted, in linear time; then only those are sorted.
        order.select_nth_unstable_by(k, larger);
        order.truncate(k);
    }
    order.sort_unstable_by(larger);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosines_of_f32_and_int8_rows_match_the_definition() {
        let data = vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0];
        let rows = Rows::F32 {
            data: data.clone(),
            cols: 3,
        };
        let q = [3.0, 4.0, 0.0];
        let got = cosine_rows(&rows, &q);
        let want = [0.6, 0.8, 1.0, 0.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?}");
        }
        // Scales cancel: int8 rows give their codes' cosines.
        let int8 = Rows::from_int8(vec![1, 0, 0, 0, 2, 0, 3, 4, 0, 0, 0, 0], vec![5.0, 0.5, 2.0, 1.0], 3);
        assert_eq!(cosine_rows(&int8, &q), got);
    }

    #[test]
    fn top_k_is_largest_first_with_ties_by_index() {
        let s = [0.1, 0.9, 0.5, 0.9, -1.0];
        assert_eq!(top_k(&s, 3), vec![1, 3, 2]);
        assert_eq!(top_k(&s, 10), vec![1, 3, 2, 0, 4]);
        assert!(top_k(&s, 0).is_empty());
    }
}
