//! The malformed-file corpus (tests/hostile/, made by tools/fixtures/make_hostile_files.py) through
//! the command line: every file gives a one-line error that names its problem, a non-zero
//! exit, no panic, no hang, and no output file left behind.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME_LIMIT: Duration = Duration::from_secs(60);

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile").join(name)
}

fn seed(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(path);
    p.to_str().unwrap().to_string()
}

/// Runs the CLI with a time limit; returns (exit code, stderr).
fn run(args: &[String]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_georange"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > TIME_LIMIT {
            child.kill().unwrap();
            panic!("{args:?} still running after {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The command that reads a corpus file of `kind`, writing to `output`.
fn command(kind: &str, file: &str, output: &Path, locations: &Path) -> Vec<String> {
    let queries = fixture("queries.csv").to_str().unwrap().to_string();
    let out = output.to_str().unwrap().to_string();
    let embed = |encoder: String, bank: Option<String>, model: &str| {
        let mut a = vec!["embed".into(), "--encoder".into(), encoder];
        if let Some(b) = bank {
            a.extend(["--bank".into(), b]);
        }
        a.extend(["--model", model, "--input", &queries, "--output", &out].map(String::from));
        a
    };
    let file = file.to_string();
    let strings = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match kind {
        "encoder" => embed(file, None, "encoder"),
        "bank" => embed(seed("encoder_file/satclip_f32.safetensors"), Some(file), "range"),
        "pair-geoclip" => embed(seed("encoder_file/geoclip_int8.safetensors"), Some(file), "range"),
        "checkpoint" => strings(&["convert", "satclip", "--ckpt", &file, "--out", &out]),
        "geoclip" => strings(&["convert", "geoclip", "--weights", &file, "--out", &out]),
        "database" => {
            let ckpt = seed("checkpoint/satclip_l3.ckpt");
            strings(&["convert", "satclip", "--ckpt", &ckpt, "--db", &file, "--out", &out])
        }
        "values" => {
            let encoder = seed("encoder_file/satclip_f32.safetensors");
            let loc = locations.to_str().unwrap();
            strings(&[
                "bank",
                "build",
                "--encoder",
                &encoder,
                "--locations",
                loc,
                "--values",
                &file,
                "--out",
                &out,
            ])
        }
        other => panic!("unknown kind {other:?} in the manifest"),
    }
}

#[test]
fn every_malformed_file_gets_a_clean_error() {
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(corpus("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() >= 30, "only {} files in the corpus", manifest.len());
    let dir = temp_dir("hostile");
    let locations = dir.join("locations.csv");
    std::fs::write(&locations, "lon,lat\n10,20\n-30,40\n").unwrap();
    let mut failures = Vec::new();
    for entry in &manifest {
        let (file, kind, pattern) = (
            entry["file"].as_str().unwrap(),
            entry["kind"].as_str().unwrap(),
            entry["message"].as_str().unwrap(),
        );
        let output = dir.join(format!("out-{file}"));
        let args = command(kind, corpus(file).to_str().unwrap(), &output, &locations);
        let (code, stderr) = run(&args);
        let line = stderr.trim();
        let problem = if code == Some(0) {
            Some("accepted".to_string())
        } else if code != Some(1) {
            Some(format!("exit code {code:?} (a panic or a signal)"))
        } else if line.lines().count() != 1 || !line.starts_with("error: ") {
            Some("not a one-line `error:` message".into())
        } else if !line.to_lowercase().contains(&pattern.to_lowercase()) {
            Some(format!("message lacks {pattern:?}"))
        } else if output.exists() {
            Some("left output behind".into())
        } else {
            None
        };
        if let Some(p) = problem {
            failures.push(format!("{file} ({kind}): {p}: {line}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files:\n{}",
        failures.len(),
        manifest.len(),
        failures.join("\n")
    );
}

#[test]
fn finite_weights_that_overflow_give_an_error_not_nan() {
    use georange::{Backend, Encoder, Model, Variant};
    let bytes = std::fs::read(seed("encoder_file/satclip_f32.safetensors")).unwrap();
    let mut enc = Encoder::from_bytes(&bytes, "seed").unwrap();
    let last = enc.weights.get_mut("last_layer.weight").unwrap();
    last.data.iter_mut().for_each(|v| *v = 3e38);
    let enc = Encoder::new(enc.arch.clone(), enc.weights.clone()).unwrap();
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(&enc, None, &device, dtype).unwrap();
    let err = model
        .embed(&[0.0, 0.0, 10.0, 20.0], Variant::Encoder, 8, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 0") && err.contains("not finite"), "{err}");
}
