//! Embedding throughput: `cargo bench --bench embed` (CPU), or on a GPU with
//! `GEORANGE_BENCH_BACKEND=wgpu` (build with `--features vulkan` for SPIR-V, autotune and fusion).
//!
//! A synthetic model of the released shapes (SatCLIP L = 40, 1600 → 512 → 512 → 256) and a
//! synthetic bank (100k rows by default, 256-d keys, 1024-d values). Prints points/s for
//! the encoder alone, RANGE and RANGE+ at batch 1 and 10,000, the device's plain matrix-multiply
//! rate through the same backend (for the ratio; f16 too on a GPU that has it), and the process's
//! peak host memory during each case (model and call: the synthetic bank is dropped first); then
//! approximate RANGE+ (geographic cut-off 40°) with its error against the exact result on the
//! same points. Environment:
//! - `GEORANGE_BENCH_ROWS`, `GEORANGE_BENCH_BATCHES` (comma-separated): bank size, batch sizes;
//! - `GEORANGE_BENCH_DTYPE=int8` (or f16): the bank file's precision (read back as a file is);
//! - `GEORANGE_BENCH_BACKEND=wgpu`, `GEORANGE_BENCH_GPU_PRECISION=f16` (or int8): the device
//!   and how the bank is held on a GPU;
//! - `GEORANGE_BENCH_CASES`: a subset of explain, encoder, range, range+, range+b0, cutoff,
//!   `flash` (RANGE and RANGE+ through burn's attention op, `GpuAttention::Flash`, with their
//!   difference from the streamed result: a GPU only, not in the default set), `fused` (the
//!   same through our own kernel, `GpuAttention::Fused`, `src/attention/fused.rs`), or `profile`
//!   (not in the default set: each step of one streamed tile timed on its own,
//!   `benches/embed/profile.rs`);
//! - `GEORANGE_BENCH_MATMUL`: the side of the probe's square matrices (4096 on a GPU, else 2048);
//! - `GEORANGE_BENCH_TILE_BUDGET` (millions of scores): the tile budget of every case;
//!   `GEORANGE_BENCH_TILE_BUDGETS`: RANGE again at the largest batch with each of these, with
//!   its difference from the default;
//! - `GEORANGE_BENCH_HARMONICS=host` (or `device`): where SatCLIP's harmonics are computed
//!   (default: on the device on a GPU, on the host on the CPU);
//! - `GEORANGE_BENCH_COLD_FROM=N`: batches of N points or more are timed on one call without a
//!   warm-up call first (for the largest batches on a CPU, where one call takes minutes and
//!   there is nothing to warm up; default: every batch is warmed up).
//!
//! Results go to BENCHMARKS.md by hand.

use std::time::Instant;

#[path = "embed/profile.rs"]
mod profile;
#[path = "common/synthetic.rs"]
mod synthetic;

use burn::tensor::{DType, Tensor, TensorData};
use georange::model::DEFAULT_TILE_BUDGET;
use georange::{Backend, GpuAttention, GpuPrecision, Model, Variant};
use synthetic::{Rng, env_list, points, stored_as, synthetic_bank, synthetic_encoder};

/// One timed case: (case, name, variant, geographic cut-off, tile budget).
type Run = (&'static str, String, Variant, Option<f64>, Option<usize>);

/// Starts a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0))
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// Seconds per call of `f`, repeated until at least `min_secs` (at least once, after a warm-up).
fn time(min_secs: f64, mut f: impl FnMut()) -> f64 {
    f();
    let (start, mut n) = (Instant::now(), 0);
    while n == 0 || start.elapsed().as_secs_f64() < min_secs {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() / n as f64
}

/// The plain matrix-multiply rate of `device` in `dtype`, for the ratio.
fn matmul_rate(device: &burn::tensor::Device, n: usize, dtype: DType) -> f64 {
    let a: Tensor<2> = Tensor::from_data(TensorData::new(vec![0.5f32; n * n], [n, n]), (device, dtype));
    let secs = time(2.0, || {
        let _ = a.clone().matmul(a.clone()).sum().into_data();
    });
    2.0 * (n as f64).powi(3) / secs / 1e9
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: usize = env_list("GEORANGE_BENCH_ROWS", vec![100_000])[0];
    let batches: Vec<usize> = env_list("GEORANGE_BENCH_BATCHES", vec![1, 10_000]);
    let backend = std::env::var("GEORANGE_BENCH_BACKEND").unwrap_or_else(|_| "cpu".into());
    let backend = Backend::parse(&backend).expect("GEORANGE_BENCH_BACKEND");
    let gpu = backend == Backend::Wgpu;
    let precision = std::env::var("GEORANGE_BENCH_GPU_PRECISION").unwrap_or_else(|_| "f32".into());
    let precision = GpuPrecision::parse(&precision).expect("GEORANGE_BENCH_GPU_PRECISION");
    // Which cases run: explain, encoder, range, range+, range+b0, cutoff (default all).
    let cases: Vec<String> = env_list(
        "GEORANGE_BENCH_CASES",
        vec![
            "explain".to_string(),
            "encoder".into(),
            "range".into(),
            "range+".into(),
            "range+b0".into(),
            "cutoff".into(),
        ],
    );
    // Tile budgets (millions of scores) tried for RANGE at the largest batch, besides the default.
    let budgets: Vec<usize> = env_list("GEORANGE_BENCH_TILE_BUDGETS", vec![]);
    let default_budget = env_list("GEORANGE_BENCH_TILE_BUDGET", vec![DEFAULT_TILE_BUDGET >> 20])[0] << 20;
    let (device, dtype) = backend.device().expect("device");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("georange {backend:?} benchmark: bank {rows} rows, {threads} CPU threads, GPU precision {precision:?}");

    let n = env_list("GEORANGE_BENCH_MATMUL", vec![if gpu { 4096 } else { 2048 }])[0];
    println!("f32 matmul {n}³: {:.1} GFLOP/s", matmul_rate(&device, n, DType::F32));
    if gpu && device.supports_dtype(DType::F16) {
        println!("f16 matmul {n}³: {:.1} GFLOP/s", matmul_rate(&device, n, DType::F16));
    }

    let mut rng = Rng(0x9E3779B97F4A7C15);
    let enc = synthetic_encoder(&mut rng);
    let stored = std::env::var("GEORANGE_BENCH_DTYPE").unwrap_or_else(|_| "f32".into());
    let bank = stored_as(synthetic_bank(&mut rng, rows, &enc), &stored);
    println!("bank stored as {stored}");
    let mut model = if gpu {
        Model::with_gpu_precision(&enc, &bank, &device, dtype, precision).expect("model in this GPU precision")
    } else {
        Model::new(&enc, Some(&bank), &device, dtype).expect("model")
    };
    let on_device = match std::env::var("GEORANGE_BENCH_HARMONICS").as_deref() {
        Ok("host") => false,
        Ok("device") => true,
        _ => gpu,
    };
    model.set_harmonics_on_device(on_device);
    println!(
        "harmonics computed on the {}",
        if on_device { "device" } else { "host" }
    );
    // The model holds the bank in its own form; the peaks below are the model's and the call's.
    drop(bank);
    if cases.iter().any(|c| c == "explain") {
        for v in [Variant::Range, Variant::RangePlus { beta: 0.5 }] {
            let secs = time(2.0, || {
                let _ = model.explain(12.5, 41.9, v, 10).expect("explain");
            });
            println!("explain (top 10 of {rows} rows, exact), {v:?}: {:.2} ms", secs * 1e3);
        }
    }
    println!(
        "| variant | batch | points/s | ms per batch | GFLOP/s (exact-equivalent) | peak host MB | max rel. error |"
    );
    println!("|---|---|---|---|---|---|---|");
    let largest = batches.iter().copied().max().unwrap_or(1);
    let cold_from = env_list("GEORANGE_BENCH_COLD_FROM", vec![usize::MAX])[0];
    for &batch in &batches {
        let q = points(&mut rng, batch);
        let mut exact: std::collections::HashMap<String, Vec<f32>> = std::collections::HashMap::new();
        // (case, name, variant, geographic cut-off, tile budget): exact first, then approximate
        // RANGE+, then the heads through burn's attention op (case `flash`) and through our
        // fused kernel (case `fused`).
        let mut runs: Vec<Run> = vec![
            ("encoder", "encoder".into(), Variant::Encoder, None, None),
            ("range", "RANGE".into(), Variant::Range, None, None),
            (
                "range+",
                "RANGE+ β=0.5".into(),
                Variant::RangePlus { beta: 0.5 },
                None,
                None,
            ),
            (
                "range+b0",
                "RANGE+ β=0".into(),
                Variant::RangePlus { beta: 0.0 },
                None,
                None,
            ),
            (
                "cutoff",
                "RANGE+ β=0.5, cut-off 40°".into(),
                Variant::RangePlus { beta: 0.5 },
                Some(40.0),
                None,
            ),
            (
                "cutoff",
                "RANGE+ β=0, cut-off 40°".into(),
                Variant::RangePlus { beta: 0.0 },
                Some(40.0),
                None,
            ),
            ("flash", "RANGE, flash".into(), Variant::Range, None, None),
            (
                "flash",
                "RANGE+ β=0.5, flash".into(),
                Variant::RangePlus { beta: 0.5 },
                None,
                None,
            ),
            ("fused", "RANGE, fused".into(), Variant::Range, None, None),
            (
                "fused",
                "RANGE+ β=0.5, fused".into(),
                Variant::RangePlus { beta: 0.5 },
                None,
                None,
            ),
        ];
        if batch == largest {
            for &b in &budgets {
                runs.push((
                    "range",
                    format!("RANGE, tile budget {b}M scores"),
                    Variant::Range,
                    None,
                    Some(b << 20),
                ));
            }
        }
        for (case, name, v, cutoff, budget) in runs {
            if !cases.iter().any(|c| c == case) {
                continue;
            }
            model.set_geo_cutoff(cutoff).expect("cut-off");
            model.set_tile_budget(budget.unwrap_or(default_budget));
            let route = match case {
                "flash" => GpuAttention::Flash,
                "fused" => GpuAttention::Fused,
                _ => GpuAttention::Stream,
            };
            if let Err(e) = model.set_gpu_attention(route) {
                println!("| {name} | {batch} | not run: {e} | | | | |");
                continue;
            }
            reset_peak_memory();
            let mut out = Vec::new();
            let run = || model.embed(&q, v, batch, &mut |_| {}).expect("embed");
            let secs = if batch >= cold_from {
                let start = Instant::now();
                out = run();
                start.elapsed().as_secs_f64()
            } else {
                time(if batch > 1000 { 0.0 } else { 2.0 }, || out = run())
            };
            let (geo, sem) = match v {
                Variant::RangePlus { beta } => (beta < 1.0, beta > 0.0),
                _ => (false, false),
            };
            let per_point = match v {
                Variant::Encoder => 2.0 * (1600.0 * 512.0 + 512.0 * 512.0 + 512.0 * 256.0),
                Variant::Range => 2.0 * rows as f64 * (256.0 + 1024.0),
                Variant::RangePlus { .. } => {
                    2.0 * rows as f64 * (sem as u8 as f64 * (256.0 + 1024.0) + geo as u8 as f64 * (3.0 + 1024.0))
                }
            };
            let approximate = cutoff.is_some() || budget.is_some() || route != GpuAttention::Stream;
            let error = match (approximate, exact.get(&format!("{v:?}"))) {
                (true, Some(want)) => format!("{:.1e}", max_relative_error(&out, want, model.dim(v), 1024)),
                (true, None) => "– (exact not run)".into(),
                (false, _) => "exact".into(),
            };
            if !approximate {
                exact.insert(format!("{v:?}"), out);
            }
            println!(
                "| {name} | {batch} | {:.1} | {:.2} | {:.1} | {:.0} | {error} |",
                batch as f64 / secs,
                secs * 1e3,
                per_point * batch as f64 / secs / 1e9,
                peak_memory_mb()
            );
        }
    }
    if cases.iter().any(|c| c == "profile") {
        for &batch in &batches {
            let tile = georange::internals::tile_rows(batch, rows, default_budget);
            profile::run(&device, batch, rows, tile, precision == GpuPrecision::F16);
        }
    }
}

/// Worst per-point relative error (L2) of the first `head` values of each row.
fn max_relative_error(got: &[f32], want: &[f32], width: usize, head: usize) -> f64 {
    got.chunks(width)
        .zip(want.chunks(width))
        .map(|(a, b)| {
            let d: f64 = a[..head]
                .iter()
                .zip(&b[..head])
                .map(|(x, y)| ((x - y) as f64).powi(2))
                .sum();
            let n: f64 = b[..head].iter().map(|y| (*y as f64).powi(2)).sum();
            (d / n.max(1e-30)).sqrt()
        })
        .fold(0.0, f64::max)
}
