//! The score pass in integer arithmetic ([`Compute::Int8`](crate::attention::Compute)): an
//! int8 key row against a query quantised per point, as int8 × int8 dot products summed in
//! i32.
//!
//! A query is held as two int8 parts, `q ≈ scale · (hi + lo / 126)`, each part within ±63:
//! `hi` the query rounded to 63 steps of its largest |value|, `lo` what that rounding left
//! over, in 126ths of a step. One part alone (7 bits) would move a score by up to 1/126 of a
//! step times the key's norm, 1e-2 of a logit at the demo's scale, visibly so in a map; the
//! two together by 1/15,876 of a step, about 1e-4 of a logit (the accuracy tests,
//! `tests/integration/int8_compute.rs`).
//!
//! Each part is stored offset by 64, in [1, 127]: the unsigned 7-bit operand of WebAssembly's
//! `i32x4.relaxed_dot_i8x16_i7x16_add_s`, whose result is exact and the same on every
//! processor for such operands. The offset comes back out through the key row's sum:
//! `Σ k·(p + 64) − 64 · Σ k`. Every build computes the same integer sums, so a score is the
//! same number in the browser and natively.

use super::portable::Madd;

/// The largest |value| of a query part: offset by [`OFFSET`] it stays within [1, 127].
const PART: f32 = 63.0;
/// What each stored part is offset by.
const OFFSET: i32 = 64;
/// `lo`'s unit: 1/126 of a step of `hi`, so that `lo`'s rounding error stays below 1/252 of
/// a step.
const LO_STEPS: f64 = 2.0 * PART as f64;

/// A batch of `dim`-wide queries in two int8 parts each.
pub struct Quantised {
    /// Per query: `hi` then `lo`, each `dim` long, offset by [`OFFSET`].
    parts: Vec<i8>,
    /// Per query: the size of one step of `hi`.
    scales: Vec<f32>,
    dim: usize,
}

impl Quantised {
    /// Quantises `queries`, `batch × dim` row-major.
    pub fn new(queries: &[f32], dim: usize) -> Self {
        let batch = queries.len() / dim.max(1);
        let mut parts = Vec::with_capacity(2 * batch * dim);
        let mut scales = Vec::with_capacity(batch);
        for q in queries.chunks_exact(dim.max(1)) {
            let top = q.iter().fold(0f32, |m, v| m.max(v.abs()));
            let step = if top > 0.0 { top / PART } else { 1.0 };
            let scaled: Vec<f32> = q.iter().map(|v| v / step).collect();
            let hi: Vec<f32> = scaled.iter().map(|v| v.round().clamp(-PART, PART)).collect();
            parts.extend(hi.iter().map(|&h| (h as i32 + OFFSET) as i8));
            parts.extend(scaled.iter().zip(&hi).map(|(v, h)| {
                let lo = (((v - h) as f64) * LO_STEPS).round().clamp(-PART as f64, PART as f64);
                (lo as i32 + OFFSET) as i8
            }));
            scales.push(step);
        }
        Quantised { parts, scales, dim }
    }

    /// Query `i` · `row` (int8 codes whose sum is `row_sum`), in the units of the codes.
    #[inline(always)]
    pub(super) fn dot<M: Madd>(&self, i: usize, row: &[i8], row_sum: i32) -> f32 {
        let d = self.dim;
        let part = &self.parts[2 * i * d..2 * (i + 1) * d];
        let (hi, lo) = super::row_loops::loops::dot2_i8::<M>(row, &part[..d], &part[d..]);
        let off = (OFFSET * row_sum) as f64;
        ((hi as f64 - off + (lo as f64 - off) / LO_STEPS) * self.scales[i] as f64) as f32
    }
}

/// `Σ codes`, in i32 (exact for rows of up to 2²⁴ codes).
#[inline(always)]
pub fn row_sum(row: &[i8]) -> i32 {
    row.iter().map(|&c| i32::from(c)).sum()
}

/// `(Σ row·a, Σ row·b)` in i32, portably (LLVM vectorises it): the baseline browser module
/// and processors without AVX2 (x86.rs has AVX2's), and the relaxed-SIMD module's tails.
#[inline(always)]
pub fn dot2(row: &[i8], a: &[i8], b: &[i8]) -> (i32, i32) {
    let mut sa = 0i32;
    let mut sb = 0i32;
    for ((&r, &x), &y) in row.iter().zip(a).zip(b) {
        sa += i32::from(r) * i32::from(x);
        sb += i32::from(r) * i32::from(y);
    }
    (sa, sb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as f32 / u32::MAX as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn parts_stay_in_the_unsigned_seven_bit_range() {
        let q = Quantised::new(&rows(3 * 37, 5), 37);
        assert!(q.parts.iter().all(|&p| (1..=127).contains(&p)));
        assert_eq!(q.parts.len(), 2 * 3 * 37);
    }

    #[test]
    fn a_dot_product_is_within_the_two_parts_rounding() {
        let dim = 300;
        let queries = rows(4 * dim, 11);
        let codes: Vec<i8> = rows(dim, 17).iter().map(|v| (v * 254.0) as i8).collect();
        let q = Quantised::new(&queries, dim);
        for (i, qi) in queries.chunks(dim).enumerate() {
            let exact: f64 = qi.iter().zip(&codes).map(|(a, &c)| *a as f64 * c as f64).sum();
            let got = q.dot::<super::super::portable::Plain>(i, &codes, row_sum(&codes)) as f64;
            // Each element is within half of 1/126 of a step; Σ|codes| bounds the sum's error.
            let step = qi.iter().fold(0f32, |m, v| m.max(v.abs())) as f64 / 63.0;
            let bound = step / 252.0 * codes.iter().map(|&c| (c as f64).abs()).sum::<f64>() + 1e-3;
            assert!(
                (got - exact).abs() <= bound,
                "query {i}: {got} vs {exact} (bound {bound})"
            );
        }
    }

    #[test]
    fn a_zero_query_scores_zero() {
        let q = Quantised::new(&[0.0; 16], 16);
        let row = [5i8; 16];
        assert_eq!(q.dot::<super::super::portable::Plain>(0, &row, row_sum(&row)), 0.0);
    }
}
