//! How concentrated a bank's softmax weights are: for random points, the share of the bank's
//! rows that carry all but ε of a point's weight (the rest, the lightest rows, summing to at
//! most ε). A mode that skipped the value rows of negligible weight, with the error bounded
//! by ε · max |value|, would read only that share of the values. BENCHMARKS.md has the
//! figures for the demo's GeoCLIP bank, and why no such mode exists.
//!
//!   cargo run --release --example weight_mass -- ENCODER BANK [POINTS]
//!   (after ./build.sh: www/models/geoclip/encoder.safetensors
//!                      www/models/geoclip/bluemarble-bank.safetensors)

use std::path::Path;

#[path = "common/sample.rs"]
mod sample;
use sample::{Points, spread};

use georange::error::read_file;
use georange::{Backend, Bank, Encoder, Error, Model, Result, Variant};

const EPSILONS: [f64; 4] = [1e-3, 1e-4, 1e-6, 1e-7];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [encoder, bank, rest @ ..] = &args[..] else {
        eprintln!("usage: weight_mass ENCODER BANK [POINTS]");
        std::process::exit(2);
    };
    let points: usize = rest.first().and_then(|p| p.parse().ok()).unwrap_or(40);
    let encoder = Encoder::from_bytes(&read_file(Path::new(encoder))?, encoder)?;
    let bank = Bank::from_bytes(&read_file(Path::new(bank))?, bank)?;
    let (device, dtype) = Backend::Cpu.device()?;
    let model = Model::new(&encoder, Some(&bank), &device, dtype)?;
    println!(
        "{} rows; share of rows that carry all but ε of a point's weight, over {points} random points",
        bank.rows()
    );
    println!("| model | ε | min | median | max |\n|---|---|---|---|---|");
    for (name, beta) in [("range", 0.5), ("range+", 0.5), ("range+", 1.0)] {
        let variant = Variant::parse(name, beta)?;
        let mut random = Points::new();
        let mut shares: Vec<Vec<f64>> = vec![Vec::new(); EPSILONS.len()];
        for _ in 0..points {
            let (lon, lat) = random.next_point();
            let w = model
                .bank_weights(lon, lat, variant)?
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| Error::Backend(format!("{e:?}")))?;
            let mut sorted = w.clone();
            sorted.sort_by(f32::total_cmp);
            for (share, eps) in shares.iter_mut().zip(EPSILONS) {
                share.push(1.0 - lightest_within(&sorted, eps) as f64 / w.len() as f64);
            }
        }
        let label = if name == "range" {
            name.to_string()
        } else {
            format!("{name} β={beta}")
        };
        for (share, eps) in shares.iter_mut().zip(EPSILONS) {
            let [low, mid, high] = spread(share).map(|v| format!("{:.2}%", 100.0 * v));
            println!("| {label} | {eps:e} | {low} | {mid} | {high} |");
        }
    }
    Ok(())
}

/// How many of the lightest weights (`sorted` ascending) sum to at most `eps`.
fn lightest_within(sorted: &[f32], eps: f64) -> usize {
    let mut sum = 0f64;
    sorted
        .iter()
        .take_while(|&&w| {
            sum += w as f64;
            sum <= eps
        })
        .count()
}
