//! Streamed softmax attention from a batch of queries to the bank.
//!
//! `softmax(t · q·Kᵀ) · V` is computed tile by tile over the bank rows with an online
//! (running-maximum) softmax, so no `queries × bank` matrix is ever held: memory is
//! O(bank + batch · (tile + value_dim)). RANGE+ runs its two heads (semantic and
//! geographic) through one pass over the value tiles.

use burn::tensor::Tensor;

/// Running state of one softmax head: row maxima `m`, normalisers `l`, accumulators `acc`.
struct Head {
    m: Tensor<2>,
    l: Tensor<2>,
    acc: Tensor<2>,
}

/// One attention head: which bank matrix it scores against, and its temperature.
#[derive(Clone, Copy, Debug)]
pub struct HeadSpec {
    /// Multiplier of the scores (the softmax's inverse temperature).
    pub scale: f32,
    pub against: Against,
}

/// The bank matrix a head's queries are compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The keys (cosine similarity of unit vectors).
    Keys,
    /// The locations' unit vectors (cosine of the angle on the sphere).
    Locations,
}

/// Bank tensors a head may be scored against, plus the values.
pub struct BankView<'a> {
    pub keys: &'a Tensor<2>,
    pub xyz: &'a Tensor<2>,
    pub values: &'a Tensor<2>,
    pub rows: usize,
}

/// Runs each head (`queries[i]` against `heads[i]`) over the bank in tiles of `tile` rows
/// and returns each head's `softmax · V`, `[batch, value_dim]`.
pub fn stream(bank: &BankView, queries: &[Tensor<2>], heads: &[HeadSpec], tile: usize) -> Vec<Tensor<2>> {
    let tile = tile.max(1);
    let mut state: Vec<Option<Head>> = heads.iter().map(|_| None).collect();
    let mut start = 0;
    while start < bank.rows {
        let len = tile.min(bank.rows - start);
        let v = bank.values.clone().narrow(0, start, len);
        let mut weights = Vec::with_capacity(heads.len());
        let mut rescale = Vec::with_capacity(heads.len());
        for (h, (spec, q)) in heads.iter().zip(queries).enumerate() {
            let k = match spec.against {
                Against::Keys => bank.keys,
                Against::Locations => bank.xyz,
            };
            let scores = q
                .clone()
                .matmul(k.clone().narrow(0, start, len).transpose())
                .mul_scalar(spec.scale);
            let tile_max = scores.clone().max_dim(1);
            let (m, alpha) = match &state[h] {
                None => (tile_max, None),
                Some(s) => {
                    let m = s.m.clone().max_pair(tile_max);
                    let alpha = (s.m.clone() - m.clone()).exp();
                    (m, Some(alpha))
                }
            };
            let p = (scores - m.clone()).exp();
            weights.push(p);
            rescale.push((m, alpha));
        }
        // One matmul for all heads: [heads · batch, len] · [len, value_dim].
        let batch = weights[0].dims()[0];
        let sums: Vec<Tensor<2>> = weights.iter().map(|p| p.clone().sum_dim(1)).collect();
        let pv = Tensor::cat(weights, 0).matmul(v);
        for (h, ((m, alpha), sum)) in rescale.into_iter().zip(sums).enumerate() {
            let contrib = pv.clone().narrow(0, h * batch, batch);
            state[h] = Some(match (state[h].take(), alpha) {
                (Some(s), Some(alpha)) => Head {
                    l: s.l * alpha.clone() + sum,
                    acc: s.acc * alpha + contrib,
                    m,
                },
                _ => Head {
                    m,
                    l: sum,
                    acc: contrib,
                },
            });
        }
        start += len;
    }
    state.into_iter().flatten().map(|s| s.acc / s.l).collect()
}

/// A bank tile length that keeps each head's `batch × tile` score block near `budget`
/// elements (and at least 256 rows, at most the bank).
pub fn tile_rows(batch: usize, rows: usize, budget: usize) -> usize {
    (budget / batch.max(1)).clamp(256, rows.max(256)).min(rows.max(1))
}
