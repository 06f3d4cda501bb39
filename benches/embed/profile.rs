//! `GEORANGE_BENCH_CASES=profile`: where one streamed tile's time goes on this device.
//!
//! Each step of the streamed attention (`src/attention/stream.rs`) is timed on its own at the real
//! shapes (each batch of `GEORANGE_BENCH_BATCHES`, one tile of the model's tile length), read
//! back after every call so the GPU's queue is empty between calls; then whole streams with
//! one and two heads, two heads as two streams, and burn's own attention op
//! (`burn::tensor::module::attention`: a flash-attention kernel where burn autotunes, i.e. with
//! `--features vulkan`; elsewhere it materialises the scores, so it runs only where they are
//! small), with its difference from the stream. The figures decide which kernel to write or
//! call next (BENCHMARKS.md).

use std::panic::{AssertUnwindSafe, catch_unwind};

use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{DType, Device, Tensor, TensorData};
use georange::attention::{Against, HeadSpec};
use georange::bank::{BankView, Matrix};
use georange::internals::{product, stream, stream_mixed};

use super::{Rng, time};

/// Waits for `t` (and everything queued before it) by reading one number back.
fn sync(t: Tensor<2>) {
    let _ = t.slice([0..1, 0..1]).into_data();
}

/// Prints the time per call of `f` (and its rate when it does `flops`).
fn step(label: &str, flops: f64, f: impl Fn() -> Tensor<2>) {
    let secs = time(1.0, || sync(f()));
    let rate = if flops > 0.0 {
        format!("{:.1}", flops / secs / 1e12)
    } else {
        "–".into()
    };
    println!("| {label} | {:.3} | {rate} |", secs * 1e3);
}

fn upload(data: Vec<f32>, shape: [usize; 2], device: &Device, dtype: DType) -> Tensor<2> {
    Tensor::from_data(TensorData::new(data, shape), (device, dtype))
}

/// Random unit rows, `[rows, cols]` row-major.
fn unit_rows(rng: &mut Rng, rows: usize, cols: usize) -> Vec<f32> {
    let mut v = rng.vec(rows * cols, 1.0);
    for row in v.chunks_mut(cols) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        row.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

pub fn run(device: &Device, batch: usize, rows: usize, tile: usize, half: bool) {
    let (kd, vd) = (256, 1024);
    let tile = tile.min(rows);
    let bank_dtype = if half { DType::F16 } else { DType::F32 };
    let mut rng = Rng(0x5eed);
    let q = upload(unit_rows(&mut rng, batch, kd), [batch, kd], device, DType::F32).mul_scalar(15.0);
    let qh = if half { q.clone().cast(DType::F16) } else { q.clone() };
    let keys = upload(unit_rows(&mut rng, rows, kd), [rows, kd], device, bank_dtype);
    let values = upload(rng.vec(rows * vd, 1.0), [rows, vd], device, bank_dtype);
    let xyz = upload(unit_rows(&mut rng, rows, 3), [rows, 3], device, DType::F32);
    let kt: Vec<f32> = {
        let k: Vec<f32> = keys
            .clone()
            .narrow(0, 0, tile)
            .cast(DType::F32)
            .into_data()
            .try_into_vec()
            .unwrap_or_default();
        (0..kd * tile).map(|i| k[(i % tile) * kd + i / tile]).collect()
    };
    let kt = upload(kt, [kd, tile], device, bank_dtype);
    let (kv, vv) = (keys.clone().narrow(0, 0, tile), values.clone().narrow(0, 0, tile));
    let scores = product(qh.clone(), kv.clone().transpose());
    let p = scores.clone().exp();
    let (b, t) = (batch as f64, tile as f64);
    println!(
        "\nprofile: batch {batch}, tile {tile} of {rows} rows, bank {bank_dtype:?} (ms per call, read back after each; TFLOP/s)"
    );
    println!("| step | ms | TFLOP/s |\n|---|---|---|");
    step("read back one number (the floor of every line)", 0.0, || q.clone());
    step(
        "scores q·Kᵀ (a transposed view of the tile)",
        2.0 * b * t * kd as f64,
        || product(qh.clone(), kv.clone().transpose()),
    );
    step(
        "scores q·Kᵀ (Kᵀ stored contiguous)",
        2.0 * b * t * kd as f64,
        || product(qh.clone(), kt.clone()),
    );
    step("exp(scores)", 0.0, || scores.clone().exp());
    step("row sums of exp(scores)", 0.0, || scores.clone().exp().sum_dim(1));
    step("row maxima of scores", 0.0, || scores.clone().max_dim(1));
    if half {
        step("P to f16", 0.0, || p.clone().cast(DType::F16));
    }
    step("P·V", 2.0 * b * t * vd as f64, || product(p.clone(), vv.clone()));
    step(
        "one tile, bounded (exp, sums, P·V)",
        2.0 * b * t * (kd + vd) as f64,
        || {
            let p = product(qh.clone(), kv.clone().transpose()).exp();
            product(p.clone(), vv.clone()) + p.sum_dim(1)
        },
    );
    let view = BankView {
        keys: Matrix::Device(&keys),
        xyz: Matrix::Device(&xyz),
        values: Matrix::Device(&values),
        rows,
        value_bound: 1.0,
        value_scale: 1.0,
    };
    let semantic = HeadSpec {
        scale: 1.0,
        against: Against::Keys,
    };
    let geographic = HeadSpec {
        scale: 40.0,
        against: Against::Locations,
    };
    let qx = upload(unit_rows(&mut rng, batch, 3), [batch, 3], device, DType::F32);
    let full = 2.0 * b * rows as f64;
    step("whole bank, one head (RANGE)", full * (kd + vd) as f64, || {
        stream(&view, std::slice::from_ref(&q), &[semantic], tile).remove(0)
    });
    step(
        "whole bank, two heads in one stream (RANGE+)",
        full * (kd + 3 + 2 * vd) as f64,
        || {
            let mut out = stream(&view, &[q.clone(), qx.clone()], &[semantic, geographic], tile);
            out.remove(0) + out.remove(0)
        },
    );
    step(
        "whole bank, two heads mixed before one P·V per tile (stream_mixed: the CPU's RANGE+)",
        full * (2.0 * (kd + 3) as f64 + vd as f64),
        || {
            stream_mixed(
                &view,
                &[q.clone(), qx.clone()],
                &[semantic, geographic],
                &[0.5, 0.5],
                tile,
            )
            .expect("a bank")
        },
    );
    step(
        "whole bank, two heads as two streams",
        full * (kd + 3 + 2 * vd) as f64,
        || {
            stream(&view, std::slice::from_ref(&q), &[semantic], tile).remove(0)
                + stream(&view, std::slice::from_ref(&qx), &[geographic], tile).remove(0)
        },
    );
    let exact = stream(&view, std::slice::from_ref(&q), &[semantic], tile).remove(0);
    for heads in [vd / kd, 1] {
        burn_attention(&qh, &keys, &values, &exact, heads, full * (kd + vd) as f64);
    }
}

/// burn's attention op over the whole bank (`softmax(q·Kᵀ)·V` of RANGE, q already scaled),
/// the values split into `heads` heads that each repeat the keys, the batch padded to a multiple
/// of 128 rows (cubek's flash kernels need the stage's rows to divide the batch): its time and
/// its difference from the stream's `exact`. Its flash kernels apply `1/√d` themselves and run
/// only without a custom scale, so q carries `√d`.
fn burn_attention(q: &Tensor<2>, keys: &Tensor<2>, values: &Tensor<2>, exact: &Tensor<2>, heads: usize, flops: f64) {
    let ([batch, kd], [rows, vd]) = (q.dims(), values.dims());
    let (padded, width) = (batch.next_multiple_of(128), vd / heads);
    let label = format!("whole bank, burn attention op, {heads} head(s) of {width} values, batch padded to {padded}");
    if !cfg!(feature = "vulkan") && (padded * rows * heads) as f64 > 64e6 {
        println!("| {label} | skipped: this build would materialise the scores | |");
        return;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let q = q.clone().mul_scalar((kd as f64).sqrt());
        let q = match padded - batch {
            0 => q,
            pad => Tensor::cat(vec![q.clone(), q.zeros_like().narrow(0, 0, 1).repeat_dim(0, pad)], 0),
        };
        let q4 = Tensor::cat(vec![q; heads], 0).reshape([1, heads, padded, kd]);
        let k4 = Tensor::cat(vec![keys.clone(); heads], 0).reshape([1, heads, rows, kd]);
        let v4 = values
            .clone()
            .reshape([rows, heads, width])
            .swap_dims(0, 1)
            .reshape([1, heads, rows, width]);
        let op = || {
            attention(
                q4.clone(),
                k4.clone(),
                v4.clone(),
                None,
                None,
                AttentionModuleOptions::default(),
            )
            .reshape([heads, padded, width])
            .swap_dims(0, 1)
            .reshape([padded, vd])
            .narrow(0, 0, batch)
            .cast(DType::F32)
        };
        step(&label, flops, op);
        let diff = (op() - exact.clone()).abs().max().into_scalar::<f32>() as f64
            / exact.clone().abs().max().into_scalar::<f32>() as f64;
        println!("| {label}: max difference from the stream, relative to its largest value | {diff:.2e} | |");
    }));
    if outcome.is_err() {
        println!("| {label} | failed (panicked) | |");
    }
}
