//! The same parity as `tests/parity.rs`, on burn-wgpu (Vulkan natively; Mesa's lavapipe in
//! CI, a real GPU where there is one). Build with `--features wgpu`.
//!
//! The GPU has no f64, so the encoder runs in f32 there: tolerances are those of the WebGPU
//! path — cosine ≥ 0.999 for every row, max relative error ≤ 1e-3 for |lat| < 60°, for the
//! encoder, RANGE and RANGE+ (β = 0, 0.5, 1).
#![cfg(feature = "wgpu")]

mod common;
use common::*;
use georange::{Backend, Model, StorageDtype, Variant};

#[test]
fn wgpu_matches_the_reference_within_f32_tolerance() {
    let (device, dtype) = Backend::Wgpu
        .device()
        .expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)");
    for set in [&L40, &L10] {
        let (enc, bank) = converted(set, StorageDtype::F32);
        let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
        let lats = abs_lat();
        for (tag, variant) in [
            ("encoder", Variant::Encoder),
            ("range", Variant::Range),
            ("rangeplus_b0", Variant::RangePlus { beta: 0.0 }),
            ("rangeplus_b05", Variant::RangePlus { beta: 0.5 }),
            ("rangeplus_b1", Variant::RangePlus { beta: 1.0 }),
        ] {
            let got = model.embed(&queries(), variant, 50, &mut |_| {}).unwrap();
            let want = golden(set, tag);
            let dim = want.cols;
            for (i, lat) in lats.iter().enumerate() {
                let (g, w) = (&got[i * dim..(i + 1) * dim], &want.data[i * dim..(i + 1) * dim]);
                assert!(
                    cosine(g, w) >= 0.999,
                    "{} {tag} row {i}: cosine {}",
                    set.golden,
                    cosine(g, w)
                );
                if *lat < 60.0 {
                    assert!(
                        rel(g, w) <= 1e-3,
                        "{} {tag} row {i} |lat| {lat:.1}: relative error {}",
                        set.golden,
                        rel(g, w)
                    );
                }
            }
        }
    }
}

/// The GPU and CPU paths agree with each other as closely as f32 allows.
#[test]
fn wgpu_agrees_with_cpu() {
    let (gpu, gdt) = Backend::Wgpu.device().expect("a wgpu adapter");
    let (cpu, cdt) = Backend::Cpu.device().unwrap();
    let (enc, bank) = converted(&L10, StorageDtype::Int8);
    let v = Variant::RangePlus { beta: 0.5 };
    let a = Model::new(&enc, Some(&bank), &gpu, gdt)
        .unwrap()
        .embed(&queries(), v, 1000, &mut |_| {})
        .unwrap();
    let b = Model::new(&enc, Some(&bank), &cpu, cdt)
        .unwrap()
        .embed(&queries(), v, 1000, &mut |_| {})
        .unwrap();
    let dim = a.len() / (queries().len() / 2);
    for (i, (x, y)) in a.chunks(dim).zip(b.chunks(dim)).enumerate() {
        assert!(cosine(x, y) >= 0.9999, "row {i}: cosine {}", cosine(x, y));
    }
}

/// `georange embed --backend wgpu`, end to end.
#[test]
fn cli_backend_wgpu() {
    let dir = temp_dir("gpu-cli");
    let d = dir.to_str().unwrap();
    let run = run_cli;
    run(&[
        "convert",
        "satclip",
        "--ckpt",
        fixture(L40.ckpt).to_str().unwrap(),
        "--db",
        fixture(L40.db).to_str().unwrap(),
        "--out",
        d,
    ]);
    let out = format!("{d}/gpu.npy");
    run(&[
        "embed",
        "--encoder",
        &format!("{d}/encoder.safetensors"),
        "--bank",
        &format!("{d}/bank.safetensors"),
        "--model",
        "range",
        "--input",
        fixture("queries.csv").to_str().unwrap(),
        "--output",
        &out,
        "--backend",
        "wgpu",
    ]);
    let got = georange::convert::npy::read_npy(std::path::Path::new(&out)).unwrap();
    let want = golden(&L40, "range");
    for i in 0..want.rows {
        let r = i * want.cols..(i + 1) * want.cols;
        assert!(cosine(&got.data[r.clone()], &want.data[r]) >= 0.999, "row {i}");
    }
}
