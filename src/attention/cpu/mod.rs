//! Exact attention from a few queries to the whole bank on the CPU, computed straight from the
//! bank's compact rows ([`Rows`]: the int8 codes are read in place — for a batch, a few rows
//! at a time are converted for all its queries — never dequantised into a copy of the bank).
//! Single points and small batches take it instead of burn's tiled matmuls, which only pay
//! once many queries share each bank tile; so does the geographic head with a cut-off, which
//! it prunes per point.
//!
//! Three passes, each split over threads by contiguous row ranges:
//! 1. **scores** of every (head, query) against every row, each key row read once for all
//!    queries, and each range's maximum per (head, query);
//! 2. `p = exp(score − max)` in place, and the softmax normalisers `l = Σ p` (in f64);
//! 3. each row's weight for each query, `w = Σ_h weight_h · p_h / l_h`, and `Σ w · value`,
//!    each value row read once for all queries — in groups of [`GROUP`] rows whose sums stay
//!    in registers, or for a single query one row at a time in one sequential stream. A row
//!    whose weight is exactly zero for a query adds nothing and is skipped; the geographic
//!    cut-off's masked rows are such rows.
//!
//! The scores are held whole (heads × queries × rows f32), so callers keep the batch small
//! ([`group_size`]). Passes 1–2 ([`softmax`]) and 3 ([`Softmaxed::accumulate`]) can run
//! apart, with pass 3's coefficients from elsewhere: how shards of a bank agree on one
//! softmax (`model::shard`). On x86-64 the passes run with AVX2 and FMA where the processor has them.

mod int8;
mod portable;
#[cfg(wasm_simd)]
mod simd128;
// The passes with the best multiply-add this processor has: AVX2 and FMA where an x86-64
// processor has them (x86.rs), else plain (plain.rs).
#[cfg(target_arch = "x86_64")]
#[path = "x86.rs"]
mod best;
#[cfg(not(target_arch = "x86_64"))]
#[path = "plain.rs"]
mod best;
// The row loops the passes call: WebAssembly SIMD intrinsics in the browser build, the
// portable ones elsewhere.
#[cfg(wasm_simd)]
mod row_loops {
    pub(super) use super::simd128::loops;
}
#[cfg(not(wasm_simd))]
mod row_loops {
    pub(super) use super::portable::loops;
}

use best::{accumulate_best, score_best};
use portable::{Madd, axpy};
use row_loops::loops;

use crate::attention::{Against, Compute, HeadSpec};
use crate::bank::HostBank;
use crate::error::{Error, Result};
use crate::format::Rows;
use crate::parallel::map_parts;

/// One head of a kernel call.
pub struct Head<'a> {
    pub spec: HeadSpec,
    /// The head's share of the output (RANGE+: β or 1 − β).
    pub weight: f32,
    /// `batch × dim` unit query rows: the encodings (keys) or the points' xyz (locations).
    pub queries: &'a [f32],
    /// For each query, the sorted runs `(start, len)` of rows it attends to (the geographic
    /// cut-off; each query's runs hold at least one row); `None`: every row.
    pub runs: Option<&'a [Vec<(usize, usize)>]>,
}

/// Score-buffer budget (f32 elements, 64 MB).
const SCORE_BUDGET: usize = 16 << 20;

/// Up to how many points a batch goes through this kernel on the CPU.
///
/// Larger batches are faster through burn's tiled matmuls, soonest where the semantic head is
/// all there is (RANGE, or RANGE+ at β = 1): its scores are a matmul as large as the values'.
/// The limits sit at the measured crossovers, natively and in the browser's single thread.
pub fn kernel_up_to<'a>(heads: impl IntoIterator<Item = &'a HeadSpec>) -> usize {
    let semantic_only = heads.into_iter().all(|h| h.against == Against::Keys);
    match (cfg!(target_arch = "wasm32"), semantic_only) {
        (false, true) => 128,
        (false, false) => 256,
        (true, true) => 16,
        (true, false) => 64,
    }
}

/// The most queries one kernel call takes.
///
/// Its score buffer stays within 64 MB, and past 32 queries a pass gains nothing more from
/// reading each bank row once for all.
pub fn group_size(rows: usize, heads: usize) -> usize {
    (SCORE_BUDGET / (rows * heads).max(1)).clamp(1, 32)
}

/// `Σ_h weight_h · softmax(scale_h · q·Kᵀ) · V` for each of `batch` queries:
/// `batch × value_dim`, row-major.
pub fn attend(bank: &HostBank, heads: &[Head], batch: usize, threads: usize, compute: Compute) -> Result<Vec<f32>> {
    let s = softmax(bank, heads, batch, threads, compute)?;
    s.accumulate(bank, &s.coefficients(heads))
}

/// Each row's combined weight for one query (the heads' `batch` is 1): the weights of
/// [`attend`]'s third pass, `rows` long, summing to 1.
pub fn weights(bank: &HostBank, heads: &[Head], threads: usize) -> Result<Vec<f32>> {
    let s = softmax(bank, heads, 1, threads, Compute::Exact)?;
    s.row_weights(&s.coefficients(heads))
}

/// Passes 1 and 2 of a call: each row range's `p = exp(score − max)` and, per (head, query),
/// the largest score and `l = Σ p`. Pass 3 ([`accumulate`](Self::accumulate)) takes one
/// coefficient per (head, query): `weight / l` for the bank alone
/// ([`coefficients`](Self::coefficients)), or what the shards of a bank agree on
/// (`model::shard`), each shard's `max` and `sum` being what they combine.
pub struct Softmaxed {
    ranges: Vec<(usize, usize)>,
    probs: Vec<Vec<f32>>,
    heads: usize,
    batch: usize,
    /// heads × batch: the largest score (−∞ where a query attends to no row).
    pub max: Vec<f32>,
    /// heads × batch: `Σ exp(score − max)` (0 where a query attends to no row).
    pub sum: Vec<f64>,
}

/// Passes 1 and 2 over the bank, split over `threads` row ranges; the scores against int8
/// keys in `compute`'s arithmetic.
pub fn softmax(bank: &HostBank, heads: &[Head], batch: usize, threads: usize, compute: Compute) -> Result<Softmaxed> {
    check(bank, heads, batch)?;
    let quantised = quantised_queries(bank, heads, compute);
    let ranges = split(bank.rows(), threads);
    let scored = map_parts(ranges.clone(), "retrieval", |(a, z)| {
        score_best(bank, heads, &quantised, batch, (a, z))
    })?;
    let groups = heads.len() * batch;
    let mut max = vec![f32::NEG_INFINITY; groups];
    for (_, m) in &scored {
        max.iter_mut().zip(m).for_each(|(g, v)| *g = g.max(*v));
    }
    let exped = map_parts(scored.into_iter().map(|(s, _)| s).collect(), "retrieval", |mut s| {
        let sums = exp_in_place(&mut s, &max);
        (s, sums)
    })?;
    let mut sum = vec![0f64; groups];
    for (_, sums) in &exped {
        sum.iter_mut().zip(sums).for_each(|(t, v)| *t += v);
    }
    Ok(Softmaxed {
        ranges,
        probs: exped.into_iter().map(|(s, _)| s).collect(),
        heads: heads.len(),
        batch,
        max,
        sum,
    })
}

impl Softmaxed {
    /// Each (head, query)'s `weight / l` (0 where the query attends to no row).
    pub fn coefficients(&self, heads: &[Head]) -> Vec<f32> {
        (0..self.heads * self.batch)
            .map(|g| {
                let l = self.sum[g];
                if l > 0.0 {
                    (heads[g / self.batch].weight as f64 / l) as f32
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Pass 3: `Σ_r w_r · value_r` per query (`batch × value_dim`), where
    /// `w_r = Σ_h coef[h, i] · p[h, i, r]`; one thread per row range.
    pub fn accumulate(&self, bank: &HostBank, coef: &[f32]) -> Result<Vec<f32>> {
        self.check_coefficients(coef)?;
        let partials = map_parts(
            self.ranges.iter().zip(&self.probs).collect(),
            "retrieval",
            |(range, p)| {
                let probs = Probs {
                    p,
                    coef,
                    heads: self.heads,
                    batch: self.batch,
                };
                accumulate_best(bank.values, &probs, *range)
            },
        )?;
        let mut out = vec![0f32; self.batch * bank.values.cols()];
        for part in partials {
            out.iter_mut().zip(part).for_each(|(o, v)| *o += v);
        }
        Ok(out)
    }

    /// Each row's weight `Σ_h coef[h] · p[h, r]` for the first query, in row order.
    pub fn row_weights(&self, coef: &[f32]) -> Result<Vec<f32>> {
        self.check_coefficients(coef)?;
        let mut out = Vec::new();
        for p in &self.probs {
            let len = p.len() / (self.heads * self.batch).max(1);
            let b = self.batch;
            out.extend((0..len).map(|r| (0..self.heads).map(|h| coef[h * b] * p[h * b * len + r]).sum::<f32>()));
        }
        Ok(out)
    }

    fn check_coefficients(&self, coef: &[f32]) -> Result<()> {
        if coef.len() != self.heads * self.batch {
            return Err(Error::Mismatch(format!(
                "CPU attention kernel: {} coefficients for {} heads × {} queries",
                coef.len(),
                self.heads,
                self.batch
            )));
        }
        Ok(())
    }
}

fn check(bank: &HostBank, heads: &[Head], batch: usize) -> Result<()> {
    for h in heads {
        let dim = match h.spec.against {
            Against::Keys => bank.keys.cols(),
            Against::Locations => 3,
        };
        if h.queries.len() != batch * dim || h.runs.is_some_and(|r| r.len() != batch) {
            return Err(Error::Mismatch(format!(
                "CPU attention kernel: {} query values for {batch} queries of width {dim}",
                h.queries.len()
            )));
        }
    }
    if bank.rows() == 0 || heads.is_empty() {
        return Err(Error::Invalid(
            "CPU attention kernel needs a bank row and a head".into(),
        ));
    }
    Ok(())
}

/// Each head's queries in int8 (`int8::Quantised`) where `compute` asks for it and the head
/// scores int8 keys; `None` for the rest.
fn quantised_queries(bank: &HostBank, heads: &[Head], compute: Compute) -> Vec<Option<int8::Quantised>> {
    heads
        .iter()
        .map(|h| match (compute, h.spec.against, bank.keys) {
            (Compute::Int8, Against::Keys, Rows::Int8 { cols, .. }) => Some(int8::Quantised::new(h.queries, *cols)),
            _ => None,
        })
        .collect()
}

/// `0..n` in at most `parts` contiguous non-empty ranges.
fn split(n: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.clamp(1, n.max(1));
    let chunk = n.div_ceil(parts);
    (0..n).step_by(chunk.max(1)).map(|a| (a, (a + chunk).min(n))).collect()
}

/// `p = exp(s − max)` for each (head, query) segment of `s`; returns each segment's `Σ p`.
fn exp_in_place(s: &mut [f32], max: &[f32]) -> Vec<f64> {
    let len = s.len() / max.len().max(1);
    s.chunks_mut(len.max(1))
        .zip(max)
        .map(|(seg, &m)| {
            let mut sum = 0f64;
            for v in seg {
                *v = if m == f32::NEG_INFINITY { 0.0 } else { (*v - m).exp() };
                sum += *v as f64;
            }
            sum
        })
        .collect()
}

/// Sets the scores of rows `a..a + seg.len()` outside `runs` (sorted) to −∞.
fn mask_outside(seg: &mut [f32], a: usize, runs: &[(usize, usize)]) {
    let z = a + seg.len();
    let mut pos = a;
    for &(s, l) in runs {
        let (s, e) = (s.max(a), (s + l).min(z));
        if e <= s {
            continue;
        }
        if s > pos {
            seg[pos - a..s - a].fill(f32::NEG_INFINITY);
        }
        pos = pos.max(e);
    }
    seg[pos - a..].fill(f32::NEG_INFINITY);
}

/// Pass 1 over rows `a..z`: scores (heads × batch × len) and their maxima (heads × batch);
/// a head with `quantised` queries scores in int8.
#[inline(always)]
fn score<M: Madd>(
    bank: &HostBank,
    heads: &[Head],
    quantised: &[Option<int8::Quantised>],
    batch: usize,
    (a, z): (usize, usize),
) -> (Vec<f32>, Vec<f32>) {
    let len = z - a;
    let mut s = vec![0f32; heads.len() * batch * len];
    // One int8 row converted once serves every query of the batch.
    let mut row_f32 = vec![0f32; bank.keys.cols()];
    for start in (a..z).step_by(BLOCK) {
        let rows = (start, (start + BLOCK).min(z));
        score_rows::<M>((bank, heads, quantised), (batch, a, len), rows, &mut s, &mut row_f32);
    }
    for (h, head) in heads.iter().enumerate() {
        if let Some(runs) = head.runs {
            for (i, r) in runs.iter().enumerate() {
                mask_outside(&mut s[(h * batch + i) * len..(h * batch + i + 1) * len], a, r);
            }
        }
    }
    let max = s
        .chunks(len.max(1))
        .map(|seg| seg.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)))
        .collect();
    (s, max)
}

/// Pass 1 for rows `r0..r1` of the range that starts at row `a` and is `len` long: their
/// scores into `s` (heads × batch × len).
///
/// In the browser build this and the other passes' per-block functions are functions of their
/// own: V8 finishes a call in the code it began with, so a pass written as one call would run
/// whole in its baseline compiler's slower code the first time; called block by block, the
/// optimised code takes over during that first call.
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn score_rows<M: Madd>(
    (bank, heads, quantised): (&HostBank, &[Head], &[Option<int8::Quantised>]),
    (batch, a, len): (usize, usize, usize),
    (r0, r1): (usize, usize),
    s: &mut [f32],
    row_f32: &mut [f32],
) {
    for r in r0..r1 {
        for (h, head) in heads.iter().enumerate() {
            let t = head.spec.scale;
            let out = |i: usize| (h * batch + i) * len + r - a;
            match (head.spec.against, bank.keys) {
                (Against::Keys, Rows::Int8 { codes, scales, cols }) if quantised[h].is_some() => {
                    let q = quantised[h].as_ref().expect("checked by the guard");
                    let (row, rs) = (&codes[r * cols..(r + 1) * cols], scales[r] * t);
                    let sum = int8::row_sum(row);
                    for i in 0..batch {
                        s[out(i)] = q.dot::<M>(i, row, sum) * rs;
                    }
                }
                (Against::Keys, Rows::Int8 { codes, scales, cols }) => {
                    let (row, rs) = (&codes[r * cols..(r + 1) * cols], scales[r] * t);
                    if batch == 1 {
                        s[out(0)] = loops::dot::<M, i8>(row, head.queries) * rs;
                        continue;
                    }
                    loops::widen(row_f32, row);
                    for (i, q) in head.queries.chunks_exact(*cols).enumerate() {
                        s[out(i)] = loops::dot::<M, f32>(row_f32, q) * rs;
                    }
                }
                (Against::Keys, Rows::F32 { data, cols }) => {
                    let row = &data[r * cols..(r + 1) * cols];
                    for (i, q) in head.queries.chunks_exact(*cols).enumerate() {
                        s[out(i)] = loops::dot::<M, f32>(row, q) * t;
                    }
                }
                (Against::Locations, _) => {
                    let p = &bank.xyz[3 * r..3 * r + 3];
                    for (i, q) in head.queries.chunks_exact(3).enumerate() {
                        s[out(i)] = (p[0] * q[0] + p[1] * q[1] + p[2] * q[2]) * t;
                    }
                }
            }
        }
    }
}

/// Rows summed into a block accumulator before it joins the total, which keeps the f32
/// rounding of a sum over 100,000s of rows near that of a pairwise sum.
const BLOCK: usize = 256;

/// One row range's `exp(score − max)`, heads × batch × len, and each (head, query)'s
/// coefficient `weight / l`.
#[derive(Clone, Copy)]
struct Probs<'a> {
    p: &'a [f32],
    coef: &'a [f32],
    heads: usize,
    batch: usize,
}

/// Rows the value pass adds together: for a chunk of [`CHUNK`] columns a query's sums stay in
/// registers while all [`GROUP`] rows are added, so the sums are loaded and stored once per
/// group instead of once per row. Each sum still adds its rows one after another, in order.
const GROUP: usize = 4;
const CHUNK: usize = 32;
// A group never straddles two blocks.
const _: () = assert!(BLOCK.is_multiple_of(GROUP));

/// Pass 3 over rows `a..z`: `Σ_r w_r · value_r` per query (`batch × value_dim`), where
/// `w_r = Σ_h coef[h, i] · p[h, i, r]`. A single query goes to [`accumulate_one`]; for more,
/// rows go in groups of [`GROUP`]; a group whose
/// weights are all zero for a query (the cut-off's masked rows) is skipped, and a zero weight
/// inside a group adds exactly nothing.
#[inline(always)]
fn accumulate<M: Madd>(values: &Rows, probs: &Probs, (a, z): (usize, usize)) -> Vec<f32> {
    match (values, probs.batch) {
        (Rows::Int8 { codes, scales, cols }, 1) => {
            return accumulate_one(codes, |r| scales[r], loops::axpy::<M>, *cols, probs, (a, z));
        }
        (Rows::F32 { data, cols }, 1) => {
            return accumulate_one(data, |_| 1.0, axpy::<M, f32>, *cols, probs, (a, z));
        }
        _ => {}
    }
    let (batch, vd) = (probs.batch, values.cols());
    // w[i][k]: query i's weight for the group's row k (0 past the range's end).
    let mut w = vec![[0f32; GROUP]; batch];
    let mut converted = vec![0f32; GROUP * vd];
    sum_blocks(batch * vd, (a, z), |block, rows| {
        add_block::<M>(values, probs, (a, z - a), rows, block, (&mut w, &mut converted))
    })
}

/// The sum of what `add` adds into a zeroed block of `width` values for each block of
/// [`BLOCK`] rows of `a..z`, in order: each block's sum joins the total once.
#[inline(always)]
fn sum_blocks(width: usize, (a, z): (usize, usize), mut add: impl FnMut(&mut [f32], (usize, usize))) -> Vec<f32> {
    let mut total = vec![0f32; width];
    let mut block = vec![0f32; width];
    for start in (a..z).step_by(BLOCK) {
        block.fill(0.0);
        add(&mut block, (start, (start + BLOCK).min(z)));
        total.iter_mut().zip(&block).for_each(|(t, b)| *t += b);
    }
    total
}

/// Pass 3 for rows `r0..z` of the range that starts at row `a` and is `len` long, added into
/// `block`; `w` and `converted` are scratch space. A function of its own in the browser build
/// ([`score_rows`]).
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn add_block<M: Madd>(
    values: &Rows,
    probs: &Probs,
    (a, len): (usize, usize),
    (r0, z): (usize, usize),
    block: &mut [f32],
    (w, converted): (&mut [[f32; GROUP]], &mut [f32]),
) {
    let Probs { p, coef, heads, batch } = *probs;
    let vd = values.cols();
    for g in (r0..z).step_by(GROUP) {
        // A short last group repeats its last row with weight 0.
        let n = GROUP.min(z - g);
        let row_of = |k: usize| g + k.min(n - 1);
        for (i, wi) in w.iter_mut().enumerate() {
            for (k, wk) in wi.iter_mut().enumerate() {
                *wk = if k < n {
                    (0..heads)
                        .map(|h| coef[h * batch + i] * p[(h * batch + i) * len + g + k - a])
                        .sum()
                } else {
                    0.0
                };
            }
        }
        match values {
            Rows::Int8 { codes, scales, cols } => {
                // Converted once for every query of the batch.
                for (k, out) in converted.chunks_exact_mut(vd).enumerate() {
                    let row = &codes[row_of(k) * cols..(row_of(k) + 1) * cols];
                    loops::widen(out, row);
                }
                let rows: [&[f32]; GROUP] = std::array::from_fn(|k| &converted[k * vd..(k + 1) * vd]);
                for (acc, wi) in block.chunks_exact_mut(vd).zip(w.iter()) {
                    if *wi != [0.0; GROUP] {
                        let ws = std::array::from_fn(|k| wi[k] * scales[row_of(k)]);
                        loops::add_rows::<M>(acc, &ws, &rows);
                    }
                }
            }
            Rows::F32 { data, cols } => {
                let rows = std::array::from_fn(|k| &data[row_of(k) * cols..(row_of(k) + 1) * cols]);
                for (acc, wi) in block.chunks_exact_mut(vd).zip(w.iter()) {
                    if *wi != [0.0; GROUP] {
                        loops::add_rows::<M>(acc, wi, &rows);
                    }
                }
            }
        }
    }
}

/// Pass 3 for one query: one row (times its scale) at a time, so the rows are read in one
/// sequential stream that the hardware prefetcher follows. One query is bound by memory, and
/// this measured 5–50% faster than groups of rows, which pay only when many queries share
/// each converted row.
#[inline(always)]
fn accumulate_one<T>(
    data: &[T],
    scale: impl Fn(usize) -> f32,
    axpy: impl Fn(&mut [f32], f32, &[T]),
    cols: usize,
    probs: &Probs,
    (a, z): (usize, usize),
) -> Vec<f32> {
    sum_blocks(cols, (a, z), |block, rows| {
        add_block_one(data, (&scale, &axpy), probs, (a, z - a), rows, block)
    })
}

/// [`accumulate_one`] for rows `r0..r1` of the range that starts at row `a` and is `len` long,
/// added into `block`. A function of its own in the browser build ([`score_rows`]).
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn add_block_one<T>(
    data: &[T],
    (scale, axpy): (&impl Fn(usize) -> f32, &impl Fn(&mut [f32], f32, &[T])),
    probs: &Probs,
    (a, len): (usize, usize),
    (r0, r1): (usize, usize),
    block: &mut [f32],
) {
    let Probs { p, coef, heads, .. } = *probs;
    let cols = block.len();
    for r in r0..r1 {
        let w: f32 = (0..heads).map(|h| coef[h] * p[h * len + r - a]).sum();
        if w != 0.0 {
            axpy(block, w * scale(r), &data[r * cols..(r + 1) * cols]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::StorageDtype;

    /// The reference: each head's softmax in f64 over every (unmasked) row, then `Σ w · v`.
    fn naive(keys: &[f32], xyz: &[f32], values: &[f32], kd: usize, heads: &[Head], batch: usize) -> Vec<f64> {
        let (n, vd) = (xyz.len() / 3, values.len() / (xyz.len() / 3));
        let mut out = vec![0f64; batch * vd];
        for h in heads {
            for i in 0..batch {
                let (rows, dim): (&[f32], usize) = match h.spec.against {
                    Against::Keys => (keys, kd),
                    Against::Locations => (xyz, 3),
                };
                let q = &h.queries[i * dim..(i + 1) * dim];
                let inside = |r: usize| {
                    h.runs
                        .is_none_or(|runs| runs[i].iter().any(|&(s, l)| (s..s + l).contains(&r)))
                };
                let s: Vec<f64> = (0..n)
                    .map(|r| {
                        let d: f64 = rows[r * dim..(r + 1) * dim]
                            .iter()
                            .zip(q)
                            .map(|(a, b)| (*a as f64) * (*b as f64))
                            .sum();
                        if inside(r) {
                            d * h.spec.scale as f64
                        } else {
                            f64::NEG_INFINITY
                        }
                    })
                    .collect();
                let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
                let l: f64 = e.iter().sum();
                for r in 0..n {
                    for c in 0..vd {
                        out[i * vd + c] += h.weight as f64 * e[r] / l * values[r * vd + c] as f64;
                    }
                }
            }
        }
        out
    }

    fn unit_rows(rows: usize, dim: usize, seed: u32) -> Vec<f32> {
        let mut x = seed | 1;
        let mut v: Vec<f32> = (0..rows * dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as f32 / u32::MAX as f32 - 0.5
            })
            .collect();
        for r in v.chunks_mut(dim) {
            let n = r.iter().map(|a| a * a).sum::<f32>().sqrt();
            r.iter_mut().for_each(|a| *a /= n);
        }
        v
    }

    #[test]
    fn matches_a_naive_f64_softmax_for_every_precision_and_thread_count() {
        let (n, kd, vd, batch) = (1000, 37, 21, 3);
        let keys = unit_rows(n, kd, 7);
        let xyz = unit_rows(n, 3, 11);
        let values = unit_rows(n, vd, 13);
        let q = unit_rows(batch, kd, 17);
        let qx = unit_rows(batch, 3, 19);
        let runs: Vec<Vec<(usize, usize)>> = vec![vec![(0, n)], vec![(10, 5), (500, 200)], vec![(999, 1)]];
        let head = |against, scale, weight, queries, runs| Head {
            spec: HeadSpec { scale, against },
            weight,
            queries,
            runs,
        };
        let heads = [
            head(Against::Keys, 12.0, 0.3, &q[..], None),
            head(Against::Locations, 40.0, 0.7, &qx[..], Some(&runs[..])),
        ];
        let want = naive(&keys, &xyz, &values, kd, &heads, batch);
        let order: Vec<usize> = (0..n).collect();
        for dtype in [StorageDtype::F32, StorageDtype::Int8] {
            let k = Rows::new(&keys, kd, dtype, &order);
            let v = Rows::new(&values, vd, dtype, &order);
            // What int8 storage itself changes is not the kernel's error: compare against
            // the naive sum over the dequantised rows.
            let (kq, vq) = (k.tile(0, n), v.tile(0, n));
            let want = if dtype == StorageDtype::Int8 {
                naive(&kq, &xyz, &vq, kd, &heads, batch)
            } else {
                want.clone()
            };
            let bank = HostBank {
                keys: &k,
                values: &v,
                xyz: &xyz,
            };
            for threads in [1, 2, 3, 7] {
                let got = attend(&bank, &heads, batch, threads, Compute::Exact).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (*g as f64 - w).abs() <= 1e-5,
                        "{dtype:?}, {threads} threads: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn weights_sum_to_one_and_agree_with_attend() {
        let (n, kd, vd) = (300, 8, 5);
        let (keys, xyz, values) = (unit_rows(n, kd, 3), unit_rows(n, 3, 5), unit_rows(n, vd, 9));
        let order: Vec<usize> = (0..n).collect();
        let (k, v) = (
            Rows::new(&keys, kd, StorageDtype::F32, &order),
            Rows::new(&values, vd, StorageDtype::F32, &order),
        );
        let bank = HostBank {
            keys: &k,
            values: &v,
            xyz: &xyz,
        };
        let (q, qx) = (unit_rows(1, kd, 21), unit_rows(1, 3, 23));
        let heads = [
            Head {
                spec: HeadSpec {
                    scale: 15.0,
                    against: Against::Keys,
                },
                weight: 0.5,
                queries: &q,
                runs: None,
            },
            Head {
                spec: HeadSpec {
                    scale: 40.0,
                    against: Against::Locations,
                },
                weight: 0.5,
                queries: &qx,
                runs: None,
            },
        ];
        let w = weights(&bank, &heads, 2).unwrap();
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let out = attend(&bank, &heads, 1, 2, Compute::Exact).unwrap();
        for c in 0..vd {
            let direct: f32 = (0..n).map(|r| w[r] * values[r * vd + c]).sum();
            assert!((direct - out[c]).abs() < 1e-5, "{direct} vs {}", out[c]);
        }
    }

    #[test]
    fn wrong_query_widths_are_refused() {
        let (k, v) = (
            Rows::new(&[1.0, 0.0], 2, StorageDtype::F32, &[0]),
            Rows::new(&[1.0], 1, StorageDtype::F32, &[0]),
        );
        let xyz = [1.0, 0.0, 0.0];
        let bank = HostBank {
            keys: &k,
            values: &v,
            xyz: &xyz,
        };
        let q = [1.0, 0.0, 0.0];
        let heads = [Head {
            spec: HeadSpec {
                scale: 1.0,
                against: Against::Keys,
            },
            weight: 1.0,
            queries: &q,
            runs: None,
        }];
        assert!(attend(&bank, &heads, 1, 1, Compute::Exact).is_err());
    }

    #[test]
    fn masking_keeps_only_the_runs() {
        let mut seg = [0f32; 10];
        mask_outside(&mut seg, 100, &[(95, 7), (105, 2), (109, 50)]);
        let kept: Vec<usize> = (0..10).filter(|&i| seg[i] == 0.0).map(|i| i + 100).collect();
        assert_eq!(kept, [100, 101, 105, 106, 109]);
    }
}
