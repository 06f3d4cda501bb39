//! The passes with a plain multiply-add: processors other than x86-64 (whose x86.rs picks
//! FMA where it can). WebAssembly's loops are its own (simd128.rs), called from the same passes.

use super::portable::Plain;
use super::{Head, HostBank, Probs, Rows, accumulate, int8::Quantised, score};

/// Pass 1.
pub(super) fn score_best(
    bank: &HostBank,
    heads: &[Head],
    quantised: &[Option<Quantised>],
    batch: usize,
    range: (usize, usize),
) -> (Vec<f32>, Vec<f32>) {
    score::<Plain>(bank, heads, quantised, batch, range)
}

/// Pass 3.
pub(super) fn accumulate_best(values: &Rows, probs: &Probs, range: (usize, usize)) -> Vec<f32> {
    accumulate::<Plain>(values, probs, range)
}
