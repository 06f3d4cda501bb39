//! The kernel's row loops in portable Rust, which LLVM vectorises: every build but the
//! browser's (whose loops are [`super::simd128`]'s, the same sums in the same order). The
//! multiply-add is a parameter ([`Madd`]): plain, or fused on x86-64 with FMA (`super::x86`).

use super::{CHUNK, GROUP};

/// A multiply-add: plain, or fused where the processor has FMA; and the int8 dot products of
/// the int8 score pass, portable or with AVX2's byte multiply-adds.
pub(super) trait Madd {
    fn madd(a: f32, b: f32, c: f32) -> f32;
    /// `(Σ row·a, Σ row·b)` in i32, `a` and `b` within [1, 127] (the relaxed-SIMD browser
    /// module has its own loop, `simd128::dot2_i8_whole`).
    #[cfg_attr(all(wasm_simd, target_feature = "relaxed-simd"), allow(dead_code))]
    #[inline(always)]
    fn dot2_i8(row: &[i8], a: &[i8], b: &[i8]) -> (i32, i32) {
        super::int8::dot2(row, a, b)
    }
}
pub(super) enum Plain {}
impl Madd for Plain {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// Independent sums of a dot product, so that it vectorises (the browser's loops keep as many).
#[cfg_attr(wasm_simd, allow(dead_code))]
pub(super) const SUMS: usize = 16;

/// `a · b` with [`SUMS`] independent sums, so that it vectorises.
#[cfg_attr(wasm_simd, allow(dead_code))]
#[inline(always)]
pub(super) fn dot<M: Madd, T: Copy + Into<f32>>(a: &[T], b: &[f32]) -> f32 {
    let mut acc = [0f32; SUMS];
    let whole = a.len() / SUMS * SUMS;
    for (x, y) in a[..whole].chunks_exact(SUMS).zip(b[..whole].chunks_exact(SUMS)) {
        for j in 0..SUMS {
            acc[j] = M::madd(x[j].into(), y[j], acc[j]);
        }
    }
    let tail: f32 = a[whole..].iter().zip(&b[whole..]).map(|(&x, y)| x.into() * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// `acc += w · row`.
#[inline(always)]
pub(super) fn axpy<M: Madd, T: Copy + Into<f32>>(acc: &mut [f32], w: f32, row: &[T]) {
    for (a, &x) in acc.iter_mut().zip(row) {
        *a = M::madd(w, x.into(), *a);
    }
}

/// `acc += Σ_k w[k] · rows[k]`, row by row for each element, from element `from` on (the
/// browser build's SIMD loop adds the elements before it).
#[inline(always)]
pub(super) fn add_rows_from<M: Madd, T: Copy + Into<f32>>(
    acc: &mut [f32],
    w: &[f32; GROUP],
    rows: &[&[T]; GROUP],
    from: usize,
) {
    let whole = from + (acc.len() - from) / CHUNK * CHUNK;
    for c in (from..whole).step_by(CHUNK) {
        let mut sum = [0f32; CHUNK];
        sum.copy_from_slice(&acc[c..c + CHUNK]);
        for (row, &wk) in rows.iter().zip(w) {
            let part = &row[c..c + CHUNK];
            for j in 0..CHUNK {
                sum[j] = M::madd(wk, part[j].into(), sum[j]);
            }
        }
        acc[c..c + CHUNK].copy_from_slice(&sum);
    }
    for (j, a) in acc.iter_mut().enumerate().skip(whole) {
        for (row, &wk) in rows.iter().zip(w) {
            *a = M::madd(wk, row[j].into(), *a);
        }
    }
}

/// The loops the passes call, here the portable ones.
#[cfg(not(wasm_simd))]
pub(super) mod loops {
    use super::super::GROUP;
    use super::Madd;

    #[inline(always)]
    pub fn dot<M: Madd, T: Copy + Into<f32>>(a: &[T], b: &[f32]) -> f32 {
        super::dot::<M, T>(a, b)
    }

    #[inline(always)]
    pub fn axpy<M: Madd>(acc: &mut [f32], w: f32, row: &[i8]) {
        super::axpy::<M, i8>(acc, w, row)
    }

    #[inline(always)]
    pub fn add_rows<M: Madd>(acc: &mut [f32], w: &[f32; GROUP], rows: &[&[f32]; GROUP]) {
        super::add_rows_from::<M, f32>(acc, w, rows, 0)
    }

    #[inline(always)]
    pub fn widen(dst: &mut [f32], src: &[i8]) {
        dst.iter_mut().zip(src).for_each(|(f, &c)| *f = c as f32);
    }

    /// `(Σ row·a, Σ row·b)` in i32, `a` and `b` within [1, 127].
    #[inline(always)]
    pub fn dot2_i8<M: Madd>(row: &[i8], a: &[i8], b: &[i8]) -> (i32, i32) {
        M::dot2_i8(row, a, b)
    }
}
