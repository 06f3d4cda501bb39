//! The bank's rows in spatial order, and which of them lie near a group of query points: what
//! lets RANGE+'s geographic head skip rows too far away to matter (an approximation, off by
//! default; see [`crate::Model::set_geo_cutoff`]).
//!
//! Rows are sorted into latitude bands of [`BAND_DEG`], and by longitude within a band, so
//! the rows near a spherical cap are a few contiguous runs (one or two per band): the head
//! streams over those runs in place, copying nothing.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use crate::geo::unit_vector;

/// Height of a latitude band, degrees.
pub const BAND_DEG: f64 = 5.0;
const BANDS: usize = (180.0 / BAND_DEG) as usize;

fn band(lat: f64) -> usize {
    (((lat + 90.0) / BAND_DEG).max(0.0) as usize).min(BANDS - 1)
}

/// Longitude in [−180, 180).
fn canonical_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// A permutation of the bank rows by (latitude band, longitude).
#[derive(Clone, Debug)]
pub struct SpatialOrder {
    /// `order[i]` is the bank row stored at sorted position `i`.
    pub order: Vec<usize>,
    /// Sorted positions of band `b`: `band_start[b]..band_start[b + 1]`.
    band_start: Vec<usize>,
    /// Longitude of each sorted position, in [−180, 180).
    lons: Vec<f64>,
}

impl SpatialOrder {
    /// Orders the rows of flat `[lon, lat, …]` degrees.
    pub fn new(locs: &[f32]) -> Self {
        let key = |i: usize| (band(locs[2 * i + 1] as f64), canonical_lon(locs[2 * i] as f64));
        let mut order: Vec<usize> = (0..locs.len() / 2).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
        });
        let mut band_start = vec![0; BANDS + 1];
        for &i in &order {
            band_start[key(i).0 + 1] += 1;
        }
        for b in 0..BANDS {
            band_start[b + 1] += band_start[b];
        }
        let lons = order.iter().map(|&i| key(i).1).collect();
        Self {
            order,
            band_start,
            lons,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.order.len()
    }

    /// Sorted-position runs `(start, len)` that hold every row within `radius` radians of
    /// (lon, lat) degrees (and some rows beyond: whole bands in latitude, the cap's widest
    /// longitude span in each band).
    pub fn runs_near(&self, lon: f64, lat: f64, radius: f64) -> Vec<(usize, usize)> {
        if radius >= PI {
            return vec![(0, self.rows())];
        }
        let r = radius.to_degrees();
        // The cap's longitude half-width; a cap over a pole spans every longitude.
        let half_width = if lat.abs() + r >= 90.0 {
            180.0
        } else {
            (radius.sin() / lat.to_radians().cos()).min(1.0).asin().to_degrees()
        };
        let lon = canonical_lon(lon);
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for b in band((lat - r).max(-90.0))..=band((lat + r).min(90.0)) {
            let (s, e) = (self.band_start[b], self.band_start[b + 1]);
            if s == e {
                continue;
            }
            let mut spans = Vec::with_capacity(2);
            if half_width >= 180.0 {
                spans.push((-180.0, 180.0));
            } else {
                let (lo, hi) = (lon - half_width, lon + half_width);
                spans.push((lo.max(-180.0), hi.min(180.0)));
                if lo < -180.0 {
                    spans.push((lo + 360.0, 180.0));
                }
                if hi > 180.0 {
                    spans.push((-180.0, hi - 360.0));
                }
            }
            let lons = &self.lons[s..e];
            for (lo, hi) in spans {
                let a = s + lons.partition_point(|v| *v < lo);
                let z = s + lons.partition_point(|v| *v <= hi);
                if z > a {
                    runs.push((a, z - a));
                }
            }
        }
        runs.sort_unstable();
        merge(runs)
    }
}

/// Joins touching or overlapping runs.
fn merge(runs: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(runs.len());
    for (s, len) in runs {
        match out.last_mut() {
            Some((ps, plen)) if *ps + *plen >= s => *plen = (*plen).max(s + len - *ps),
            _ => out.push((s, len)),
        }
    }
    out
}

/// Query points grouped by cells about [`BAND_DEG`] on a side; each group with its cap:
/// centre (lon, lat degrees) and the angle (radians) to its farthest member.
pub struct QueryGroup {
    pub members: Vec<usize>,
    pub center: (f64, f64),
    pub radius: f64,
}

/// Groups flat `[lon, lat, …]` degrees by cell, in a deterministic order.
pub fn group_queries(lonlat: &[f64]) -> Vec<QueryGroup> {
    let mut cells: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, p) in lonlat.chunks_exact(2).enumerate() {
        let b = band(p[1]);
        let mid = -90.0 + (b as f64 + 0.5) * BAND_DEG;
        let columns = ((360.0 * mid.to_radians().cos() / BAND_DEG).floor() as usize).max(1);
        let c = (((canonical_lon(p[0]) + 180.0) / 360.0 * columns as f64) as usize).min(columns - 1);
        cells.entry((b, c)).or_default().push(i);
    }
    cells
        .into_values()
        .map(|members| {
            let xyz: Vec<[f64; 3]> = members
                .iter()
                .map(|&i| unit_vector(lonlat[2 * i], lonlat[2 * i + 1]))
                .collect();
            let mut mean = [0.0; 3];
            for v in &xyz {
                (0..3).for_each(|k| mean[k] += v[k]);
            }
            let norm = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
            let c = if norm > 1e-9 { mean.map(|v| v / norm) } else { xyz[0] };
            let radius = xyz
                .iter()
                .map(|v| (v[0] * c[0] + v[1] * c[1] + v[2] * c[2]).clamp(-1.0, 1.0).acos())
                .fold(0.0, f64::max);
            let center = (c[1].atan2(c[0]).to_degrees(), c[2].clamp(-1.0, 1.0).asin().to_degrees());
            QueryGroup {
                members,
                center,
                radius,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::imagery::fibonacci_points;

    fn angle(a: (f64, f64), b: (f64, f64)) -> f64 {
        let (u, v) = (unit_vector(a.0, a.1), unit_vector(b.0, b.1));
        (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]).clamp(-1.0, 1.0).acos()
    }

    #[test]
    fn runs_hold_every_row_within_the_radius_and_prune_the_rest() {
        let pts: Vec<f32> = fibonacci_points(20_000).iter().map(|v| *v as f32).collect();
        let order = SpatialOrder::new(&pts);
        let mut sorted = order.order.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, r)| i == *r), "not a permutation");
        for (center, deg) in [
            ((0.0, 0.0), 40.0),
            ((179.0, 10.0), 30.0),
            ((-179.5, -60.0), 25.0),
            ((30.0, 85.0), 20.0),
            ((0.0, 0.0), 180.0),
        ] {
            let radius = f64::to_radians(deg);
            let runs = order.runs_near(center.0, center.1, radius);
            let mut inside = vec![false; order.rows()];
            for (s, len) in &runs {
                (*s..s + len).for_each(|i| inside[i] = true);
            }
            let mut kept = 0;
            for (pos, &row) in order.order.iter().enumerate() {
                let p = (pts[2 * row] as f64, pts[2 * row + 1] as f64);
                if angle(center, p) <= radius {
                    assert!(
                        inside[pos],
                        "row {row} at {p:?} is within {deg}° of {center:?} but not in a run"
                    );
                }
                kept += inside[pos] as usize;
            }
            // A cap of radius r covers (1 − cos r)/2 of the sphere; the runs add whole bands.
            let cap = (1.0 - radius.cos()) / 2.0;
            assert!(
                kept as f64 <= (2.0 * cap + 0.06) * order.rows() as f64,
                "{deg}° at {center:?}: kept {kept}"
            );
        }
    }

    #[test]
    fn groups_cover_every_query_once_with_tight_caps() {
        let pts = fibonacci_points(5_000);
        let groups = group_queries(&pts);
        let mut seen = vec![0; 5_000];
        for g in &groups {
            for &i in &g.members {
                seen[i] += 1;
                assert!(angle(g.center, (pts[2 * i], pts[2 * i + 1])) <= g.radius + 1e-12);
            }
            assert!(g.radius < f64::to_radians(6.0), "cap of {}°", g.radius.to_degrees());
        }
        assert!(seen.iter().all(|c| *c == 1));
    }
}
