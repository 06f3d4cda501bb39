//! Whether an HNSW index (instant-distance) serves "places like this" better than the exact
//! scan (`Model::similar_rows`): it builds the index over a bank's values (unit rows, distance
//! 1 − cosine), then for random points ranks the bank by the similarity of each row's value to
//! the point's RANGE+ high-resolution vector both ways, and reports the index's recall of the
//! exact top ten, the time of each (one thread and all threads), and the build time.
//! BENCHMARKS.md ("Places like this") has the figures.
//!
//!   cargo run --release --example hnsw_places -- ENCODER BANK [POINTS]
//!   (after ./build.sh: www/models/geoclip/encoder.safetensors
//!                      www/models/geoclip/bluemarble-bank.safetensors)

use std::time::Instant;

#[path = "common/index.rs"]
mod index;
#[path = "common/sample.rs"]
mod sample;
use index::{Unit, load, unit};
use sample::{Points, spread};

use georange::{Compare, Error, Result, Variant, with_threads};
use instant_distance::{Builder, Search};

const TOP: usize = 10;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [encoder, bank, rest @ ..] = &args[..] else {
        eprintln!("usage: hnsw_places ENCODER BANK [POINTS]");
        std::process::exit(2);
    };
    let points: usize = rest.first().and_then(|p| p.parse().ok()).unwrap_or(200);
    if points == 0 {
        return Err(Error::Invalid("POINTS must be at least 1".into()));
    }
    let (bank, model) = load(encoder, bank)?;
    let (rows, vd) = (bank.rows(), bank.value_dim);
    let values: Vec<Unit> = bank.values.tile(0, rows).chunks(vd).map(unit).collect();

    let start = Instant::now();
    let index = Builder::default().build(values, (0..rows).collect::<Vec<usize>>());
    let build = start.elapsed().as_secs_f64();

    let (mut one_ms, mut all_ms, mut index_ms, mut found) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut search = Search::default();
    let mut random = Points::new();
    for _ in 0..points {
        let (lon, lat) = random.next_point();
        let embedded = model.embed(&[lon, lat], Variant::RangePlus { beta: 0.5 }, 1, &mut |_| {})?;
        let high = &embedded[..vd];

        let start = Instant::now();
        let exact = with_threads(1, || model.similar_rows(high, Compare::Values, TOP))?;
        one_ms.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        model.similar_rows(high, Compare::Values, TOP)?;
        all_ms.push(start.elapsed().as_secs_f64() * 1e3);

        let start = Instant::now();
        let q = unit(high);
        let near: Vec<usize> = index
            .search(&q, &mut search)
            .take(TOP)
            .map(|item| *item.value)
            .collect();
        index_ms.push(start.elapsed().as_secs_f64() * 1e3);

        let hits = exact.iter().filter(|s| near.contains(&s.row)).count();
        found.push(hits as f64 / exact.len().max(1) as f64);
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    println!("{rows} rows of {vd}-d values; HNSW (instant-distance defaults) built in {build:.1} s");
    println!(
        "over {points} random points, the top {TOP} by cosine with the RANGE+ (β = 0.5) vector (min / median / max):"
    );
    println!("| | min | median | max |\n|---|---|---|---|");
    for (name, mut v, percent) in [
        ("exact scan, 1 thread, ms".to_string(), one_ms, false),
        (format!("exact scan, {threads} threads, ms"), all_ms, false),
        ("HNSW search, ms".to_string(), index_ms, false),
        ("HNSW recall of the exact top 10".to_string(), found, true),
    ] {
        let show = |x: f64| {
            if percent {
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
