//! GeoCLIP's real pretrained location encoder (PyPI `geoclip` 1.3.0), and RANGE over it.
//!
//! Needs the weights: `tools/fetch/fetch_geoclip.sh` (run by `./test.sh`) puts them in
//! `target/geoclip/`; `GEORANGE_GEOCLIP_DIR` overrides the folder.
//!
//! Tolerances: against GeoCLIP run in float64 (the same code with the model in double), our
//! CPU path (Fourier features in f64, dense layers in f32: `Architecture::dense_dtype`) is
//! within 1e-5 relative per row (measured 1.1e-6). GeoCLIP itself runs in float32, where its
//! σ = 256 branch computes `2π·B·v` with arguments in the thousands of radians and so rounds
//! them at the 1e-4 level; against that output we hold cosine ≥ 0.9999 per row. int8 files:
//! cosine ≥ 0.999 per row and at most 30% of the .pth.

use crate::common::*;
use std::path::PathBuf;

use georange::convert::geoclip::geoclip_weights;
use georange::convert::npy::read_npy;
use georange::model::build_bank;
use georange::{Backend, Encoder, Model, StorageDtype, Variant};

fn geoclip_dir() -> PathBuf {
    let dir = std::env::var_os("GEORANGE_GEOCLIP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/geoclip"));
    assert!(
        dir.join("location_encoder_weights.pth").exists(),
        "GeoCLIP weights not found in {}: run tools/fetch/fetch_geoclip.sh (./test.sh does)",
        dir.display()
    );
    dir
}

fn pth() -> PathBuf {
    geoclip_dir().join("location_encoder_weights.pth")
}

fn encode(enc: &Encoder, points: &[f64]) -> Vec<f32> {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(enc, None, &device, dtype).unwrap();
    model.embed(points, Variant::Encoder, 64, &mut |_| {}).unwrap()
}

fn rows(a: &[f32], dim: usize) -> impl Iterator<Item = &[f32]> {
    a.chunks_exact(dim)
}

#[test]
fn matches_geoclip_in_f64_and_f32() {
    let enc = geoclip_weights(&pth()).unwrap();
    assert_eq!(enc.embed_dim(), 512);
    let got = encode(&enc, &queries());
    let f64_ref = read_npy(&fixture("golden_geoclip_f64.npy")).unwrap();
    let f32_ref = read_npy(&fixture("golden_geoclip_f32.npy")).unwrap();
    for (i, ((g, w64), w32)) in rows(&got, 512)
        .zip(rows(&f64_ref.data, 512))
        .zip(rows(&f32_ref.data, 512))
        .enumerate()
    {
        assert!(
            rel(g, w64) <= 1e-5,
            "row {i}: relative error {} vs GeoCLIP f64",
            rel(g, w64)
        );
        assert!(
            cosine(g, w32) >= 0.9999,
            "row {i}: cosine {} vs GeoCLIP f32",
            cosine(g, w32)
        );
    }
}

#[test]
fn int8_file_is_small_and_close() {
    let enc = geoclip_weights(&pth()).unwrap();
    let bytes = enc.to_bytes(StorageDtype::Int8).unwrap();
    let pth_size = std::fs::metadata(pth()).unwrap().len() as f64;
    assert!(
        bytes.len() as f64 <= 0.30 * pth_size,
        "int8 {} bytes vs .pth {pth_size}",
        bytes.len()
    );
    let int8 = Encoder::from_bytes(&bytes, "int8").unwrap();
    assert_eq!(int8.id, enc.id, "storage precision must not change the encoder id");
    let f64_ref = read_npy(&fixture("golden_geoclip_f64.npy")).unwrap();
    for (i, (g, w)) in rows(&encode(&int8, &queries()), 512)
        .zip(rows(&f64_ref.data, 512))
        .enumerate()
    {
        assert!(cosine(g, w) >= 0.999, "row {i}: int8 cosine {}", cosine(g, w));
    }
}

/// A bank over GeoCLIP at 2,000 gallery points with random values: RANGE and RANGE+ equal a
/// straightforward float64 computation (numpy, in tools/fixtures/make_fixtures.py) within 1e-5
/// relative (high part) per row.
#[test]
fn range_over_geoclip_matches_a_plain_f64_computation() {
    let enc = geoclip_weights(&pth()).unwrap();
    let text = std::fs::read_to_string(fixture("geoclip_gallery_2k.csv")).unwrap();
    let lonlat: Vec<f64> = text
        .lines()
        .skip(1)
        .flat_map(|l| {
            let mut c = l.split(',').map(|v| v.parse::<f64>().unwrap());
            let (lat, lon) = (c.next().unwrap(), c.next().unwrap());
            [lon, lat]
        })
        .collect();
    let values = read_npy(&fixture("geoclip_values_2k.npy")).unwrap();
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let bank = build_bank(&enc, &lonlat, values.data, values.cols, (&device, dtype), 256).unwrap();
    let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    for (variant, golden) in [
        (Variant::Range, "golden_geoclip_range_f64.npy"),
        (Variant::RangePlus { beta: 0.5 }, "golden_geoclip_rangeplus_b05_f64.npy"),
    ] {
        let got = model.embed(&queries(), variant, 32, &mut |_| {}).unwrap();
        let want = read_npy(&fixture(golden)).unwrap();
        assert_eq!(model.dim(variant), want.cols);
        for (i, (g, w)) in rows(&got, want.cols).zip(rows(&want.data, want.cols)).enumerate() {
            let (gh, wh) = (&g[..48], &w[..48]);
            assert!(
                rel(gh, wh) <= 1e-5,
                "{variant:?} row {i}: high relative error {}",
                rel(gh, wh)
            );
            assert!(max_abs(&g[48..], &w[48..]) <= 1e-6, "{variant:?} row {i}: q differs");
        }
    }
}

#[test]
fn a_bank_for_another_encoder_is_refused() {
    let geo = geoclip_weights(&pth()).unwrap();
    let (sat, sat_bank) = converted(&L40, StorageDtype::F32);
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let err = Model::new(&geo, Some(&sat_bank), &device, dtype)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("mismatch") && err.contains("256-d"), "{err}");
    // Same width, other encoder: refused by id.
    let values = vec![1.0f32; 4 * 3];
    let geo_bank = build_bank(
        &geo,
        &[0.0, 0.0, 10.0, 10.0, 20.0, 20.0, 30.0, 30.0],
        values,
        3,
        (&device, dtype),
        4,
    )
    .unwrap();
    let mut other = geo.clone();
    other.id = sat.id.clone();
    let err = Model::new(&other, Some(&geo_bank), &device, dtype)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("built for encoder"), "{err}");
}

#[test]
fn wrong_or_truncated_pth_is_refused() {
    let dir = temp_dir("geoclip-pth");
    // A SatCLIP checkpoint is a valid torch file but not GeoCLIP weights.
    let err = geoclip_weights(&fixture(L40.ckpt)).err().unwrap().to_string();
    assert!(err.contains("not GeoCLIP"), "{err}");
    let bytes = std::fs::read(pth()).unwrap();
    for cut in [0, 100, 5_000, bytes.len() / 3, bytes.len() - 10] {
        let p = dir.join(format!("cut{cut}.pth"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(geoclip_weights(&p).is_err(), "cut at {cut} accepted");
    }
}

/// The command-line forms of the issue, end to end: `convert geoclip`, `bank build`,
/// `embed --model encoder|range`.
#[test]
fn cli_convert_build_embed() {
    let dir = temp_dir("geoclip-cli");
    let run = run_cli;
    let d = dir.to_str().unwrap();
    run(&[
        "convert",
        "geoclip",
        "--weights",
        pth().to_str().unwrap(),
        "--out",
        d,
        "--dtype",
        "f32",
    ]);
    let enc = format!("{d}/encoder.safetensors");
    let bank = format!("{d}/bank.safetensors");
    run(&[
        "bank",
        "build",
        "--encoder",
        &enc,
        "--locations",
        fixture("geoclip_gallery_2k.csv").to_str().unwrap(),
        "--values",
        fixture("geoclip_values_2k.npy").to_str().unwrap(),
        "--out",
        &bank,
        "--dtype",
        "f16",
    ]);
    let q = fixture("queries.csv");
    for (model, golden, dim) in [
        ("encoder", "golden_geoclip_f64.npy", 512),
        ("range", "golden_geoclip_range_f64.npy", 560),
    ] {
        let out = format!("{d}/{model}.npy");
        run(&[
            "embed",
            "--encoder",
            &enc,
            "--bank",
            &bank,
            "--model",
            model,
            "--input",
            q.to_str().unwrap(),
            "--output",
            &out,
        ]);
        let got = read_npy(std::path::Path::new(&out)).unwrap();
        let want = read_npy(&fixture(golden)).unwrap();
        assert_eq!((got.cols, want.cols), (dim, dim));
        for (i, (g, w)) in rows(&got.data, dim).zip(rows(&want.data, dim)).enumerate() {
            assert!(cosine(g, w) >= 0.999, "{model} row {i}: cosine {}", cosine(g, w));
        }
    }
}
