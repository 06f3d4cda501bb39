//! RANGE+'s geographic head with a cut-off on a device: each group of nearby queries streams
//! over the bank rows near it only ([`Model::set_geo_cutoff`](super::Model::set_geo_cutoff)).

use burn::tensor::{Tensor, TensorData};

use crate::attention::HeadSpec;
use crate::attention::stream::{stream_runs, tile_rows};
use crate::bank::BankView;
use crate::bank::spatial::{QueryGroup, SpatialOrder, group_queries};
use crate::error::Result;
use crate::parallel::flat_map_parts;

/// A geographic head over the rows near each group of queries only (see
/// [`Model::set_geo_cutoff`](super::Model::set_geo_cutoff)): queries are grouped by [`group_queries`] cells, each group
/// streams over the bank runs within `cutoff` of its cap, and the rows come back in order.
pub(super) fn geo_pruned(
    view: &BankView,
    spatial: &SpatialOrder,
    lonlat: &[f64],
    xyz: Tensor<2>,
    spec: HeadSpec,
    (cutoff, budget): (f64, usize),
    threads: usize,
) -> Result<Tensor<2>> {
    let groups = group_queries(lonlat);
    let device = xyz.device();
    let work = |g: &QueryGroup| {
        let runs = spatial.runs_near(g.center.0, g.center.1, g.radius + cutoff);
        // No row that near: this group gets the exact head.
        let runs = if runs.is_empty() { vec![(0, view.rows)] } else { runs };
        let idx: Vec<i64> = g.members.iter().map(|&i| i as i64).collect();
        let q = xyz
            .clone()
            .select(0, Tensor::from_data(TensorData::new(idx, [g.members.len()]), &device));
        let tile = tile_rows(g.members.len(), view.rows, budget);
        stream_runs(view, &[q], &[spec], tile, &runs).remove(0)
    };
    // One part per thread (one in the browser: no spawning).
    let chunk = groups.len().div_ceil(threads.max(1)).max(1);
    let parts = flat_map_parts(
        groups.chunks(chunk).collect(),
        "geographic-head",
        |gs: &[QueryGroup]| gs.iter().map(work).collect(),
    )?;
    // Rows come out group by group; put them back in query order.
    let mut position = vec![0i64; lonlat.len() / 2];
    for (k, &i) in groups.iter().flat_map(|g| &g.members).enumerate() {
        position[i] = k as i64;
    }
    let n = position.len();
    Ok(Tensor::cat(parts, 0).select(0, Tensor::from_data(TensorData::new(position, [n]), &device)))
}
