//! Helpers shared by the integration tests: fixtures, conversion, comparisons by latitude band.
#![allow(dead_code)]

pub mod pruning;

use std::path::{Path, PathBuf};

use georange::convert::{ckpt, npy, range_database};
use georange::{Backend, Bank, Encoder, Model, StorageDtype, Variant};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The query set: flat lon/lat pairs, as the CSV lists them.
pub fn queries() -> Vec<f64> {
    let text = std::fs::read_to_string(fixture("queries.csv")).unwrap();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        out.push(cells[2].parse().unwrap()); // lon
        out.push(cells[1].parse().unwrap()); // lat
    }
    out
}

/// One fixture set: a checkpoint, its database, and the prefix of its golden files.
pub struct Set {
    pub ckpt: &'static str,
    pub db: &'static str,
    pub golden: &'static str,
}

pub const L40: Set = Set {
    ckpt: "satclip_l40.ckpt",
    db: "range_db_l40.npz",
    golden: "golden_l40",
};
pub const L10: Set = Set {
    ckpt: "satclip_l10_f32.ckpt",
    db: "range_db_l10_f64.npz",
    golden: "golden_l10",
};

/// The set converted and re-read from our file format in `dtype`.
pub fn converted(set: &Set, dtype: StorageDtype) -> (Encoder, Bank) {
    let enc = ckpt::satclip_checkpoint(&fixture(set.ckpt)).unwrap();
    let bank = range_database(&fixture(set.db), &enc).unwrap();
    let enc = Encoder::from_bytes(&enc.to_bytes(dtype).unwrap(), "encoder").unwrap();
    let bank = Bank::from_bytes(&bank.to_bytes(dtype).unwrap(), "bank").unwrap();
    (enc, bank)
}

/// Embeds the query set on the CPU backend.
pub fn embed(enc: &Encoder, bank: &Bank, variant: Variant) -> (Vec<f32>, usize) {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(enc, Some(bank), &device, dtype).unwrap();
    (
        model.embed(&queries(), variant, 32, &mut |_| {}).unwrap(),
        model.dim(variant),
    )
}

pub fn golden(set: &Set, tag: &str) -> npy::NpyMatrix {
    npy::read_npy(&fixture(&format!("{}_{tag}.npy", set.golden))).unwrap()
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    dot / (norm(a) * norm(b))
}

pub fn norm(a: &[f32]) -> f64 {
    a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt()
}

pub fn max_abs(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .fold(0.0, f64::max)
}

/// ‖a − b‖ / ‖b‖.
pub fn rel(a: &[f32], b: &[f32]) -> f64 {
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    d / norm(b)
}

/// Absolute latitude of each query.
pub fn abs_lat() -> Vec<f64> {
    queries().chunks(2).map(|p| p[1].abs()).collect()
}

/// Runs the `georange` binary and asserts that it succeeded.
pub fn run_cli(args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_georange"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("georange-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Deterministic values in [−1, 1).
pub fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Largest per-point relative error of the high-resolution part.
pub fn worst(a: &[f32], b: &[f32], width: usize, vd: usize) -> f64 {
    a.chunks(width)
        .zip(b.chunks(width))
        .map(|(x, y)| rel(&x[..vd], &y[..vd]))
        .fold(0.0, f64::max)
}
