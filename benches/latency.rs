//! Warm latency of single points and small batches on the CPU, with criterion's statistics:
//! each figure is a confidence interval over many samples, and a run can be compared with a
//! saved one, which a noisy shared machine needs before a change is called faster or slower:
//!
//!   cargo bench --bench latency -- --save-baseline before
//!   (the change)
//!   cargo bench --bench latency -- --baseline before      (prints the change and its p-value)
//!
//! `cargo bench --bench latency -- 100k` runs only the names that contain "100k". The model
//! and banks are `benches/embed.rs`'s synthetic ones (SatCLIP L = 40; 256-d keys, 1024-d
//! values, stored int8 as `georange convert --dtype int8` writes them); the bank sizes come
//! from `GEORANGE_LATENCY_ROWS` (comma-separated; default 10000,100000). Throughput, peak
//! memory and the reference's figures are `benches/embed.rs`'s. The demo's GeoCLIP model, where
//! `./build.sh` has made it, adds its own cases ("demo GeoCLIP").

#[path = "common/synthetic.rs"]
mod synthetic;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use georange::{Backend, Model, Variant};
use synthetic::{Rng, env_list, points, stored_as, synthetic_bank, synthetic_encoder};

/// Points cycled through by every case, so that the cut-off's runs vary as over a map.
const POINTS: usize = 64;

fn label(rows: usize) -> String {
    if rows.is_multiple_of(1000) {
        format!("{}k", rows / 1000)
    } else {
        rows.to_string()
    }
}

fn latency(c: &mut Criterion) {
    let (device, dtype) = Backend::Cpu.device().expect("the CPU backend");
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let enc = synthetic_encoder(&mut rng);
    let pts = points(&mut rng, POINTS);
    let mut next = 0;
    let mut point = move || {
        next = (next + 1) % POINTS;
        [pts[2 * next], pts[2 * next + 1]]
    };

    let encoder_only = Model::new(&enc, None, &device, dtype).expect("model");
    c.bench_function("encoder/1 point", |b| {
        b.iter(|| {
            encoder_only
                .embed(&point(), Variant::Encoder, 1, &mut |_| {})
                .expect("embed")
        })
    });

    for rows in env_list("GEORANGE_LATENCY_ROWS", vec![10_000, 100_000]) {
        let bank = stored_as(synthetic_bank(&mut rng, rows, &enc), "int8");
        let mut model = Model::new(&enc, Some(&bank), &device, dtype).expect("model");
        drop(bank);
        let mut group = c.benchmark_group(format!("{} rows int8", label(rows)));
        group.throughput(Throughput::Elements(1));
        for (name, variant) in [
            ("RANGE", Variant::Range),
            ("RANGE+ β=0.5", Variant::RangePlus { beta: 0.5 }),
        ] {
            group.bench_function(format!("{name}/1 point"), |b| {
                b.iter(|| model.embed(&point(), variant, 1, &mut |_| {}).expect("embed"))
            });
        }
        group.bench_function("explain top 10, RANGE+ β=0.5", |b| {
            b.iter(|| {
                let [lon, lat] = point();
                model
                    .explain(lon, lat, Variant::RangePlus { beta: 0.5 }, 10)
                    .expect("explain")
            })
        });
        model.set_geo_cutoff(Some(40.0)).expect("cut-off");
        group.bench_function("RANGE+ β=0, cut-off 40°/1 point", |b| {
            b.iter(|| {
                model
                    .embed(&point(), Variant::RangePlus { beta: 0.0 }, 1, &mut |_| {})
                    .expect("embed")
            })
        });
        model.set_geo_cutoff(None).expect("cut-off");
        let batch: Vec<f64> = (0..16).flat_map(|_| point()).collect();
        group.throughput(Throughput::Elements(16));
        group.bench_function("RANGE/16 points", |b| {
            b.iter(|| model.embed(&batch, Variant::Range, 16, &mut |_| {}).expect("embed"))
        });
        group.finish();
    }
    demo(c, &mut point);
}

/// The demo's GeoCLIP encoder and Blue Marble bank (`GEORANGE_LATENCY_DEMO`, default
/// `www/models/geoclip`, which `./build.sh` fills): their single points, where GeoCLIP's
/// 9.4M encoder weights weigh as much as the 50,000-row bank. Skipped without the files.
fn demo(c: &mut Criterion, point: &mut impl FnMut() -> [f64; 2]) {
    let dir = std::path::PathBuf::from(std::env::var("GEORANGE_LATENCY_DEMO").unwrap_or("www/models/geoclip".into()));
    let read = |name: &str| georange::error::read_file(&dir.join(name)).ok();
    let (Some(enc), Some(bank)) = (read("encoder.safetensors"), read("bluemarble-bank.safetensors")) else {
        eprintln!(
            "latency: no demo model in {} (./build.sh makes it); its cases skipped",
            dir.display()
        );
        return;
    };
    let (device, dtype) = Backend::Cpu.device().expect("the CPU backend");
    let enc = georange::Encoder::from_bytes(&enc, "demo encoder").expect("the demo encoder");
    let bank = georange::Bank::from_owned_bytes(bank, "demo bank").expect("the demo bank");
    let model = Model::new(&enc, Some(&bank), &device, dtype).expect("model");
    let mut group = c.benchmark_group("demo GeoCLIP");
    for (name, variant) in [("encoder", Variant::Encoder), ("RANGE", Variant::Range)] {
        group.bench_function(format!("{name}/1 point"), |b| {
            b.iter(|| model.embed(&point(), variant, 1, &mut |_| {}).expect("embed"))
        });
    }
    group.finish();
    // A map layer's batch (256 points, RANGE+ β = 0.5) in each arithmetic of the score pass.
    let mut group = c.benchmark_group("demo GeoCLIP map batch");
    group.sample_size(10).throughput(Throughput::Elements(256));
    let batch: Vec<f64> = (0..256).flat_map(|_| point()).collect();
    for (name, compute) in [("exact", georange::Compute::Exact), ("int8", georange::Compute::Int8)] {
        group.bench_function(format!("RANGE+ 0.5/256 points/{name}"), |b| {
            b.iter(|| {
                let v = Variant::RangePlus { beta: 0.5 };
                model.embed_with(&batch, v, (256, compute), &mut |_| {}).expect("embed")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40).warm_up_time(Duration::from_secs(2));
    targets = latency
}
criterion_main!(benches);
