//! The CPU's two exact retrieval paths agree: batches of up to `cpu::kernel_up_to` points go
//! through `georange::attention::cpu` (straight from the bank's int8 or f32 rows; what `tests/parity.rs`
//! checks against the reference), larger ones through the streamed, tiled path. Same model,
//! same points, each batch size picking its path.

use crate::common::*;
use georange::attention::{Against, HeadSpec};
use georange::internals::kernel_up_to;
use georange::{Backend, Model, StorageDtype, Variant};

/// Largest per-point relative error of the high-resolution part, and whether the encoder part
/// is identical.
fn compare(a: &[f32], b: &[f32], width: usize, vd: usize) -> (f64, bool) {
    let worst = a
        .chunks(width)
        .zip(b.chunks(width))
        .map(|(x, y)| rel(&x[..vd], &y[..vd]))
        .fold(0.0, f64::max);
    let same_q = a.chunks(width).zip(b.chunks(width)).all(|(x, y)| x[vd..] == y[vd..]);
    (worst, same_q)
}

fn model(set: &Set, dtype: StorageDtype) -> (Model, usize) {
    let (enc, bank) = converted(set, dtype);
    let (device, compute) = Backend::Cpu.device().unwrap();
    (Model::new(&enc, Some(&bank), &device, compute).unwrap(), bank.value_dim)
}

#[test]
fn small_batches_match_the_streamed_path_for_every_variant_and_precision() {
    // The query set four times: more points than the fused path takes in one batch.
    let pts: Vec<f64> = [queries(), queries(), queries(), queries()].concat();
    let streamed_batch = pts.len() / 2;
    // The largest fused batches: the semantic head alone, and with the geographic head.
    let spec = |against| HeadSpec { scale: 1.0, against };
    let (semantic, geo) = (spec(Against::Keys), spec(Against::Locations));
    let largest = [kernel_up_to(&[semantic]), kernel_up_to(&[semantic, geo])];
    assert!(largest.iter().all(|&b| streamed_batch > b));
    for set in [&L10, &L40] {
        for dtype in [StorageDtype::F32, StorageDtype::Int8] {
            let (m, vd) = model(set, dtype);
            for v in [
                Variant::Range,
                Variant::RangePlus { beta: 0.0 },
                Variant::RangePlus { beta: 0.5 },
                Variant::RangePlus { beta: 0.2 },
                Variant::RangePlus { beta: 1.0 },
            ] {
                let streamed = m.embed(&pts, v, streamed_batch, &mut |_| {}).unwrap();
                for batch in [1, 3, 32, largest[0], largest[1]] {
                    let fused = m.embed(&pts, v, batch, &mut |_| {}).unwrap();
                    let (err, same_q) = compare(&fused, &streamed, m.dim(v), vd);
                    // f32 rounding only: the two paths add the same terms in another order.
                    assert!(
                        err <= 1e-5,
                        "{} {dtype:?} {v:?} batch {batch}: relative error {err:.2e}",
                        set.ckpt
                    );
                    assert!(same_q, "the encoder part differs");
                }
            }
        }
    }
}

#[test]
fn explained_weights_sum_to_one_and_rank_the_rows() {
    let (m, _) = model(&L40, StorageDtype::Int8);
    for v in [Variant::Range, Variant::RangePlus { beta: 0.3 }] {
        let top = m.explain(12.5, 41.9, v, 5).unwrap();
        assert_eq!(top.len(), 5);
        assert!(top.windows(2).all(|w| w[0].weight >= w[1].weight), "{top:?}");
        let all = m.explain(12.5, 41.9, v, usize::MAX).unwrap();
        let total: f64 = all.iter().map(|c| c.weight as f64).sum();
        assert!((total - 1.0).abs() < 1e-4, "weights sum to {total}");
        assert_eq!(all[0], top[0]);
    }
}

#[test]
fn huge_values_take_the_running_maximum_and_give_the_same_softmax() {
    // Values near 1e30 would overflow the sums of unrescaled weights (exp(score) up to e^42
    // for RANGE+'s geographic head), so the streamed path keeps a running maximum for them;
    // dividing by the scale must give the ordinary bank's result.
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let scale = 1e30f32;
    let huge = georange::Bank::new(
        bank.locs.clone(),
        bank.keys.to_f32(),
        bank.values.to_f32().iter().map(|v| v * scale).collect(),
        bank.key_dim,
        bank.value_dim,
        &bank.encoder_id,
    )
    .unwrap();
    let (device, compute) = Backend::Cpu.device().unwrap();
    let plain = Model::new(&enc, Some(&bank), &device, compute).unwrap();
    let mut big = Model::new(&enc, Some(&huge), &device, compute).unwrap();
    // The smallest tiles (attention::MIN_TILE rows), so the streamed path crosses tiles and
    // must rescale what it summed when a row's maximum grows.
    big.set_tile_budget(1);
    assert!(bank.rows() > georange::internals::MIN_TILE, "the bank fits one tile");
    // 180 points: RANGE+ through the fused passes, RANGE through the streamed tiles (above
    // fused::kernel_up_to); 360: both streamed (RANGE+'s heads sharing their values:
    // attention::stream_mixed).
    for copies in [2, 4] {
        let pts: Vec<f64> = vec![queries(); copies].concat();
        for v in [Variant::RangePlus { beta: 0.5 }, Variant::Range] {
            let want = plain.embed(&pts, v, pts.len() / 2, &mut |_| {}).unwrap();
            let got: Vec<f32> = big.embed(&pts, v, pts.len() / 2, &mut |_| {}).unwrap();
            let vd = bank.value_dim;
            let width = plain.dim(v);
            let scaled: Vec<f32> = got
                .chunks(width)
                .flat_map(|r| {
                    r[..vd]
                        .iter()
                        .map(|x| x / scale)
                        .chain(r[vd..].iter().copied())
                        .collect::<Vec<_>>()
                })
                .collect();
            let (err, same_q) = compare(&scaled, &want, width, vd);
            assert!(err <= 1e-5, "{} points, {v:?}: relative error {err:.2e}", pts.len() / 2);
            assert!(same_q);
        }
    }
}
