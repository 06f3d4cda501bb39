//! The command line as a user runs it: conversion, embedding, and one-line errors.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn georange(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_georange"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal failure"),
        "panic: {stderr}"
    );
    (out.status.success(), stderr)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("georange-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Converts the L40 fixtures once per call into a fresh directory.
fn convert(dir: &str, dtype: &str) -> PathBuf {
    let out = tmp(dir);
    let (ok, err) = georange(&[
        "convert",
        "satclip",
        "--ckpt",
        s(&fixture(L40.ckpt)),
        "--db",
        s(&fixture(L40.db)),
        "--out",
        s(&out),
        "--dtype",
        dtype,
    ]);
    assert!(ok, "{err}");
    out
}

/// Runs `embed` and expects a one-line error containing `needle`.
fn expect_error(args: &[&str], needle: &str) {
    let (ok, err) = georange(args);
    assert!(!ok, "expected failure for {args:?}");
    let line = err.trim();
    assert_eq!(line.lines().count(), 1, "not one line: {line}");
    assert!(
        line.starts_with("error: ") && line.contains(needle),
        "{line:?} lacks {needle:?}"
    );
}

#[test]
fn convert_then_embed_matches_the_reference() {
    let dir = convert("f32", "f32");
    for (model, beta, tag) in [
        ("encoder", "0.5", "encoder"),
        ("range", "0.5", "range"),
        ("range+", "0.5", "rangeplus_b05"),
        ("range+", "0", "rangeplus_b0"),
    ] {
        let out = dir.join(format!("{tag}.npy"));
        let (ok, err) = georange(&[
            "embed",
            "--encoder",
            s(&dir.join("encoder.safetensors")),
            "--bank",
            s(&dir.join("bank.safetensors")),
            "--model",
            model,
            "--beta",
            beta,
            "--input",
            s(&fixture("queries.csv")),
            "--output",
            s(&out),
            "--batch",
            "7",
        ]);
        assert!(ok, "{err}");
        let got = georange::convert::npy::read_npy(&out).unwrap();
        let want = golden(&L40, tag);
        assert_eq!((got.rows, got.cols), (want.rows, want.cols));
        for (i, &lat) in abs_lat().iter().enumerate().take(got.rows) {
            let r = i * got.cols..(i + 1) * got.cols;
            let c = cosine(&got.data[r.clone()], &want.data[r.clone()]);
            assert!(c >= 0.999, "{tag} row {i}: cosine {c}");
            // The encoder's norm must match too (the raw output is not normalised); above 60°
            // the reference's own rounding noise leaves only the cosine bound.
            let (a, b) = (norm(&got.data[r.clone()]), norm(&want.data[r]));
            assert!(
                lat >= 60.0 || (a - b).abs() <= 1e-3 * b,
                "{tag} row {i}: norm {a} vs {b}"
            );
        }
    }
}

#[test]
fn convert_without_db_writes_only_the_encoder() {
    let out = tmp("enc-only");
    let (ok, err) = georange(&["convert", "satclip", "--ckpt", s(&fixture(L10.ckpt)), "--out", s(&out)]);
    assert!(ok, "{err}");
    assert!(out.join("encoder.safetensors").exists());
    assert!(!out.join("bank.safetensors").exists());
}

#[test]
fn longitudes_wrap() {
    let dir = convert("wrap", "int8");
    let csv = tmp("wrap.csv");
    std::fs::write(&csv, "lat,lon\n10,200\n10,-160\n-5,-190\n-5,170\n").unwrap();
    let out = tmp("wrap.npy");
    let (ok, err) = georange(&[
        "embed",
        "--encoder",
        s(&dir.join("encoder.safetensors")),
        "--bank",
        s(&dir.join("bank.safetensors")),
        "--input",
        s(&csv),
        "--output",
        s(&out),
    ]);
    assert!(ok, "{err}");
    let m = georange::convert::npy::read_npy(&out).unwrap();
    let row = |i: usize| &m.data[i * m.cols..(i + 1) * m.cols];
    assert!(max_abs(row(0), row(1)) < 1e-5 && max_abs(row(2), row(3)) < 1e-5);
}

#[test]
fn bad_inputs_give_one_line_errors() {
    let dir = convert("bad", "f32");
    let enc = dir.join("encoder.safetensors");
    let bank = dir.join("bank.safetensors");
    let q = fixture("queries.csv");
    let out = tmp("bad.npy");
    let embed = |enc: &Path, bank: &Path, input: &Path| {
        vec![
            "embed".to_string(),
            "--encoder".into(),
            s(enc).into(),
            "--bank".into(),
            s(bank).into(),
            "--input".into(),
            s(input).into(),
            "--output".into(),
            s(&out).into(),
        ]
    };
    let run =
        |args: Vec<String>, needle: &str| expect_error(&args.iter().map(String::as_str).collect::<Vec<_>>(), needle);

    // Files that are missing, truncated or of another kind.
    let missing = tmp("nope.ckpt");
    expect_error(
        &["convert", "satclip", "--ckpt", s(&missing), "--out", s(&tmp("x"))],
        "nope.ckpt",
    );
    let convert_fails = |ckpt: &Path, db: Option<&Path>, needle: &str| {
        let mut args = vec!["convert", "satclip", "--ckpt", s(ckpt)];
        if let Some(db) = db {
            args.extend(["--db", s(db)]);
        }
        let out = tmp("x");
        args.extend(["--out", s(&out)]);
        expect_error(&args, needle);
    };
    let truncated = tmp("truncated.ckpt");
    let bytes = std::fs::read(fixture(L40.ckpt)).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    convert_fails(&truncated, None, "truncated.ckpt");
    convert_fails(&q, None, "not a");
    convert_fails(&fixture(L40.ckpt), Some(&fixture(L40.ckpt)), "no array \"locs\"");
    convert_fails(&fixture(L10.ckpt), Some(&fixture(L40.db)), "256-d");
    convert_fails(&fixture("satclip_nan.ckpt"), None, "non-finite");
    let cut = tmp("cut.safetensors");
    let b = std::fs::read(&enc).unwrap();
    std::fs::write(&cut, &b[..b.len() - 100]).unwrap();
    run(embed(&cut, &bank, &q), "cut.safetensors");
    run(embed(&bank, &bank, &q), "expected \"georange-encoder\"");

    // An encoder and a bank that do not belong together.
    let other = tmp("l10");
    assert!(
        georange(&[
            "convert",
            "satclip",
            "--ckpt",
            s(&fixture(L10.ckpt)),
            "--db",
            s(&fixture(L10.db)),
            "--out",
            s(&other)
        ])
        .0
    );
    run(embed(&other.join("encoder.safetensors"), &bank, &q), "mismatch");

    // Coordinates and CSVs.
    let csv = |name: &str, text: &str| {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    run(embed(&enc, &bank, &csv("lat.csv", "lon,lat\n1,2\n3,100\n")), "line 3");
    run(
        embed(&enc, &bank, &csv("lat2.csv", "lon,lat\n1,2\n3,-90.5\n")),
        "outside [-90, 90]",
    );
    run(embed(&enc, &bank, &csv("nan.csv", "lon,lat\nNaN,2\n")), "finite");
    run(embed(&enc, &bank, &csv("inf.csv", "lon,lat\n1,2\n5,inf\n")), "line 3");
    run(embed(&enc, &bank, &csv("empty.csv", "lon,lat\n")), "no data rows");
    run(embed(&enc, &bank, &csv("nocol.csv", "x,y\n1,2\n")), "lon and lat");
    run(embed(&enc, &bank, &csv("text.csv", "lon,lat\n1,abc\n")), "not a number");
    expect_error(
        &[
            "embed",
            "--encoder",
            s(&enc),
            "--model",
            "range",
            "--input",
            s(&q),
            "--output",
            s(&out),
        ],
        "needs --bank",
    );
    expect_error(
        &[
            "embed",
            "--encoder",
            s(&enc),
            "--bank",
            s(&bank),
            "--beta",
            "1.5",
            "--input",
            s(&q),
            "--output",
            s(&out),
        ],
        "beta",
    );

    // GPU settings the CPU cannot take, and an unknown name.
    let with = |flag: &str, value: &str| {
        let mut args = embed(&enc, &bank, &q);
        args.extend([flag.to_string(), value.to_string()]);
        args
    };
    run(with("--gpu-attention", "flash"), "not the CPU");
    run(with("--gpu-attention", "fused"), "not the CPU");
    run(with("--gpu-attention", "fast"), "possible values: stream, flash, fused");
    run(with("--model", "range++"), "possible values: encoder, range, range+");
    run(with("--gpu-precision", "f16"), "precision its file stores");
}

/// A 64 × 32 globe: red west of the prime meridian, blue east of it.
fn two_colour_globe(path: &Path) {
    image::RgbImage::from_fn(64, 32, |x, _| {
        image::Rgb(if x < 32 { [255, 0, 0] } else { [0, 0, 255] })
    })
    .save(path)
    .unwrap();
}

#[test]
fn imagery_bank_is_reproducible_and_describes_the_image() {
    let enc = convert("imagery-enc", "f32").join("encoder.safetensors");
    let globe = tmp("globe.png");
    two_colour_globe(&globe);
    let bank = |out: &Path| {
        let args = [
            "bank",
            "imagery",
            "--encoder",
            s(&enc),
            "--image",
            s(&globe),
            "--points",
            "300",
        ];
        let (ok, err) = georange(&[&args[..], &["--scales-km", "500,2000", "--grid", "4", "--out", s(out)]].concat());
        assert!(ok, "{err}");
        std::fs::read(out).unwrap()
    };
    let (a, b) = (
        bank(&tmp("imagery-a/bank.safetensors")),
        bank(&tmp("imagery-b/bank.safetensors")),
    );
    assert!(a == b, "two builds of the same bank differ");
    let parsed = georange::Bank::from_bytes(&a, "bank").unwrap();
    assert_eq!((parsed.rows(), parsed.value_dim), (300, 2 * 92));
    // Whitened: the first value (mean red at 500 km) is positive in the west, negative in the east.
    let values = parsed.values.to_f32();
    let west_east = parsed
        .locs
        .chunks(2)
        .zip(values.chunks(parsed.value_dim))
        .filter(|(l, _)| l[0].abs() > 30.0 && l[0].abs() < 150.0);
    assert!(
        west_east.clone().all(|(l, v)| (l[0] < 0.0) == (v[0] > 0.0)),
        "red is not where the image is red"
    );

    let q = tmp("imagery-points.csv");
    std::fs::write(&q, "lon,lat\n-90,10\n90,-10\n").unwrap();
    let out = tmp("imagery-describe.npy");
    let (ok, err) = georange(&[
        "describe",
        "--image",
        s(&globe),
        "--scales-km",
        "500",
        "--input",
        s(&q),
        "--output",
        s(&out),
    ]);
    assert!(ok, "{err}");
    let d = georange::convert::npy::read_npy(&out).unwrap();
    assert_eq!((d.rows, d.cols), (2, 92));
    assert!(
        d.data[0] > 0.99 && d.data[2] < 0.01 && d.data[92] < 0.01 && d.data[94] > 0.99,
        "mean RGB {:?} {:?}",
        &d.data[..3],
        &d.data[92..95]
    );

    let square = tmp("square.png");
    image::RgbImage::new(32, 32).save(&square).unwrap();
    let args = |img: &str, scales: &str| {
        [
            "describe",
            "--image",
            img,
            "--scales-km",
            scales,
            "--input",
            s(&q),
            "--output",
            s(&out),
        ]
        .map(String::from)
    };
    let run = |a: [String; 9], needle: &str| expect_error(&a.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    run(args(s(&square), "500"), "not an equirectangular globe");
    run(args(s(&q), "500"), "imagery-points.csv");
    run(args(s(&globe), "0"), "--scales-km");
}

/// `georange --version` reports the workspace's version, the one the npm and Python packages
/// report too (tests/node/package.test.mjs, python/tests/test_package.py check theirs).
#[test]
fn version_is_the_workspaces() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let section = manifest
        .split("[workspace.package]")
        .nth(1)
        .expect("a [workspace.package] table");
    let version = section
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("its version");
    let out = Command::new(env!("CARGO_BIN_EXE_georange"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("georange {version}")
    );
}

#[test]
fn a_pinned_file_is_used_and_another_refused() {
    let dir = convert("pins", "int8");
    let (enc, bank) = (dir.join("encoder.safetensors"), dir.join("bank.safetensors"));
    let pin_of = |file: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_georange"))
            .args(["info", s(file)])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("pin "))
            .unwrap_or_else(|| panic!("no pin in {text}"));
        line.to_string()
    };
    let (enc_pin, bank_pin) = (pin_of(&enc), pin_of(&bank));
    assert!(enc_pin.starts_with("blake3-") && enc_pin != bank_pin);
    let out = tmp("pinned.npy");
    let args = |enc_pin: &str, bank_pin: &str| {
        [
            "embed",
            "--encoder",
            s(&enc),
            "--bank",
            s(&bank),
            "--input",
            s(&fixture("queries.csv")),
            "--output",
            s(&out),
            "--encoder-integrity",
            enc_pin,
            "--bank-integrity",
            bank_pin,
        ]
        .map(str::to_string)
    };
    let run = |a: [String; 13]| georange(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, err) = run(args(&enc_pin, &bank_pin));
    assert!(ok, "{err}");
    let wrong = args(&bank_pin, &bank_pin);
    expect_error(
        &wrong.iter().map(String::as_str).collect::<Vec<_>>(),
        "is not the pinned",
    );
    let wrong = args(&enc_pin, &enc_pin);
    expect_error(
        &wrong.iter().map(String::as_str).collect::<Vec<_>>(),
        "is not the pinned",
    );
}
