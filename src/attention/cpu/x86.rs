//! x86-64: the passes compiled for AVX2 and FMA, taken where the processor has them.

use super::portable::{Madd, Plain};
use super::{Head, HostBank, Probs, Rows, accumulate, int8::Quantised, score};

/// A fused multiply-add.
enum Fma {}

impl Madd for Fma {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    /// AVX2's unsigned × signed byte multiply-add (`vpmaddubsw`, `a` and `b` the unsigned
    /// operands: within [1, 127], so no pair of products saturates its i16), widened to i32
    /// by `vpmaddwd` with ones: 32 products in three instructions.
    #[inline(always)]
    fn dot2_i8(row: &[i8], a: &[i8], b: &[i8]) -> (i32, i32) {
        // SAFETY: `Fma` runs only inside `score_fma`, compiled for AVX2 and called only
        // where the processor has it (`has_fma`).
        let (done, sa, sb) = unsafe { dot2_avx2(row, a, b) };
        let (ta, tb) = super::int8::dot2(&row[done..], &a[done..], &b[done..]);
        (sa + ta, sb + tb)
    }
}

/// [`Fma::dot2_i8`] over the first `len / 32 · 32` bytes; returns how many and the two sums.
#[target_feature(enable = "avx2")]
#[inline]
fn dot2_avx2(row: &[i8], a: &[i8], b: &[i8]) -> (usize, i32, i32) {
    use std::arch::x86_64::*;
    let whole = row.len().min(a.len()).min(b.len()) / 32 * 32;
    let load = |s: &[i8]| {
        assert!(s.len() >= 32);
        // SAFETY: `s` holds at least 32 bytes (asserted); the load takes unaligned addresses.
        unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
    };
    let ones = _mm256_set1_epi16(1);
    let (mut sa, mut sb) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for at in (0..whole).step_by(32) {
        let r = load(&row[at..]);
        let pa = _mm256_maddubs_epi16(load(&a[at..]), r);
        let pb = _mm256_maddubs_epi16(load(&b[at..]), r);
        sa = _mm256_add_epi32(sa, _mm256_madd_epi16(pa, ones));
        sb = _mm256_add_epi32(sb, _mm256_madd_epi16(pb, ones));
    }
    let total = |v: __m256i| {
        let mut lanes = [0i32; 8];
        // SAFETY: `lanes` holds 32 bytes; the store takes unaligned addresses.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v) };
        lanes.iter().sum::<i32>()
    };
    (whole, total(sa), total(sb))
}

/// Whether this processor has AVX2 and FMA.
fn has_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Pass 1 with the best multiply-add this processor has.
pub(super) fn score_best(
    bank: &HostBank,
    heads: &[Head],
    quantised: &[Option<Quantised>],
    batch: usize,
    range: (usize, usize),
) -> (Vec<f32>, Vec<f32>) {
    if has_fma() {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { score_fma(bank, heads, quantised, batch, range) };
    }
    score::<Plain>(bank, heads, quantised, batch, range)
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
fn score_fma(
    bank: &HostBank,
    heads: &[Head],
    quantised: &[Option<Quantised>],
    batch: usize,
    range: (usize, usize),
) -> (Vec<f32>, Vec<f32>) {
    score::<Fma>(bank, heads, quantised, batch, range)
}

/// Pass 3 with fused multiply-adds; call only where [`has_fma`].
#[target_feature(enable = "avx2,fma")]
fn accumulate_fma(values: &Rows, probs: &Probs, range: (usize, usize)) -> Vec<f32> {
    accumulate::<Fma>(values, probs, range)
}
