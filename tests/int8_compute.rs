//! `Compute::Int8` (the score pass in int8 × int8 dot products, issue 42) against today's
//! exact arithmetic on the same int8 banks: the SatCLIP fixture (L = 40, held-out queries and
//! a global grid) and GeoCLIP's real encoder over the 2,000-row gallery bank (the demo's kind
//! of model). Target, for every point: cosine ≥ 0.9999 and relative error ≤ 1e-3 of the
//! high-resolution part (the encoder part is the same numbers).

use crate::common::*;
use georange::bank::shard_files;
use georange::model::{add_shard_parts, build_bank, combine};
use georange::{Backend, Bank, Compute, Encoder, Model, StorageDtype, Variant};

const VARIANTS: [Variant; 4] = [
    Variant::Range,
    Variant::RangePlus { beta: 0.5 },
    Variant::RangePlus { beta: 1.0 },
    Variant::RangePlus { beta: 0.0 },
];

/// A global grid every `step` degrees, poles and antimeridian included.
fn grid(step: f64) -> Vec<f64> {
    let mut pts = Vec::new();
    let mut lat = -90.0;
    while lat <= 90.0 {
        let mut lon = -180.0;
        while lon <= 180.0 {
            pts.extend([lon, lat]);
            lon += step;
        }
        lat += step;
    }
    pts
}

fn model(enc: &Encoder, bank: &Bank) -> Model {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    Model::new(enc, Some(bank), &device, dtype).unwrap()
}

/// The worst cosine and relative error of `got`'s high parts against `want`'s, and whether
/// the encoder parts are identical.
fn compare(got: &[f32], want: &[f32], width: usize, vd: usize) -> (f64, f64, bool) {
    let mut worst = (1.0f64, 0.0f64);
    for (g, w) in got.chunks(width).zip(want.chunks(width)) {
        worst = (
            worst.0.min(cosine(&g[..vd], &w[..vd])),
            worst.1.max(rel(&g[..vd], &w[..vd])),
        );
    }
    let same_q = got
        .chunks(width)
        .zip(want.chunks(width))
        .all(|(g, w)| g[vd..] == w[vd..]);
    (worst.0, worst.1, same_q)
}

/// Every variant, at batch sizes 1 and 256, within the target of the exact arithmetic at the
/// same batch size (the encoder's matrix products may round otherwise at another batch size).
fn check_within_target(name: &str, m: &Model, pts: &[f64], vd: usize) {
    for v in VARIANTS {
        for batch in [1, 256] {
            let exact = m.embed_with(pts, v, (batch, Compute::Exact), &mut |_| {}).unwrap();
            let got = m.embed_with(pts, v, (batch, Compute::Int8), &mut |_| {}).unwrap();
            let (cos, err, same_q) = compare(&got, &exact, m.dim(v), vd);
            eprintln!(
                "{name} {v:?} batch {batch}: worst cosine 1 − {:.1e}, relative error {err:.1e}",
                1.0 - cos
            );
            assert!(
                cos >= 0.9999 && err <= 1e-3,
                "{name} {v:?} batch {batch}: cosine {cos}, relative error {err:.2e}"
            );
            assert!(same_q, "{name}: the encoder part differs");
        }
    }
}

#[test]
fn satclip_int8_scores_stay_within_the_target() {
    let (enc, bank) = converted(&L40, StorageDtype::Int8);
    let m = model(&enc, &bank);
    let pts = [queries(), grid(10.0)].concat();
    check_within_target("SatCLIP L40", &m, &pts, bank.value_dim);
}

#[test]
fn geoclip_int8_scores_stay_within_the_target() {
    let dir = std::env::var_os("GEORANGE_GEOCLIP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/geoclip"));
    let enc = georange::convert::geoclip::geoclip_weights(&dir.join("location_encoder_weights.pth")).unwrap();
    let text = std::fs::read_to_string(fixture("geoclip_gallery_2k.csv")).unwrap();
    let lonlat: Vec<f64> = text
        .lines()
        .skip(1)
        .flat_map(|l| {
            let c: Vec<f64> = l.split(',').take(2).map(|v| v.parse().unwrap()).collect();
            [c[1], c[0]]
        })
        .collect();
    let values = georange::convert::npy::read_npy(&fixture("geoclip_values_2k.npy")).unwrap();
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let bank = build_bank(&enc, &lonlat, values.data, values.cols, (&device, dtype), 256).unwrap();
    let (enc, bank) = (
        Encoder::from_bytes(&enc.to_bytes(StorageDtype::F32).unwrap(), "encoder").unwrap(),
        Bank::from_bytes(&bank.to_bytes(StorageDtype::Int8).unwrap(), "bank").unwrap(),
    );
    let m = model(&enc, &bank);
    let pts = [queries(), grid(10.0)].concat();
    check_within_target("GeoCLIP 2k", &m, &pts, bank.value_dim);
}

#[test]
fn an_f32_bank_computes_exactly_whatever_is_asked() {
    let (enc, bank) = converted(&L10, StorageDtype::F32);
    let m = model(&enc, &bank);
    let pts = queries();
    for v in VARIANTS {
        let exact = m.embed(&pts, v, 7, &mut |_| {}).unwrap();
        let asked = m.embed_with(&pts, v, (7, Compute::Int8), &mut |_| {}).unwrap();
        assert_eq!(exact, asked, "{v:?}");
    }
}

#[test]
fn int8_differs_from_exact_only_in_the_score_pass() {
    // Not the same numbers (else the option would do nothing), but the same to 1e-3.
    let (enc, bank) = converted(&L40, StorageDtype::Int8);
    let m = model(&enc, &bank);
    let pts = queries();
    let v = Variant::Range;
    let exact = m.embed(&pts, v, 16, &mut |_| {}).unwrap();
    let int8 = m.embed_with(&pts, v, (16, Compute::Int8), &mut |_| {}).unwrap();
    assert_ne!(exact, int8, "the int8 arithmetic was not used");
}

#[test]
fn int8_shards_compute_what_the_whole_bank_computes() {
    let (enc, bank) = converted(&L40, StorageDtype::Int8);
    let bytes = bank.to_bytes(StorageDtype::Int8).unwrap();
    let whole = model(&enc, &Bank::from_bytes(&bytes, "bank").unwrap());
    let shards: Vec<Model> = shard_files(&bytes, "bank", 3)
        .unwrap()
        .into_iter()
        .map(|(_, file)| model(&enc, &Bank::from_shard(&file, "shard").unwrap()))
        .collect();
    let pts = queries();
    for v in [Variant::Range, Variant::RangePlus { beta: 0.5 }] {
        let want = whole.embed_with(&pts, v, (64, Compute::Int8), &mut |_| {}).unwrap();
        let step = shards[0].shard_batch_with(v, Compute::Int8);
        assert!(step < pts.len() / 2, "the points take several rounds");
        let mut got = Vec::new();
        for chunk in pts.chunks(step * 2) {
            let scores: Vec<_> = shards
                .iter()
                .map(|m| m.score_shard_with(chunk, v, (&[], 0), Compute::Int8).unwrap())
                .collect();
            let max: Vec<&[f32]> = scores.iter().map(|s| s.max()).collect();
            let sum: Vec<&[f64]> = scores.iter().map(|s| s.sum()).collect();
            let c = combine(&max, &sum, &scores[0].head_weights, &scores[0].pruned).unwrap();
            let q = scores[0].q.clone();
            let parts: Vec<Vec<f32>> = shards
                .iter()
                .zip(scores.into_iter().zip(&c.coef))
                .map(|(m, (s, coef))| m.accumulate_shard(s, coef).unwrap())
                .collect();
            let parts: Vec<&[f32]> = parts.iter().map(Vec::as_slice).collect();
            got.extend(add_shard_parts(&parts, &q, chunk.len() / 2, 0).unwrap());
        }
        let err = worst(&got, &want, whole.dim(v), bank.value_dim);
        assert!(
            err <= 1e-5,
            "{v:?}: shards against the whole bank, relative error {err:.2e}"
        );
    }
}
