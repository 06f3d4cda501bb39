//! x86-64: the passes compiled for AVX2 and FMA, taken where the processor has them.

use super::portable::{Madd, Plain};
use super::{Head, HostBank, Probs, Rows, accumulate, score};

/// A fused multiply-add.
enum Fma {}

impl Madd for Fma {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// Whether this processor has AVX2 and FMA.
fn has_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Pass 1 with the best multiply-add this processor has.
pub(super) fn score_best(bank: &HostBank, heads: &[Head], batch: usize, a: usize, z: usize) -> (Vec<f32>, Vec<f32>) {
    if has_fma() {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { score_fma(bank, heads, batch, a, z) };
    }
    score::<Plain>(bank, heads, batch, a, z)
}

/// Pass 3 with the best multiply-add this processor has.
pub(super) fn accumulate_best(values: &Rows, probs: &Probs, range: (usize, usize)) -> Vec<f32> {
    if has_fma() {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { accumulate_fma(values, probs, range) };
    }
    accumulate::<Plain>(values, probs, range)
}

/// Pass 1 with fused multiply-adds; call only where [`has_fma`].
#[target_feature(enable = "avx2,fma")]
fn score_fma(bank: &HostBank, heads: &[Head], batch: usize, a: usize, z: usize) -> (Vec<f32>, Vec<f32>) {
    score::<Fma>(bank, heads, batch, a, z)
}

/// Pass 3 with fused multiply-adds; call only where [`has_fma`].
#[target_feature(enable = "avx2,fma")]
fn accumulate_fma(values: &Rows, probs: &Probs, range: (usize, usize)) -> Vec<f32> {
    accumulate::<Fma>(values, probs, range)
}
