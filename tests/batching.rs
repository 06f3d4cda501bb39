//! Batches larger than a device can hold are split, not refused, and splitting changes
//! nothing beyond float summation order; how a call is batched moves a point's embedding by
//! at most 1e-6 (ARCHITECTURE.md).

use crate::common::*;
use georange::{Backend, Model, StorageDtype, Variant};

#[test]
fn an_oversized_batch_is_split_with_the_same_result() {
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    let max = model.max_batch();
    assert!(max >= 1000, "max_batch {max} is implausibly small");
    // max + 3 points (the query set, repeated): one call asking for them all in one batch.
    let q = queries();
    let points: Vec<f64> = q.iter().copied().cycle().take((max + 3) * 2).collect();
    let variant = Variant::RangePlus { beta: 0.5 };
    let mut steps = Vec::new();
    let whole = model
        .embed(&points, variant, usize::MAX, &mut |done| steps.push(done))
        .unwrap();
    assert_eq!(steps, vec![max, max + 3], "expected a split after max_batch points");
    // The rows past the split repeat earlier rows: they must agree with them. The last three
    // form a batch small enough for the fused CPU path (tests/cpu_kernel.rs), the others were
    // streamed: the same sums in another order, so they agree to f32 rounding.
    let dim = model.dim(variant);
    let period = q.len() / 2;
    for row in [max, max + 1, max + 2] {
        let same = row % period;
        let diff = max_abs(&whole[row * dim..(row + 1) * dim], &whole[same * dim..(same + 1) * dim]);
        assert!(diff <= 1e-5, "row {row} differs from row {same} by {diff}");
    }
}

/// The high part of one point in f64 from the bank's f32 rows and the point's f32 encoding `q`: `Σ_h w_h softmax(s_h · scores) · V`.
fn reference_high(bank: &georange::Bank, q: &[f32], lon: f64, lat: f64, variant: Variant) -> Vec<f64> {
    let (keys, values) = (bank.keys.to_f32(), bank.values.to_f32());
    let (kd, vd, n) = (bank.key_dim, bank.value_dim, bank.rows());
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let p = [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()];
    let sem = |r: usize| (0..kd).map(|i| q[i] as f64 * keys[r * kd + i] as f64).sum::<f64>();
    let geo = |r: usize| {
        let (lo, la) = (
            (bank.locs[2 * r] as f64).to_radians(),
            (bank.locs[2 * r + 1] as f64).to_radians(),
        );
        let b = [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()];
        (0..3).map(|i| p[i] * b[i]).sum::<f64>()
    };
    let heads: Vec<(f64, f64, bool)> = match variant {
        Variant::Range => vec![(15.0, 1.0, true)],
        Variant::RangePlus { beta } => vec![(12.0, beta as f64, true), (40.0, 1.0 - beta as f64, false)],
        Variant::Encoder => vec![],
    };
    let mut out = vec![0.0; vd];
    for (scale, w, semantic) in heads {
        let s: Vec<f64> = (0..n).map(|r| scale * if semantic { sem(r) } else { geo(r) }).collect();
        let m = s.iter().copied().fold(f64::MIN, f64::max);
        let p: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
        let l: f64 = p.iter().sum();
        for r in 0..n {
            for j in 0..vd {
                out[j] += w * p[r] / l * values[r * vd + j] as f64;
            }
        }
    }
    out
}

/// A point's embedding does not depend on the batch around it beyond 1e-6 (relative, per row):
/// 3,000 points over the SatCLIP-format fixture, RANGE and RANGE+ (β = 0.3), one at a time
/// (the CPU kernel), in batches of 100 (the kernel, grouped) and of 500 and 8,192 (streamed
/// tiles); every batching also within 1e-6 of an f64 computation on its first 300 points.
#[test]
fn a_points_embedding_does_not_depend_on_its_batch() {
    for stored in [StorageDtype::F32, StorageDtype::Int8] {
        batchings_agree(stored);
    }
}

fn batchings_agree(stored: StorageDtype) {
    let (enc, bank) = converted(&L40, stored);
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    let n = 3000;
    let (lon, lat) = (noise(n, 3), noise(n, 4));
    let points: Vec<f64> = (0..n)
        .flat_map(|i| [lon[i] as f64 * 180.0, (lat[i] as f64).asin().to_degrees()])
        .collect();
    for variant in [Variant::Range, Variant::RangePlus { beta: 0.3 }] {
        let (dim, vd) = (model.dim(variant), bank.value_dim);
        let one = model.embed(&points, variant, 1, &mut |_| {}).unwrap();
        for batch in [1, 100, 500, 8192] {
            let out = model.embed(&points, variant, batch, &mut |_| {}).unwrap();
            let (mut apart, mut from_f64) = (0f64, 0f64);
            for (i, (row, single)) in out.chunks(dim).zip(one.chunks(dim)).enumerate() {
                apart = apart.max(rel(row, single));
                if i < 300 {
                    let want = reference_high(&bank, &row[vd..], points[2 * i], points[2 * i + 1], variant);
                    let d = row[..vd]
                        .iter()
                        .zip(&want)
                        .map(|(&a, b)| (a as f64 - b).powi(2))
                        .sum::<f64>();
                    from_f64 = from_f64.max(d.sqrt() / want.iter().map(|b| b * b).sum::<f64>().sqrt());
                }
            }
            println!(
                "{stored:?} {variant:?}, batch {batch}: {apart:.2e} from its batch of one, {from_f64:.2e} from f64"
            );
            assert!(
                apart <= 1e-6,
                "{variant:?}, batch {batch}: a row differs by {apart:.2e} from its batch of one"
            );
            assert!(
                from_f64 <= 1e-6,
                "{variant:?}, batch {batch}: a row is {from_f64:.2e} from f64"
            );
        }
    }
}
