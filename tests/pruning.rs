//! Approximate RANGE+ (`Model::set_geo_cutoff`): the pruned geographic head against the exact
//! one on a bank of 20,000 rows spread over the sphere, at points all over it.

use crate::common::pruning::{check_pruning, model_on, points};
use crate::common::*;
use georange::{Backend, Model, Variant};

fn model(cutoff: Option<f64>) -> (Model, usize) {
    model_on(Backend::Cpu, cutoff)
}

/// On the CPU every batch prunes each point's own cap in the CPU kernel's passes: batches of 4 go
/// through them whole; in batches of 256 the semantic head streams and only the pruned
/// geographic head goes through the CPU kernel.
#[test]
fn the_pruned_geographic_head_stays_within_its_stated_error() {
    check_pruning(Backend::Cpu, &[256, 4], 600);
}

#[test]
fn rows_come_back_in_query_order_whatever_the_batch() {
    let pts = points();
    let (approx, vd) = model(Some(40.0));
    let v = Variant::RangePlus { beta: 0.2 };
    let width = approx.dim(v);
    let all = approx.embed(&pts, v, 600, &mut |_| {}).unwrap();
    // One point at a time goes through the CPU kernel whole; in a batch of 600 the
    // semantic head streams and the pruned geographic head goes through the CPU kernel: the two agree within
    // the cut-off's stated error, and a row of another point would be off by far more.
    let one: Vec<f32> = pts
        .chunks(2)
        .take(40)
        .flat_map(|p| approx.embed(p, v, 1, &mut |_| {}).unwrap())
        .collect();
    let err = worst(&all[..one.len()], &one, width, vd);
    assert!(err <= 5e-4, "relative error {err:.2e}");
}

#[test]
fn bad_cut_offs_are_refused() {
    let (mut m, _) = model(None);
    for bad in [0.0, -1.0, 181.0, f64::NAN, f64::INFINITY] {
        let err = m.set_geo_cutoff(Some(bad)).unwrap_err().to_string();
        assert!(err.contains("cut-off"), "{err}");
    }
    assert!(m.set_geo_cutoff(None).is_ok());
}
