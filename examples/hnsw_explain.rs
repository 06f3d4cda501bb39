//! Whether an HNSW index (instant-distance) pays for `explain`, measured against the exact
//! path: it builds the index over a bank's keys, then for random points compares the index's
//! ten nearest keys with `Model::explain`'s ten heaviest rows for RANGE (whose weights order
//! the rows as their keys' cosine with the point's encoding does), and times both. It also
//! prints the share of the weight those rows carry: the weights themselves need the softmax's
//! normaliser, a sum over every row, which an index cannot give.
//! BENCHMARKS.md has the figures, and ARCHITECTURE.md why no index ships in a bank.
//!
//!   cargo run --release --example hnsw_explain -- ENCODER BANK [POINTS]
//!   (after ./build.sh: www/models/geoclip/encoder.safetensors
//!                      www/models/geoclip/bluemarble-bank.safetensors)

#[path = "common/index.rs"]
mod index;
#[path = "common/sample.rs"]
mod sample;
use index::{Unit, load, unit};
use sample::{Points, spread};
use std::time::Instant;

use georange::{Error, Result, Variant};
use instant_distance::{Builder, Search};

const TOP: usize = 10;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [encoder, bank, rest @ ..] = &args[..] else {
        eprintln!("usage: hnsw_explain ENCODER BANK [POINTS]");
        std::process::exit(2);
    };
    let points: usize = rest.first().and_then(|p| p.parse().ok()).unwrap_or(200);
    if points == 0 {
        return Err(Error::Invalid("POINTS must be at least 1".into()));
    }
    let (bank, model) = load(encoder, bank)?;
    let (rows, kd) = (bank.rows(), bank.key_dim);
    let keys: Vec<Unit> = bank.keys.tile(0, rows).chunks(kd).map(unit).collect();

    let start = Instant::now();
    let index = Builder::default().build(keys, (0..rows).collect::<Vec<usize>>());
    let build = start.elapsed().as_secs_f64();

    let (mut exact_ms, mut index_ms) = (Vec::new(), Vec::new());
    let (mut found, mut top_weight) = (Vec::new(), Vec::new());
    let mut search = Search::default();
    let mut random = Points::new();
    for _ in 0..points {
        let (lon, lat) = random.next_point();
        let embedded = model.embed(&[lon, lat], Variant::Encoder, 1, &mut |_| {})?;
        let q = unit(&embedded);

        let start = Instant::now();
        let exact = model.explain(lon, lat, Variant::Range, TOP)?;
        exact_ms.push(start.elapsed().as_secs_f64() * 1e3);

        let start = Instant::now();
        let near: Vec<usize> = index
            .search(&q, &mut search)
            .take(TOP)
            .map(|item| *item.value)
            .collect();
        index_ms.push(start.elapsed().as_secs_f64() * 1e3);

        let hits = exact.iter().filter(|c| near.contains(&c.row)).count();
        found.push(hits as f64 / exact.len().max(1) as f64);
        top_weight.push(exact.iter().map(|c| c.weight as f64).sum::<f64>());
    }
    println!("{rows} rows of {kd}-d keys; HNSW (instant-distance defaults) built in {build:.1} s");
    println!("over {points} random points, RANGE's top {TOP} rows (min / median / max):");
    println!("| | min | median | max |\n|---|---|---|---|");
    for (name, mut v, unit) in [
        ("exact explain (whole bank), ms", exact_ms, ""),
        ("HNSW search, ms", index_ms, ""),
        ("HNSW recall of the exact top rows", found, "%"),
        ("weight the top rows carry", top_weight, "%"),
    ] {
        let show = |x: f64| {
            if unit == "%" {
                format!("{:.1}%", 100.0 * x)
            } else {
                format!("{x:.3}")
            }
        };
        let [low, mid, high] = spread(&mut v).map(show);
        println!("| {name} | {low} | {mid} | {high} |");
    }
    Ok(())
}
