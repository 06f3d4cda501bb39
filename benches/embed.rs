//! Embedding throughput on the CPU backend: `cargo bench --bench embed`.
//!
//! A synthetic model of the released shapes (SatCLIP L = 40, 1600 → 512 → 512 → 256) and a
//! synthetic bank (100k rows by default, 256-d keys, 1024-d values). Prints points/s for
//! the encoder alone, RANGE and RANGE+ at batch 1 and 10,000, the machine's plain f32
//! matrix-multiply rate through the same backend (for the ratio), and the process's peak
//! memory during each case (model and call: the synthetic bank is dropped first); then approximate RANGE+ (geographic cut-off 40°) with its error
//! against the exact result on the same points. `GEORANGE_BENCH_ROWS` and `GEORANGE_BENCH_BATCHES` override the
//! bank size and the batch sizes (comma-separated); `GEORANGE_BENCH_DTYPE=int8` (or f16) stores
//! the bank in that precision and reads it back, as a bank file is loaded (default f32).
//! Results go to BENCHMARKS.md by hand.

use std::time::Instant;

use burn::tensor::{DType, Tensor, TensorData};
use georange::encoder::{Architecture, SatClipParams};
use georange::format::Stored;
use georange::weights::Weights;
use georange::{Backend, Bank, Encoder, Model, Variant};

/// Deterministic uniform numbers in [−1, 1) (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
    fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.next() * scale).collect()
    }
}

fn synthetic_encoder(rng: &mut Rng) -> Encoder {
    let arch = Architecture::SatClip(SatClipParams {
        legendre_polys: 40,
        harmonics: "analytic".into(),
        capacity: 512,
        hidden_layers: 2,
        embed_dim: 256,
    });
    let mut w = Weights::new();
    for l in arch.layers() {
        let s = 1.0 / l.inputs as f32;
        w.insert(
            format!("{}.weight", l.name),
            Stored {
                shape: vec![l.outputs, l.inputs],
                data: rng.vec(l.outputs * l.inputs, s),
            },
        );
        w.insert(
            format!("{}.bias", l.name),
            Stored {
                shape: vec![l.outputs],
                data: rng.vec(l.outputs, s),
            },
        );
    }
    Encoder::new(arch, w).expect("synthetic encoder")
}

fn synthetic_bank(rng: &mut Rng, rows: usize, enc: &Encoder) -> Bank {
    let locs: Vec<f32> = (0..rows)
        .flat_map(|_| [rng.next() * 180.0, (rng.next()).asin().to_degrees()])
        .collect();
    Bank::new(
        locs,
        rng.vec(rows * 256, 1.0),
        rng.vec(rows * 1024, 1.0),
        256,
        1024,
        &enc.id,
    )
    .expect("synthetic bank")
}

fn points(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|_| [rng.next() as f64 * 180.0, (rng.next() as f64).asin().to_degrees()])
        .collect()
}

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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: usize = std::env::var("GEORANGE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let batches: Vec<usize> = std::env::var("GEORANGE_BENCH_BATCHES")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 10_000]);
    let (device, dtype) = Backend::Cpu.device().expect("cpu");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("georange CPU benchmark: bank {rows} rows, {threads} threads");

    let n = 2048;
    let a: Tensor<2> = Tensor::from_data(TensorData::new(vec![0.5f32; n * n], [n, n]), (&device, DType::F32));
    let secs = time(2.0, || {
        let _ = a.clone().matmul(a.clone()).into_data();
    });
    println!("f32 matmul {n}³: {:.1} GFLOP/s", 2.0 * (n as f64).powi(3) / secs / 1e9);

    let mut rng = Rng(0x9E3779B97F4A7C15);
    let enc = synthetic_encoder(&mut rng);
    let mut bank = synthetic_bank(&mut rng, rows, &enc);
    let stored = std::env::var("GEORANGE_BENCH_DTYPE").unwrap_or_else(|_| "f32".into());
    if stored != "f32" {
        let dtype = georange::StorageDtype::parse(&stored).expect("GEORANGE_BENCH_DTYPE");
        bank = Bank::from_bytes(&bank.to_bytes(dtype).expect("bank file"), "bank").expect("bank read back");
    }
    println!("bank stored as {stored}");
    let mut model = Model::new(&enc, Some(&bank), &device, dtype).expect("model");
    // The model holds the bank in its own form; the peaks below are the model's and the call's.
    drop(bank);
    for v in [Variant::Range, Variant::RangePlus { beta: 0.5 }] {
        let secs = time(2.0, || {
            let _ = model.explain(12.5, 41.9, v, 10).expect("explain");
        });
        println!("explain (top 10 of {rows} rows, exact), {v:?}: {:.2} ms", secs * 1e3);
    }
    println!("| variant | batch | points/s | ms per batch | GFLOP/s (exact-equivalent) | peak MB | max rel. error |");
    println!("|---|---|---|---|---|---|---|");
    for &batch in &batches {
        let q = points(&mut rng, batch);
        let mut exact: std::collections::HashMap<String, Vec<f32>> = std::collections::HashMap::new();
        // (name, variant, geographic cut-off): exact first, then approximate RANGE+.
        for (name, v, cutoff) in [
            ("encoder", Variant::Encoder, None),
            ("RANGE", Variant::Range, None),
            ("RANGE+ β=0.5", Variant::RangePlus { beta: 0.5 }, None),
            ("RANGE+ β=0", Variant::RangePlus { beta: 0.0 }, None),
            (
                "RANGE+ β=0.5, cut-off 40°",
                Variant::RangePlus { beta: 0.5 },
                Some(40.0),
            ),
            ("RANGE+ β=0, cut-off 40°", Variant::RangePlus { beta: 0.0 }, Some(40.0)),
        ] {
            model.set_geo_cutoff(cutoff).expect("cut-off");
            reset_peak_memory();
            let mut out = Vec::new();
            let secs = time(if batch > 1000 { 0.0 } else { 2.0 }, || {
                out = model.embed(&q, v, batch, &mut |_| {}).expect("embed");
            });
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
            let error = match (cutoff, exact.get(&format!("{v:?}"))) {
                (Some(_), Some(want)) => format!("{:.1e}", max_relative_error(&out, want, model.dim(v), 1024)),
                _ => "exact".into(),
            };
            if cutoff.is_none() {
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
