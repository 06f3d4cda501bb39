//! Streamed softmax attention from a batch of queries to the bank.
//!
//! `softmax(t · q·Kᵀ) · V` is computed tile by tile over the bank rows with an online
//! (running-maximum) softmax, so no `queries × bank` matrix is ever held: memory is
//! O(bank + batch · (tile + value_dim)). RANGE+ runs its two heads (semantic and
//! geographic) through one pass over the bank.

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::{Against, HeadSpec, bounded};
use crate::bank::int8_tiles;
use crate::bank::{BankView, Matrix};
use crate::error::Result;
use crate::parallel::map_parts;

/// Running state of one softmax head: row maxima `m` (none when the scores are
/// [`bounded`]), normalisers `l`, accumulators `acc`.
struct RunningHead {
    m: Option<Tensor<2>>,
    l: Tensor<2>,
    acc: Tensor<2>,
}

/// Runs each head (`queries[i]` against `heads[i]`) over the bank in tiles of `tile` rows
/// and returns each head's `softmax · V`, `[batch, value_dim]` — or, with `mix` (one weight per
/// head), only `Σ_h mix[h] · softmax_h · V`, through [`stream_mixed`].
///
/// Large batches are split across `threads` CPU threads (the element-wise steps of burn's CPU
/// backend run on one thread; the matmuls share the rayon pool).
pub fn stream_parallel(
    bank: &BankView,
    queries: &[Tensor<2>],
    heads: &[HeadSpec],
    tile: usize,
    (threads, mix): (usize, Option<&[f32]>),
) -> Result<Vec<Tensor<2>>> {
    let run = |part: &[Tensor<2>]| match mix {
        Some(weights) => stream_mixed(bank, part, heads, weights, tile).into_iter().collect(),
        None => stream(bank, part, heads, tile),
    };
    let batch = queries.first().map(|q| q.dims()[0]).unwrap_or(0);
    // A GPU runs one batch best as one stream; CPU threads each take a part of it.
    let threads = if bank.values.is_host() { threads } else { 1 };
    let parts = threads.min(batch / 64).max(1);
    if parts == 1 {
        return Ok(run(queries));
    }
    let chunk = batch.div_ceil(parts);
    let slices: Vec<Vec<Tensor<2>>> = (0..parts)
        .map(|i| {
            let (start, len) = (i * chunk, chunk.min(batch - i * chunk));
            queries.iter().map(|q| q.clone().narrow(0, start, len)).collect()
        })
        .collect();
    let results = map_parts(slices, "attention", |part| run(&part))?;
    let outputs = results.first().map_or(0, Vec::len);
    Ok((0..outputs)
        .map(|h| Tensor::cat(results.iter().map(|r| r[h].clone()).collect(), 0))
        .collect())
}

/// [`stream_parallel`] on the calling thread only.
pub fn stream(bank: &BankView, queries: &[Tensor<2>], heads: &[HeadSpec], tile: usize) -> Vec<Tensor<2>> {
    stream_runs(bank, queries, heads, tile, &[(0, bank.rows)])
}

/// [`stream`] over some of the bank's rows only: the runs `(start, len)`, which must not
/// overlap and must hold at least one row.
pub fn stream_runs(
    bank: &BankView,
    queries: &[Tensor<2>],
    heads: &[HeadSpec],
    tile: usize,
    runs: &[(usize, usize)],
) -> Vec<Tensor<2>> {
    let (queries, plain) = prepare(bank, queries, heads);
    // A semantic head on the CPU sums its scores in halves ([`score_halves`]): its queries read
    // once for every tile.
    let halves: Vec<Option<Vec<f32>>> = heads
        .iter()
        .zip(&queries)
        .map(|(h, q)| {
            let host = h.against == Against::Keys && bank.keys.is_host();
            host.then(|| q.clone().into_data().try_into_vec::<f32>().ok()).flatten()
        })
        .collect();
    let mut state: Vec<Option<RunningHead>> = heads.iter().map(|_| None).collect();
    for (start, len) in tiles_of(bank, runs, tile) {
        let v = bank.values.rows(start, len);
        for (h, (spec, q)) in heads.iter().zip(&queries).enumerate() {
            let scores = halves[h]
                .as_deref()
                .and_then(|qh| score_halves(qh, &bank.keys, (start, len), &q.device()))
                .unwrap_or_else(|| scores(bank, spec, q, start, len));
            state[h] = Some(update(state[h].take(), scores, v.clone(), plain[h]));
        }
    }
    state
        .into_iter()
        .flatten()
        .map(|s| bank.with_value_scale(s.acc / s.l))
        .collect()
}

/// `Σ_h weights[h] · softmax_h · V` over the whole bank with one `P · V` per tile for all the
/// heads (RANGE+'s two heads share the values), where [`stream`] multiplies the values once per
/// head. A first pass over the bank finds each head's row maxima (unless [`bounded`]) and
/// normalisers from the scores alone; the second forms `P = Σ_h (weights[h] / l_h) ·
/// exp(s_h − m_h)` and multiplies the values once. Exact: the same terms as [`stream`] and the
/// weighted sum, added in another order; the score products are computed twice, which costs
/// less than a second `P · V` (256 + 3 columns against 1,024 per row in RANGE+). None for an
/// empty bank or no heads.
pub fn stream_mixed(
    bank: &BankView,
    queries: &[Tensor<2>],
    heads: &[HeadSpec],
    weights: &[f32],
    tile: usize,
) -> Option<Tensor<2>> {
    let norms = stream_normalisers(bank, queries, heads, tile, false)?;
    // Each head's weights are `exp(s − m) · w / l`: the factor stays a factor (folded into
    // the exponent as `ln(w / l)` it would be rounded at the magnitude of `ln l`, an error
    // shared by every row of a query that the average does not wash out).
    let shifts: Vec<Shift> = norms
        .max
        .into_iter()
        .zip(norms.sum)
        .zip(weights)
        .map(|((max, l), w)| Shift {
            max,
            factor: l.recip().mul_scalar(*w),
        })
        .collect();
    stream_weighted(bank, queries, heads, &shifts, tile, None)
}

/// Each head's row maxima (`None` for a head that skips them, [`bounded`]: its scores are
/// used as they are) and normalisers `Σ exp(s − m)`, `[batch, 1]` each: the first pass of
/// [`stream_mixed`], and what a shard of a bank reports (`model::shard`).
pub struct Normalisers {
    pub max: Vec<Option<Tensor<2>>>,
    pub sum: Vec<Tensor<2>>,
    /// Each tile's scores, per head, when [`stream_normalisers`] was asked to keep them:
    /// [`stream_weighted`] then reads them instead of scoring the bank again.
    pub kept: Option<Vec<Vec<Tensor<2>>>>,
}

/// [`stream_mixed`]'s first pass over the whole bank, keeping every tile's scores if `keep`
/// (`batch × rows` per head: for batches small enough to hold them). None for an empty bank
/// or no heads.
pub fn stream_normalisers(
    bank: &BankView,
    queries: &[Tensor<2>],
    heads: &[HeadSpec],
    tile: usize,
    keep: bool,
) -> Option<Normalisers> {
    let (queries, plain) = prepare(bank, queries, heads);
    let mut norms: Vec<(Option<Tensor<2>>, Option<Tensor<2>>)> = heads.iter().map(|_| (None, None)).collect();
    let mut kept = Vec::new();
    for (start, len) in tiles_of(bank, &[(0, bank.rows)], tile) {
        let mut tile_scores = Vec::new();
        for (h, (spec, q)) in heads.iter().zip(&queries).enumerate() {
            let s = scores(bank, spec, q, start, len);
            if keep {
                tile_scores.push(s.clone());
            }
            norms[h] = normaliser(std::mem::take(&mut norms[h]), s, plain[h]);
        }
        if keep {
            kept.push(tile_scores);
        }
    }
    let (max, sum): (Vec<_>, Vec<_>) = norms
        .into_iter()
        .map(|(m, l)| l.map(|l| (m, l)))
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .unzip();
    (!heads.is_empty()).then_some(Normalisers {
        max,
        sum,
        kept: keep.then_some(kept),
    })
}

/// One head's share of [`stream_weighted`]'s weights: `exp(s − max) · factor`, each `[batch, 1]`
/// (no `max` for a head that skips it, [`bounded`]).
pub struct Shift {
    pub max: Option<Tensor<2>>,
    pub factor: Tensor<2>,
}

/// [`stream_mixed`]'s second pass: `Σ_h exp(s_h − max_h) · factor_h · V` over the whole bank,
/// one `P · V` per tile for all the heads, the scores read from `kept` (the first pass's, same
/// `tile`) where given, else computed again. None for an empty bank or no heads.
pub fn stream_weighted(
    bank: &BankView,
    queries: &[Tensor<2>],
    heads: &[HeadSpec],
    shifts: &[Shift],
    tile: usize,
    kept: Option<&[Vec<Tensor<2>>]>,
) -> Option<Tensor<2>> {
    let (queries, _) = prepare(bank, queries, heads);
    let mut acc: Option<Tensor<2>> = None;
    for (t, (start, len)) in tiles_of(bank, &[(0, bank.rows)], tile).into_iter().enumerate() {
        let p = heads
            .iter()
            .zip(&queries)
            .zip(shifts)
            .enumerate()
            .map(|(h, ((spec, q), shift))| {
                let s = match kept.and_then(|k| k.get(t)?.get(h)) {
                    Some(s) => s.clone(),
                    None => scores(bank, spec, q, start, len),
                };
                let s = match &shift.max {
                    Some(m) => s - m.clone(),
                    None => s,
                };
                s.exp() * shift.factor.clone()
            })
            .reduce(|a, b| a + b)?;
        let pv = product(p, bank.values.rows(start, len));
        acc = Some(match acc {
            Some(a) => a + pv,
            None => pv,
        });
    }
    Some(bank.with_value_scale(acc?))
}

/// Each head's queries with its scale folded in once, not into every score tile, and whether
/// the head may skip the running maximum ([`bounded`]).
fn prepare(bank: &BankView, queries: &[Tensor<2>], heads: &[HeadSpec]) -> (Vec<Tensor<2>>, Vec<bool>) {
    let half = bank.half();
    let scaled = queries
        .iter()
        .zip(heads)
        .map(|(q, h)| q.clone().mul_scalar(h.scale))
        .collect();
    let plain = heads
        .iter()
        .map(|h| !half && bounded(h.scale, bank.rows, bank.value_bound))
        .collect();
    (scaled, plain)
}

/// The tiles of `runs`, at most `tile` rows each (host tiles are dequantised copies, kept to a
/// few tens of MB; an f16 bank's tiles stay within [`HALF_TILE`]).
fn tiles_of(bank: &BankView, runs: &[(usize, usize)], tile: usize) -> Vec<(usize, usize)> {
    let tile = if bank.values.is_host() {
        tile.min(HOST_TILE)
    } else if bank.half() {
        tile.min(HALF_TILE)
    } else {
        tile
    }
    .max(1);
    let tiled = bank.values.is_tiled();
    runs.iter()
        .flat_map(|&(start, len)| pieces(start, len, tile, tiled))
        .collect()
}

/// One head's scores against bank rows `start .. start + len`, `[batch, len]` f32.
fn scores(bank: &BankView, spec: &HeadSpec, q: &Tensor<2>, start: usize, len: usize) -> Tensor<2> {
    let k = match spec.against {
        Against::Keys => bank.keys,
        Against::Locations => bank.xyz,
    };
    score_product(q.clone(), k.rows(start, len))
}

/// `q · kᵀ` against host key rows `start .. start + len` (`q`: the scaled queries, row-major)
/// as the sum of two products over the halves of the columns: each score's f32 sum runs as two
/// chains of half the length, about half the rounding error, which the temperature multiplies
/// into every weight. A semantic head at full weight streamed on the CPU (RANGE) takes it:
/// against the CPU kernel's sums (`attention::cpu`, a few points) 8.8e-7 relative instead of
/// 1.4e-6 at most, at no measured cost (ARCHITECTURE.md). gemm adds the second product into the
/// first as it writes it: no pass of its own over the scores. On the calling thread: a large
/// batch is already split over threads ([`stream_parallel`]). None for keys on a device.
fn score_halves(q: &[f32], keys: &Matrix, (start, len): (usize, usize), device: &Device) -> Option<Tensor<2>> {
    let (k, d) = keys.host_rows(start, len)?;
    let batch = q.len() / d.max(1);
    let mut out = vec![0f32; batch * len];
    halves_product(q, &k, &mut out, (batch, len, d));
    Some(Tensor::from_data(TensorData::new(out, [batch, len]), device))
}

/// `out = q · kᵀ` (`m × n`, from `q`: `m × d` and `k`: `n × d`, all row-major), summed over
/// columns `0..d/2` and then `d/2..d`.
fn halves_product(q: &[f32], k: &[f32], out: &mut [f32], (m, n, d): (usize, usize, usize)) {
    assert!(
        q.len() == m * d && k.len() == n * d && out.len() == m * n,
        "score_halves: shapes"
    );
    let half = d / 2;
    for (i, (from, width)) in [(0, half), (half, d - half)].into_iter().enumerate() {
        // SAFETY: every index gemm reads or writes lies inside the slices checked above:
        // q[r·d + from + c], k[j·d + from + c] for c < width, out[r·n + j].
        unsafe {
            gemm::gemm(
                m,
                n,
                width,
                out.as_mut_ptr(),
                1,
                n as isize,
                i == 1,
                q.as_ptr().add(from),
                1,
                d as isize,
                k.as_ptr().add(from),
                d as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// `q · kᵀ` in f32 arithmetic, whatever `k`'s dtype: an f16 product would round scores of up to
/// the temperature (15) to f16's step there (2⁻⁷), moving the largest weights by ~0.4% — a
/// relative error of 2.4e-3 on a bank whose keys resemble the queries (measured on lavapipe;
/// 2.4e-4 with f32 scores). f16 keys are widened a tile at a time; they keep half the memory.
pub fn score_product(q: Tensor<2>, k: Tensor<2>) -> Tensor<2> {
    let k = if k.dtype() == DType::F16 { k.cast(DType::F32) } else { k };
    q.matmul(k.transpose())
}

/// `q · kᵀ` against every row of `k` (`[batch, rows]`), a tile at a time where `k` is held in
/// tiles (one tensor of it all could exceed the GPU's largest buffer).
pub fn all_scores(q: &Tensor<2>, k: &Matrix, rows: usize) -> Tensor<2> {
    let parts: Vec<Tensor<2>> = pieces(0, rows, rows.max(1), k.is_tiled())
        .into_iter()
        .map(|(start, len)| score_product(q.clone(), k.rows(start, len)))
        .collect();
    Tensor::cat(parts, 1)
}

/// Folds one tile of scores into a head's row maxima (none when [`bounded`]) and normalisers.
fn normaliser(
    (m0, l0): (Option<Tensor<2>>, Option<Tensor<2>>),
    scores: Tensor<2>,
    bounded: bool,
) -> (Option<Tensor<2>>, Option<Tensor<2>>) {
    let (m, alpha, p) = softmax_step(m0, scores, bounded);
    (m, Some(rescaled(l0, alpha.as_ref(), p.sum_dim(1))))
}

/// The tiles `(start, len)` of the run `start .. start + len`: an int8 bank's own tiles
/// (`tiled`, [`quantized::aligned`]), else pieces of (nearly) equal length up to `tile` rows —
/// fewer distinct shapes for the GPU's kernels, each compiled (and autotuned) once per shape.
fn pieces(start: usize, len: usize, tile: usize, tiled: bool) -> Vec<(usize, usize)> {
    if tiled {
        return int8_tiles::aligned(start, len).collect();
    }
    let even = len.div_ceil(len.div_ceil(tile).max(1)).max(1);
    (start..start + len)
        .step_by(even)
        .map(|s| (s, even.min(start + len - s)))
        .collect()
}

/// `a · b` as f32. An f16 `b` (an f16 bank's values) takes `a` (weights in [0, 1]) in f16
/// too — the GPU's fast matrix units — and its product comes back as f32 for the sums.
pub fn product(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    if b.dtype() == DType::F16 {
        let a = if a.dtype() == DType::F16 { a } else { a.cast(DType::F16) };
        a.matmul(b).cast(DType::F32)
    } else {
        a.matmul(b)
    }
}

/// Folds one tile of scores `[batch, len]` and its values `[len, value_dim]` into a head's
/// running state: as they are when the scores are [`bounded`], else against a running maximum,
/// rescaling what was accumulated when a row's maximum grows.
fn update(state: Option<RunningHead>, scores: Tensor<2>, v: Tensor<2>, bounded: bool) -> RunningHead {
    let (m0, l0, acc0) = match state {
        Some(RunningHead { m, l, acc }) => (m, Some(l), Some(acc)),
        None => (None, None, None),
    };
    let (m, alpha, p) = softmax_step(m0, scores, bounded);
    RunningHead {
        l: rescaled(l0, alpha.as_ref(), p.clone().sum_dim(1)),
        acc: rescaled(acc0, alpha.as_ref(), product(p, v)),
        m,
    }
}

/// One tile's step of the online softmax, from the row maxima so far (`m0`): the new maxima
/// (none when [`bounded`]: `exp(score)` needs no shift), the factor `exp(m0 − m)` that rescales
/// what was summed against the old maxima (none on the first tile or when bounded), and
/// `p = exp(scores − m)`.
fn softmax_step(
    m0: Option<Tensor<2>>,
    scores: Tensor<2>,
    bounded: bool,
) -> (Option<Tensor<2>>, Option<Tensor<2>>, Tensor<2>) {
    if bounded {
        return (None, None, scores.exp());
    }
    let tile_max = scores.clone().max_dim(1);
    let (m, alpha) = match m0 {
        Some(m0) => {
            let m = m0.clone().max_pair(tile_max);
            let alpha = (m0 - m.clone()).exp();
            (m, Some(alpha))
        }
        None => (tile_max, None),
    };
    let p = (scores - m.clone()).exp();
    (Some(m), alpha, p)
}

/// `old · alpha + new`: a running sum continued (`old + new` without a rescale; `new` first).
fn rescaled(old: Option<Tensor<2>>, alpha: Option<&Tensor<2>>, new: Tensor<2>) -> Tensor<2> {
    match (old, alpha) {
        (Some(old), Some(alpha)) => old * alpha.clone() + new,
        (Some(old), None) => old + new,
        (None, _) => new,
    }
}

/// The fewest bank rows a tile holds, however large the batch.
pub const MIN_TILE: usize = 256;

/// The most rows of a tile dequantised from host rows (8192 × 1024 f32 values: 32 MB).
const HOST_TILE: usize = 8192;

/// The most rows of a tile of an f16 bank: its weights are at most 1 (the running maximum is
/// always kept) and its values at most 1 in magnitude, so each tile's `p · V` stays below this,
/// far inside f16's largest number (65,504).
const HALF_TILE: usize = 16_384;

/// A bank tile length that keeps each head's `batch × tile` score block near `budget`
/// elements (and at least [`MIN_TILE`] rows, at most the bank).
pub fn tile_rows(batch: usize, rows: usize, budget: usize) -> usize {
    (budget / batch.max(1))
        .clamp(MIN_TILE, rows.max(MIN_TILE))
        .min(rows.max(1))
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn runs_split_into_even_tiles_or_the_int8_banks_own() {
        assert_eq!(pieces(0, 10, 4, false), vec![(0, 4), (4, 4), (8, 2)]);
        assert_eq!(pieces(5, 8, 4, false), vec![(5, 4), (9, 4)]);
        assert_eq!(pieces(3, 2, 100, false), vec![(3, 2)]);
        let t = crate::bank::int8_tiles::TILE_ROWS;
        assert_eq!(pieces(t - 1, 2, 100, true), vec![(t - 1, 1), (t, 1)]);
    }
}
