//! A bank split over workers by rows (the browser's CPU workers: `js/shards.js`), computing
//! exactly what the whole bank does. Each shard is a [`Model`] over its rows
//! ([`crate::bank::slice_file`]); a batch takes two rounds:
//! 1. every shard scores the batch against its rows ([`Model::score_shard`]: the CPU
//!    passes 1 and 2) and reports, per (head, point), its largest score and `Σ exp(score − max)`;
//! 2. [`combine`] turns those into one coefficient per (shard, head, point) — the head's weight
//!    over the softmax normaliser of the whole bank, rescaled to the shard's own maximum — and
//!    each shard adds its value rows with them ([`Model::accumulate_shard`]: pass 3). The
//!    shards' sums add up to the whole bank's high-resolution vector.
//!
//! The geographic cut-off prunes per shard. A point with no row within the cut-off in any
//! shard gets the exact head, as on one bank: [`combine`] names such points, and the caller
//! scores the batch again with them in `exact_geo`.

use super::*;
use crate::attention::cpu::Softmaxed;
use crate::attention::stream::{Shift, stream_normalisers, stream_weighted};

/// One shard's first round for a batch, kept for its second: a handle that only the model
/// that scored it takes, once ([`Model::accumulate_shard`] and [`Model::explain_shard`] take
/// it by value, so a round cannot be used twice, nor a second round run without a first).
pub struct ShardScores {
    /// The [`Model`] that scored it.
    model: u64,
    round: Round,
    /// heads × batch: each (head, point)'s largest score over this shard (−∞: no row; 0 for
    /// a streamed head that skips its maximum, whose scores are bounded).
    max: Vec<f32>,
    /// heads × batch: `Σ exp(score − max)` over this shard's rows.
    sum: Vec<f64>,
    /// `batch × key_dim`: the points' normalised encodings (every shard computes the same).
    pub q: Vec<f32>,
    /// Each head's share of the output (RANGE+: β, 1 − β).
    pub head_weights: Vec<f32>,
    /// Whether each head is limited by the geographic cut-off.
    pub pruned: Vec<bool>,
    pub batch: usize,
}

/// Round 1's result: the round kept for round 2, the maxima and sums, the pruned heads.
type Scored = (Round, Vec<f32>, Vec<f64>, Vec<bool>);

/// How a shard scored its batch: the CPU kernel's passes 1–2 (a few points, or a head with the
/// cut-off), whose probabilities it keeps; or the stream's first pass (larger batches), which
/// keeps the queries, the maxima and, within [`KEPT_SCORES`], every tile's scores — else it
/// scores again in round 2 (as `attention::stream_mixed` does on one bank).
enum Round {
    Kernel(Softmaxed),
    Streamed {
        queries: Vec<Tensor<2>>,
        specs: Vec<HeadSpec>,
        max: Vec<Option<Tensor<2>>>,
        tile: usize,
        kept: Option<Vec<Vec<Tensor<2>>>>,
    },
}

/// The most scores (batch × rows × heads) a shard keeps between its rounds: 16 MB (a
/// WebAssembly heap never shrinks, hence a bound). Scoring again in round 2 costs a second
/// pass over the keys. Where the keys are at least as wide as the values (the demo's bank:
/// 512-d keys, 276-d values) that is most of the work, and batches are cut to keep their
/// scores ([`Model::shard_batch`]); where they are narrower (SatCLIP's 256-d keys, 1,024-d
/// values) the cut cost more than it saved (each slice reads the shard again, in smaller
/// matrix products), and only batches that fit keep their scores.
const KEPT_SCORES: usize = 4 << 20;

impl ShardScores {
    /// heads × batch: each (head, point)'s largest score over this shard (−∞: no row).
    pub fn max(&self) -> &[f32] {
        &self.max
    }

    /// heads × batch: `Σ exp(score − max)` over this shard's rows.
    pub fn sum(&self) -> &[f64] {
        &self.sum
    }
}

impl Model {
    /// The most points one [`score_shard`](Self::score_shard) call takes for `variant`: a
    /// batch the CPU kernel's passes score (with the cut-off, every batch) is held until the second
    /// round, within their buffer; a streamed one keeps little, and takes a whole batch.
    /// A streamed batch is cut to what keeps its scores ([`KEPT_SCORES`]) where the keys are
    /// at least as wide as the values and that still leaves more points than the CPU kernel's passes
    /// take.
    pub fn shard_batch(&self, variant: Variant) -> usize {
        self.shard_batch_with(variant, Compute::Exact)
    }

    /// [`shard_batch`](Self::shard_batch) for rounds scored in `compute`'s arithmetic: with
    /// [`Compute::Int8`] on an int8 shard every round takes the CPU kernel's passes, and what
    /// their buffer holds.
    pub fn shard_batch_with(&self, variant: Variant, compute: Compute) -> usize {
        match &self.bank {
            Some(b) if self.pruned(variant) || self.int8_rounds(compute) => cpu::group_size(b.rows, 2),
            Some(b) => {
                let specs: Vec<HeadSpec> = heads(variant).iter().map(|(h, _)| *h).collect();
                let kernel_most = cpu::kernel_up_to(&specs).min(cpu::group_size(b.rows, specs.len()));
                match self.kept_scores() / (b.rows * specs.len()).max(1) {
                    fits if fits > kernel_most && b.key_dim >= b.value_dim => fits.min(self.max_batch()),
                    _ => self.max_batch(),
                }
            }
            None => 1,
        }
    }

    /// The most scores a shard keeps between rounds: [`KEPT_SCORES`], or the tile budget if
    /// that is smaller ([`Model::set_tile_budget`]).
    fn kept_scores(&self) -> usize {
        KEPT_SCORES.min(self.tile_budget)
    }

    /// Whether this shard's rounds score in int8: asked for, and its keys are int8.
    fn int8_rounds(&self, compute: Compute) -> bool {
        compute == Compute::Int8 && self.shard_host().is_ok_and(|h| int8_scores(&h, compute))
    }

    /// Whether `variant` has a head limited by the geographic cut-off.
    fn pruned(&self, variant: Variant) -> bool {
        self.geo_cutoff.is_some() && heads(variant).iter().any(|(h, _)| h.against == Against::Locations)
    }

    /// Rows in the bank (0 without one).
    pub fn bank_rows(&self) -> usize {
        self.bank.as_ref().map_or(0, |b| b.rows)
    }

    /// Round 1 on this shard (see the module docs). `exact_geo`: points whose geographic head
    /// ignores the cut-off (empty: none). The points are rows `first_row..` of the caller's
    /// input, which a bad coordinate's error names.
    pub fn score_shard(
        &self,
        lonlat: &[f64],
        variant: Variant,
        exact_geo: &[bool],
        first_row: usize,
    ) -> Result<ShardScores> {
        self.score_shard_with(lonlat, variant, (exact_geo, first_row), Compute::Exact)
    }

    /// [`score_shard`](Self::score_shard) in `compute`'s arithmetic (at most
    /// [`shard_batch_with`](Self::shard_batch_with) points).
    pub fn score_shard_with(
        &self,
        lonlat: &[f64],
        variant: Variant,
        (exact_geo, first_row): (&[bool], usize),
        compute: Compute,
    ) -> Result<ShardScores> {
        let points = validate_points_at(lonlat, first_row)?;
        let n = points.len() / 2;
        if variant == Variant::Encoder {
            return Err(Error::Invalid(
                "bank shards serve RANGE and RANGE+, not the encoder alone".into(),
            ));
        }
        let most = self.shard_batch_with(variant, compute);
        if n > most || !(exact_geo.is_empty() || exact_geo.len() == n) {
            return Err(Error::Invalid(format!(
                "a shard scores at most {most} points at a time, with one exact-geography flag each; got {n} points and {} flags",
                exact_geo.len()
            )));
        }
        self.shard_host()?;
        let qt = normalise(self.encoder.forward(&points));
        let q = read_f32(qt.clone())?;
        let heads = heads(variant);
        let specs: Vec<HeadSpec> = heads.iter().map(|(h, _)| *h).collect();
        let rows = self.bank()?.rows;
        // Past the CPU kernel's passes' batch (or their buffer), the stream: as on one bank.
        let streamed = !self.pruned(variant)
            && !self.int8_rounds(compute)
            && n > cpu::kernel_up_to(&specs).min(cpu::group_size(rows, heads.len()));
        let (round, max, sum, pruned) = if streamed {
            self.score_streamed(&qt, &points, specs)?
        } else {
            self.score_kernel(&q, &points, &heads, (exact_geo, compute))?
        };
        Ok(ShardScores {
            round,
            max,
            sum,
            pruned,
            head_weights: heads.iter().map(|(_, w)| *w).collect(),
            q,
            batch: n,
            model: self.id,
        })
    }

    /// Round 1 through the stream's first pass: the round, the maxima (0 for a head that
    /// skips them) and sums, and which heads the cut-off limits (none).
    fn score_streamed(&self, qt: &Tensor<2>, points: &[f64], specs: Vec<HeadSpec>) -> Result<Scored> {
        let (bank, n) = (self.bank()?, points.len() / 2);
        let queries: Vec<Tensor<2>> = specs.iter().map(|h| self.head_queries(h, qt, points)).collect();
        let tile = tile_rows(n, bank.rows, self.tile_budget);
        let keep = n * bank.rows * specs.len() <= self.kept_scores();
        let norms = stream_normalisers(&bank.view(), &queries, &specs, tile, keep)
            .ok_or_else(|| Error::Invalid("a shard needs a bank row and a head".into()))?;
        let mut max = Vec::with_capacity(specs.len() * n);
        let mut sum = Vec::with_capacity(specs.len() * n);
        for (m, l) in norms.max.iter().zip(norms.sum) {
            match m {
                Some(m) => max.extend(read_f32(m.clone())?),
                None => max.extend(std::iter::repeat_n(0.0, n)),
            }
            sum.extend(read_f32(l)?.into_iter().map(f64::from));
        }
        let pruned = vec![false; specs.len()];
        let round = Round::Streamed {
            queries,
            specs,
            max: norms.max,
            tile,
            kept: norms.kept,
        };
        Ok((round, max, sum, pruned))
    }

    /// Round 1 through the CPU kernel's passes 1–2, each point's geographic head limited to the rows
    /// within the cut-off (all of them for `exact_geo` points; none when no row is that near).
    fn score_kernel(
        &self,
        q: &[f32],
        points: &[f64],
        heads: &[(HeadSpec, f32)],
        (exact_geo, compute): (&[bool], Compute),
    ) -> Result<Scored> {
        let bank = self.bank()?;
        let xyz = unit_vectors(points);
        let runs: Option<Vec<Vec<(usize, usize)>>> = self.geo_cutoff.map(|cutoff| {
            points
                .chunks_exact(2)
                .enumerate()
                .map(|(i, p)| match exact_geo.get(i) {
                    Some(true) => vec![(0, bank.rows)],
                    _ => bank.spatial.runs_near(p[0], p[1], cutoff),
                })
                .collect()
        });
        let fh = kernel_heads(heads, q, &xyz, runs.as_deref());
        let softmaxed = cpu::softmax(&self.shard_host()?, &fh, points.len() / 2, threads(), compute)?;
        let (max, sum) = (softmaxed.max.clone(), softmaxed.sum.clone());
        let pruned = fh.iter().map(|h| h.runs.is_some()).collect();
        Ok((Round::Kernel(softmaxed), max, sum, pruned))
    }

    /// Round 2 on this shard: its part of the batch's high-resolution vectors,
    /// `batch × value_dim`, with this shard's coefficients from [`combine`].
    pub fn accumulate_shard(&self, scores: ShardScores, coef: &[f32]) -> Result<Vec<f32>> {
        self.own_round(&scores)?;
        let host = self.shard_host()?;
        let (queries, specs, max, tile, kept) = match &scores.round {
            Round::Kernel(softmaxed) => return softmaxed.accumulate(&host, coef),
            Round::Streamed {
                queries,
                specs,
                max,
                tile,
                kept,
            } => (queries, specs, max, *tile, kept.as_deref()),
        };
        let n = scores.batch;
        if coef.len() != specs.len() * n {
            return Err(Error::Mismatch(format!(
                "{} coefficients for {} heads × {n} points",
                coef.len(),
                specs.len()
            )));
        }
        // `exp(s − m) · coef`: each head's probabilities rescaled to the whole bank's.
        let shifts: Vec<Shift> = coef
            .chunks(n)
            .zip(max)
            .map(|(c, m)| Shift {
                max: m.clone(),
                factor: Tensor::from_data(TensorData::new(c.to_vec(), [n, 1]), &self.device),
            })
            .collect();
        let out = stream_weighted(&self.bank()?.view(), queries, specs, &shifts, tile, kept)
            .ok_or_else(|| Error::Invalid("a shard needs a bank row and a head".into()))?;
        read_f32(out)
    }

    /// Round 2 for one point, for `explain`: the `k` heaviest of this shard's rows with their
    /// weights in the whole bank (rows numbered within the shard).
    pub fn explain_shard(&self, scores: ShardScores, coef: &[f32], k: usize) -> Result<Vec<Contribution>> {
        self.own_round(&scores)?;
        let bank = self.bank()?;
        if scores.batch != 1 {
            return Err(Error::Invalid("a shard explains one point at a time".into()));
        }
        let Round::Kernel(softmaxed) = &scores.round else {
            return Err(Error::Invalid("a shard explains one point at a time".into()));
        };
        let device_order = softmaxed.row_weights(coef)?;
        let mut weights = vec![0f32; bank.rows];
        for (w, &row) in device_order.iter().zip(&bank.spatial.order) {
            weights[row] = *w;
        }
        self.top_rows(weights, k)
    }

    /// Refuses a round that another model scored.
    fn own_round(&self, scores: &ShardScores) -> Result<()> {
        if scores.model != self.id {
            return Err(Error::Invalid("this shard round was scored by another model".into()));
        }
        Ok(())
    }

    fn shard_host(&self) -> Result<HostBank<'_>> {
        self.bank()?
            .host()
            .ok_or_else(|| Error::Invalid("bank shards run on the CPU".into()))
    }
}

/// The shards' round-1 reports combined.
#[derive(Debug)]
pub struct Combined {
    /// For each shard, heads × batch coefficients for its round 2.
    pub coef: Vec<Vec<f32>>,
    /// The points with no bank row within the cut-off in any shard: score them again with
    /// `exact_geo` (as one bank gives such a point the exact geographic head).
    pub missing: Vec<bool>,
}

impl Combined {
    /// [`combine`] on the reports as a binding carries them between workers: `max` and `sum`
    /// each concatenated over the `shards`, in shard order.
    pub fn from_concatenated(
        max: &[f32],
        sum: &[f64],
        head_weights: &[f32],
        pruned: &[bool],
        shards: usize,
    ) -> Result<Self> {
        if shards == 0 || !max.len().is_multiple_of(shards) || sum.len() != max.len() {
            return Err(Error::Mismatch(format!(
                "{} maxima and {} sums for {shards} shards",
                max.len(),
                sum.len()
            )));
        }
        let len = (max.len() / shards).max(1);
        let maxes: Vec<&[f32]> = max.chunks(len).collect();
        let sums: Vec<&[f64]> = sum.chunks(len).collect();
        combine(&maxes, &sums, head_weights, pruned)
    }
}

/// Combines the shards' round-1 reports: `max[s]` and `sum[s]` are shard `s`'s
/// [`ShardScores::max`] and [`ShardScores::sum`] (heads × batch each); `head_weights` and
/// `pruned` are as every shard reports them.
pub fn combine(max: &[&[f32]], sum: &[&[f64]], head_weights: &[f32], pruned: &[bool]) -> Result<Combined> {
    let heads = head_weights.len();
    let groups = max.first().map_or(0, |m| m.len());
    if heads == 0
        || pruned.len() != heads
        || !groups.is_multiple_of(heads)
        || max.len() != sum.len()
        || max.iter().zip(sum).any(|(m, s)| m.len() != groups || s.len() != groups)
    {
        return Err(Error::Mismatch(format!(
            "shard reports disagree: {} maxima and {} sums for {heads} heads",
            max.len(),
            sum.len()
        )));
    }
    let batch = groups / heads;
    let mut coef = vec![vec![0f32; groups]; max.len()];
    let mut missing = vec![false; batch];
    for g in 0..groups {
        let top = max.iter().map(|m| m[g]).fold(f32::NEG_INFINITY, f32::max);
        // Each shard's sum rescaled to the common maximum: the whole bank's normaliser.
        let rescale = |s: usize| {
            if max[s][g] == f32::NEG_INFINITY {
                0.0
            } else {
                ((max[s][g] - top) as f64).exp()
            }
        };
        let l: f64 = (0..max.len()).map(|s| sum[s][g] * rescale(s)).sum();
        if l > 0.0 {
            for (s, c) in coef.iter_mut().enumerate() {
                c[g] = (head_weights[g / batch] as f64 * rescale(s) / l) as f32;
            }
        } else if pruned[g / batch] {
            missing[g % batch] = true;
        }
    }
    Ok(Combined { coef, missing })
}

/// The batch's output rows from round 2: the shards' parts of the high-resolution vectors
/// (`points × value_dim` each) added, followed by the encodings `q` (`points × key_dim`);
/// an error naming the first point whose output is not finite, as row `first_row + i` of the
/// caller's input.
pub fn add_shard_parts(parts: &[&[f32]], q: &[f32], points: usize, first_row: usize) -> Result<Vec<f32>> {
    let vd = parts.first().map_or(0, |p| p.len()) / points.max(1);
    let kd = q.len() / points.max(1);
    if points == 0 || parts.iter().any(|p| p.len() != points * vd) || q.len() != points * kd {
        return Err(Error::Mismatch(format!(
            "shard parts of {:?} values and {} encoding values for {points} points",
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            q.len()
        )));
    }
    let mut out = Vec::with_capacity(points * (vd + kd));
    for i in 0..points {
        out.extend((0..vd).map(|j| parts.iter().map(|p| p[i * vd + j]).sum::<f32>()));
        out.extend_from_slice(&q[i * kd..(i + 1) * kd]);
    }
    check_finite(&out, vd + kd).map_err(|e| e.shifted(first_row))?;
    Ok(out)
}

/// [`add_shard_parts`] on the parts as a binding carries them: every shard's part
/// concatenated, in shard order.
pub fn add_concatenated_parts(
    parts: &[f32],
    shards: usize,
    q: &[f32],
    points: usize,
    first_row: usize,
) -> Result<Vec<f32>> {
    if shards == 0 || !parts.len().is_multiple_of(shards) || parts.is_empty() {
        return Err(Error::Mismatch(format!("{} values for {shards} shards", parts.len())));
    }
    let parts: Vec<&[f32]> = parts.chunks(parts.len() / shards).collect();
    add_shard_parts(&parts, q, points, first_row)
}
