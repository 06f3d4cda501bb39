//! Parity with the reference implementation (`rangegeo` 0.1.0) on the committed fixtures.
//!
//! Tolerances, by |latitude| of the query (the reference evaluates expanded polynomials with
//! coefficients up to 1e14, so it is itself noisy toward the poles; see
//! `../shared/notes/satclip-harmonics.md` and ARCHITECTURE.md):
//! - 256-d normalised encoder part: max |Δ| ≤ 1e-6 below 30°, ≤ 5e-4 for 30–60°, cosine
//!   ≥ 0.999 above 60°;
//! - high-resolution part: relative error ≤ 1e-5 below 30°, ≤ 1e-3 for 30–60°;
//! - whole row: cosine ≥ 0.999 everywhere.
//!
//! The raw encoder output (`--model encoder`) is held to the same bounds scaled by its norm.

use crate::common::*;
use georange::{StorageDtype, Variant};

const VARIANTS: [(&str, Variant); 4] = [
    ("range", Variant::Range),
    ("rangeplus_b0", Variant::RangePlus { beta: 0.0 }),
    ("rangeplus_b05", Variant::RangePlus { beta: 0.5 }),
    ("rangeplus_b1", Variant::RangePlus { beta: 1.0 }),
];

fn check_rows(got: &[f32], want: &Golden, high_dim: usize, label: &str) {
    let lats = abs_lat();
    let dim = want.cols;
    for (i, lat) in lats.iter().enumerate() {
        let g = &got[i * dim..(i + 1) * dim];
        let w = &want.data[i * dim..(i + 1) * dim];
        let (gh, wh) = (&g[..high_dim], &w[..high_dim]);
        let (gq, wq) = (&g[high_dim..], &w[high_dim..]);
        let ctx = format!("{label} row {i} |lat| {lat:.2}");
        assert!(cosine(g, w) >= 0.999, "{ctx}: row cosine {}", cosine(g, w));
        if *lat < 30.0 {
            assert!(
                max_abs(gq, wq) <= 1e-6 * norm(wq).max(1.0),
                "{ctx}: q max|Δ| {}",
                max_abs(gq, wq)
            );
            if high_dim > 0 {
                assert!(rel(gh, wh) <= 1e-5, "{ctx}: high rel {}", rel(gh, wh));
            }
        } else if *lat < 60.0 {
            assert!(
                max_abs(gq, wq) <= 5e-4 * norm(wq).max(1.0),
                "{ctx}: q max|Δ| {}",
                max_abs(gq, wq)
            );
            if high_dim > 0 {
                assert!(rel(gh, wh) <= 1e-3, "{ctx}: high rel {}", rel(gh, wh));
            }
        } else {
            assert!(cosine(gq, wq) >= 0.999, "{ctx}: q cosine {}", cosine(gq, wq));
        }
    }
}

type Golden = georange::convert::npy::NpyMatrix;

fn parity(set: &Set) {
    let (enc, bank) = converted(set, StorageDtype::F32);
    let (raw, _) = embed(&enc, &bank, Variant::Encoder);
    check_rows(&raw, &golden(set, "encoder"), 0, &format!("{} encoder", set.golden));
    for (tag, variant) in VARIANTS {
        let (got, dim) = embed(&enc, &bank, variant);
        let want = golden(set, tag);
        assert_eq!(dim, want.cols);
        check_rows(&got, &want, bank.value_dim, &format!("{} {tag}", set.golden));
    }
}

#[test]
fn l40_matches_the_reference() {
    parity(&L40);
}

#[test]
fn l10_f32_checkpoint_f64_database_matches_the_reference() {
    parity(&L10);
}

/// int8 and f16 files: every row's cosine to the f32 files' output ≥ 0.9999 and to the
/// reference ≥ 0.999.
#[test]
fn compact_files_stay_close() {
    for set in [&L40, &L10] {
        let (e32, b32) = converted(set, StorageDtype::F32);
        for dtype in [StorageDtype::F16, StorageDtype::Int8] {
            let (e, b) = converted(set, dtype);
            for (tag, variant) in [
                ("encoder", Variant::Encoder),
                ("range", Variant::Range),
                ("rangeplus_b05", Variant::RangePlus { beta: 0.5 }),
            ] {
                let (exact, dim) = embed(&e32, &b32, variant);
                let (got, _) = embed(&e, &b, variant);
                let want = golden(set, tag);
                for i in 0..exact.len() / dim {
                    let r = i * dim..(i + 1) * dim;
                    let (c_exact, c_ref) = (
                        cosine(&got[r.clone()], &exact[r.clone()]),
                        cosine(&got[r.clone()], &want.data[r]),
                    );
                    assert!(
                        c_exact >= 0.9999,
                        "{} {tag} {dtype:?} row {i}: cosine to f32 {c_exact}",
                        set.golden
                    );
                    assert!(
                        c_ref >= 0.999,
                        "{} {tag} {dtype:?} row {i}: cosine to reference {c_ref}",
                        set.golden
                    );
                }
            }
        }
    }
}

#[test]
fn int8_bank_is_at_most_30_percent_of_the_f32_npz() {
    let (_, bank) = converted(&L40, StorageDtype::F32);
    let int8 = bank.to_bytes(StorageDtype::Int8).unwrap().len() as f64;
    let npz = std::fs::metadata(fixture(L40.db)).unwrap().len() as f64;
    assert!(int8 <= 0.30 * npz, "int8 bank {int8} bytes vs f32 npz {npz}");
}

/// Batching and tiling must not change results: one point at a time equals the whole batch.
#[test]
fn batch_size_does_not_change_results() {
    let (enc, bank) = converted(&L10, StorageDtype::F32);
    let (device, dtype) = georange::Backend::Cpu.device().unwrap();
    let model = georange::Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    let q = queries();
    let v = Variant::RangePlus { beta: 0.3 };
    let all = model.embed(&q, v, 1000, &mut |_| {}).unwrap();
    let one = model.embed(&q, v, 1, &mut |_| {}).unwrap();
    assert!(max_abs(&all, &one) <= 1e-5, "{}", max_abs(&all, &one));
}

/// "Explain": the per-row weights of a point reproduce its high-resolution vector
/// (Σ wᵣ·Vᵣ, relative error ≤ 1e-5), sum to 1, and `explain` lists the heaviest rows first.
#[test]
fn bank_weights_reproduce_the_embedding() {
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let (device, dtype) = georange::Backend::Cpu.device().unwrap();
    let model = georange::Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    for variant in [Variant::Range, Variant::RangePlus { beta: 0.3 }] {
        for (lon, lat) in [(2.35, 48.86), (-70.0, -33.0), (150.0, 5.0)] {
            let emb = model.embed(&[lon, lat], variant, 1, &mut |_| {}).unwrap();
            let w: Vec<f32> = model
                .bank_weights(lon, lat, variant)
                .unwrap()
                .into_data()
                .try_to_vec()
                .unwrap();
            let total: f64 = w.iter().map(|v| *v as f64).sum();
            assert!((total - 1.0).abs() < 1e-4, "weights sum to {total}");
            let mut high = vec![0.0f32; bank.value_dim];
            let values = bank.values.to_f32();
            for (r, wr) in w.iter().enumerate() {
                for (h, v) in high
                    .iter_mut()
                    .zip(&values[r * bank.value_dim..(r + 1) * bank.value_dim])
                {
                    *h += wr * v;
                }
            }
            assert!(
                rel(&high, &emb[..bank.value_dim]) <= 1e-5,
                "{variant:?} ({lon},{lat}): {}",
                rel(&high, &emb[..bank.value_dim])
            );
            let top = model.explain(lon, lat, variant, 5).unwrap();
            assert_eq!(top.len(), 5);
            assert!(top.windows(2).all(|p| p[0].weight >= p[1].weight));
            let max = w.iter().cloned().fold(0.0f32, f32::max);
            assert_eq!(top[0].weight, max);
            assert_eq!(
                (top[0].lon, top[0].lat),
                (bank.locs[2 * top[0].row], bank.locs[2 * top[0].row + 1])
            );
        }
    }
}
