//! The row loops of the CPU attention kernel ([`super`]), written with WebAssembly SIMD
//! intrinsics for the browser build. LLVM keeps the i8 → f32 widening of those loops scalar
//! on wasm32 (one lane extracted at a time).
//!
//! Each function does the arithmetic of its portable counterpart (`portable.rs`) in the same
//! order — multiply, then add, lane by lane — so its results are bit for bit the same
//! (baseline WebAssembly SIMD has no fused multiply-add).
//!
//! The second browser build (this crate compiled with `+relaxed-simd`, build.sh) adds each
//! product with `f32x4.relaxed_madd` instead: fused where the processor has FMA, so rounded
//! once instead of twice. js/runtime.js loads that build where the browser validates
//! relaxed SIMD.

use core::arch::wasm32::{
    f32x4_convert_i32x4, f32x4_extract_lane, f32x4_splat, i16x8_extend_high_i8x16, i16x8_extend_low_i8x16,
    i32x4_extend_high_i16x8, i32x4_extend_low_i16x8, v128, v128_load, v128_store,
};

// Elements per step, [`SUMS`]: one 16-byte load of int8 codes, four vectors of f32.
use super::portable::SUMS;

/// `a · b + c`, lane by lane: one relaxed multiply-add in the relaxed-SIMD build (fused or
/// not, as the processor does it), a multiply then an add in the baseline build.
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
fn madd(a: v128, b: v128, c: v128) -> v128 {
    core::arch::wasm32::f32x4_relaxed_madd(a, b, c)
}
#[cfg(not(target_feature = "relaxed-simd"))]
#[inline(always)]
fn madd(a: v128, b: v128, c: v128) -> v128 {
    core::arch::wasm32::f32x4_add(core::arch::wasm32::f32x4_mul(a, b), c)
}

/// The 16 codes at `src[0..16]` as four vectors of f32, in order.
#[inline(always)]
fn widen(src: &[i8]) -> [v128; 4] {
    assert!(src.len() >= SUMS);
    // SAFETY: `src` holds at least 16 bytes (asserted); `v128_load` takes unaligned addresses.
    let codes = unsafe { v128_load(src.as_ptr().cast()) };
    let (lo, hi) = (i16x8_extend_low_i8x16(codes), i16x8_extend_high_i8x16(codes));
    [
        f32x4_convert_i32x4(i32x4_extend_low_i16x8(lo)),
        f32x4_convert_i32x4(i32x4_extend_high_i16x8(lo)),
        f32x4_convert_i32x4(i32x4_extend_low_i16x8(hi)),
        f32x4_convert_i32x4(i32x4_extend_high_i16x8(hi)),
    ]
}

/// Four f32 at `src[0..4]`.
#[inline(always)]
fn load4(src: &[f32]) -> v128 {
    assert!(src.len() >= 4);
    // SAFETY: `src` holds at least four f32 (asserted); unaligned loads are allowed.
    unsafe { v128_load(src.as_ptr().cast()) }
}

/// Stores `v` into `dst[0..4]`.
#[inline(always)]
fn store4(dst: &mut [f32], v: v128) {
    assert!(dst.len() >= 4);
    // SAFETY: `dst` holds at least four f32 (asserted); unaligned stores are allowed.
    unsafe { v128_store(dst.as_mut_ptr().cast(), v) }
}

/// A row element the loops read 16 at a time as four vectors of f32: int8 codes (widened)
/// or f32 (a batch's keys, each int8 row converted once).
pub trait Row: Copy + Into<f32> {
    /// `src[0..16]` as four vectors of f32, in order.
    fn four(src: &[Self]) -> [v128; 4];
}

impl Row for i8 {
    #[inline(always)]
    fn four(src: &[i8]) -> [v128; 4] {
        widen(src)
    }
}

impl Row for f32 {
    #[inline(always)]
    fn four(src: &[f32]) -> [v128; 4] {
        [load4(src), load4(&src[4..]), load4(&src[8..]), load4(&src[12..])]
    }
}

/// Lane sums of a dot product over the first `a.len() / 16 · 16` elements: lane `j` holds
/// `Σ_k a[16k + j] · b[16k + j]`, added in order of `k`.
#[inline(always)]
pub fn dot_lanes<T: Row>(a: &[T], b: &[f32]) -> [f32; SUMS] {
    let whole = a.len().min(b.len()) / SUMS * SUMS;
    let mut acc = [f32x4_splat(0.0); 4];
    for (x, y) in a[..whole].chunks_exact(SUMS).zip(b[..whole].chunks_exact(SUMS)) {
        let xs = T::four(x);
        for (k, acc) in acc.iter_mut().enumerate() {
            *acc = madd(xs[k], load4(&y[4 * k..]), *acc);
        }
    }
    lanes(&acc)
}

/// The 16 lanes of four vectors, in order.
#[inline(always)]
fn lanes(acc: &[v128; 4]) -> [f32; SUMS] {
    let mut out = [0f32; SUMS];
    for (k, v) in acc.iter().enumerate() {
        out[4 * k] = f32x4_extract_lane::<0>(*v);
        out[4 * k + 1] = f32x4_extract_lane::<1>(*v);
        out[4 * k + 2] = f32x4_extract_lane::<2>(*v);
        out[4 * k + 3] = f32x4_extract_lane::<3>(*v);
    }
    out
}

// Columns per step of [`add_rows_whole`], the kernel's [`CHUNK`]: eight vectors of sums held
// while the rows are added.
use super::CHUNK;

/// `acc[j] = w[k] · rows[k][j] + acc[j]` for `k = 0, 1, …` in order, for the first
/// `len / 32 · 32` elements; returns how many. The sums of 32 columns stay in registers while
/// every row is added.
#[inline(always)]
pub fn add_rows_whole<const G: usize>(acc: &mut [f32], w: &[f32; G], rows: &[&[f32]; G]) -> usize {
    let whole = rows.iter().fold(acc.len(), |n, r| n.min(r.len())) / CHUNK * CHUNK;
    let wv = w.map(|x| f32x4_splat(x)); // an intrinsic (a `target_feature` fn) is no `FnMut`
    for (i, a) in acc[..whole].chunks_exact_mut(CHUNK).enumerate() {
        let parts: [&[f32]; G] = core::array::from_fn(|k| &rows[k][i * CHUNK..(i + 1) * CHUNK]);
        let mut sum: [v128; CHUNK / 4] = core::array::from_fn(|v| load4(&a[4 * v..]));
        for (part, wk) in parts.iter().zip(&wv) {
            for (v, s) in sum.iter_mut().enumerate() {
                *s = madd(*wk, load4(&part[4 * v..]), *s);
            }
        }
        for (v, s) in sum.iter().enumerate() {
            store4(&mut a[4 * v..], *s);
        }
    }
    whole
}

/// `acc[j] = w · row[j] + acc[j]` for the first `len / 16 · 16` elements; returns how many.
#[inline(always)]
pub fn axpy_whole(acc: &mut [f32], w: f32, row: &[i8]) -> usize {
    let whole = acc.len().min(row.len()) / SUMS * SUMS;
    let wv = f32x4_splat(w);
    for (a, x) in acc[..whole].chunks_exact_mut(SUMS).zip(row[..whole].chunks_exact(SUMS)) {
        for (k, xk) in widen(x).iter().enumerate() {
            let part = &mut a[4 * k..4 * k + 4];
            store4(part, madd(wv, *xk, load4(part)));
        }
    }
    whole
}

/// `dst[j] = src[j] as f32` for the first `len / 16 · 16` elements; returns how many.
#[inline(always)]
pub fn widen_whole(dst: &mut [f32], src: &[i8]) -> usize {
    let whole = dst.len().min(src.len()) / SUMS * SUMS;
    for (d, s) in dst[..whole].chunks_exact_mut(SUMS).zip(src[..whole].chunks_exact(SUMS)) {
        for (k, v) in widen(s).iter().enumerate() {
            store4(&mut d[4 * k..4 * k + 4], *v);
        }
    }
    whole
}

/// `(Σ row·a, Σ row·b)` over the first `len / 16 · 16` codes, with `a` and `b` within
/// [1, 127] (where relaxed SIMD's dot product is exact on every processor); returns how many
/// codes and the two sums.
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
pub fn dot2_i8_whole(row: &[i8], a: &[i8], b: &[i8]) -> (usize, i32, i32) {
    use core::arch::wasm32::{i32x4_extract_lane, i32x4_relaxed_dot_i8x16_i7x16_add, i32x4_splat};
    let whole = row.len().min(a.len()).min(b.len()) / SUMS * SUMS;
    let load = |s: &[i8]| {
        assert!(s.len() >= SUMS);
        // SAFETY: `s` holds at least 16 bytes (asserted); unaligned loads are allowed.
        unsafe { v128_load(s.as_ptr().cast()) }
    };
    let (mut sa, mut sb) = (i32x4_splat(0), i32x4_splat(0));
    for at in (0..whole).step_by(SUMS) {
        let r = load(&row[at..]);
        sa = i32x4_relaxed_dot_i8x16_i7x16_add(r, load(&a[at..]), sa);
        sb = i32x4_relaxed_dot_i8x16_i7x16_add(r, load(&b[at..]), sb);
    }
    let total = |v: v128| {
        i32x4_extract_lane::<0>(v)
            + i32x4_extract_lane::<1>(v)
            + i32x4_extract_lane::<2>(v)
            + i32x4_extract_lane::<3>(v)
    };
    (whole, total(sa), total(sb))
}

/// The loops the passes call, here with these intrinsics.
pub(super) mod loops {
    use super as simd128;
    use super::super::GROUP;
    use super::super::portable::{self, Madd, add_rows_from};

    /// `a · b`, as the portable `dot` sums it.
    #[inline(always)]
    pub fn dot<M: Madd, T: simd128::Row>(a: &[T], b: &[f32]) -> f32 {
        let whole = a.len() / simd128::SUMS * simd128::SUMS;
        let tail: f32 = a[whole..].iter().zip(&b[whole..]).map(|(&x, y)| x.into() * y).sum();
        simd128::dot_lanes(a, b).iter().sum::<f32>() + tail
    }

    /// `acc += w · row`.
    #[inline(always)]
    pub fn axpy<M: Madd>(acc: &mut [f32], w: f32, row: &[i8]) {
        let done = simd128::axpy_whole(acc, w, row);
        portable::axpy::<M, i8>(&mut acc[done..], w, &row[done..]);
    }

    /// `acc += Σ_k w[k] · rows[k]`, as [`add_rows_from`] adds them.
    #[inline(always)]
    pub fn add_rows<M: Madd>(acc: &mut [f32], w: &[f32; GROUP], rows: &[&[f32]; GROUP]) {
        let done = simd128::add_rows_whole(acc, w, rows);
        add_rows_from::<M, f32>(acc, w, rows, done);
    }

    /// `(Σ row·a, Σ row·b)` in i32, `a` and `b` within [1, 127]: relaxed SIMD's dot product
    /// where this module has it, else the portable loop.
    #[inline(always)]
    pub fn dot2_i8<M: Madd>(row: &[i8], a: &[i8], b: &[i8]) -> (i32, i32) {
        #[cfg(target_feature = "relaxed-simd")]
        {
            let (done, sa, sb) = simd128::dot2_i8_whole(row, a, b);
            let (ta, tb) = super::super::int8::dot2(&row[done..], &a[done..], &b[done..]);
            (sa + ta, sb + tb)
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        M::dot2_i8(row, a, b)
    }

    /// `dst = src` as f32.
    #[inline(always)]
    pub fn widen(dst: &mut [f32], src: &[i8]) {
        let done = simd128::widen_whole(dst, src);
        dst[done..]
            .iter_mut()
            .zip(&src[done..])
            .for_each(|(f, &c)| *f = c as f32);
    }
}
