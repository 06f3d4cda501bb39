//! Points spread over a polygon's interior, uniformly by area on the sphere: how a labelled
//! polygon becomes labelled points (probes, issue 43) and how a polygon is embedded as the mean
//! of its points (issue 44).
//!
//! A polygon is GeoJSON's: an outer ring and holes, each closed (first position = last), in
//! longitude/latitude degrees, edges straight in those coordinates (RFC 7946 §3.1.1). Samples
//! are drawn in the rings' bounding box uniformly by area (longitude uniform, sin(latitude)
//! uniform) and kept inside the outer ring and outside every hole (even–odd rule), from a
//! seeded generator: the same polygon, count and seed give the same points everywhere.

use crate::error::{Error, Result};
use crate::seeded::Uniform;

/// The most draws per point asked for before giving up (a polygon of almost no area).
const DRAWS_PER_POINT: usize = 10_000;

/// `count` points (`[lon, lat, …]`) inside the polygon whose rings are `rings` (each a flat
/// `[lon, lat, …]` closed ring; the first the outer one), uniformly by area, from `seed`.
/// Refuses a ring with fewer than four positions, one not closed, a position off the globe,
/// and a ring whose edges cross (`invalid_argument`, naming the ring).
pub fn sample_polygon(rings: &[Vec<f64>], count: usize, seed: u64) -> Result<Vec<f64>> {
    check(rings)?;
    let outer = &rings[0];
    let (mut west, mut east, mut south, mut north) = (180f64, -180f64, 90f64, -90f64);
    for p in outer.chunks_exact(2) {
        (west, east, south, north) = (west.min(p[0]), east.max(p[0]), south.min(p[1]), north.max(p[1]));
    }
    let (s0, s1) = (south.to_radians().sin(), north.to_radians().sin());
    let mut random = Uniform::new(seed);
    let mut uniform = || random.next_f64();
    let mut out = Vec::with_capacity(2 * count);
    let mut draws = 0;
    while out.len() < 2 * count {
        if draws == DRAWS_PER_POINT * count.max(1) {
            return Err(Error::Invalid(format!(
                "polygon: no point inside after {draws} draws (is its area almost zero?)"
            )));
        }
        draws += 1;
        let lon = west + (east - west) * uniform();
        let lat = (s0 + (s1 - s0) * uniform()).clamp(-1.0, 1.0).asin().to_degrees();
        if inside(outer, lon, lat) && !rings[1..].iter().any(|h| inside(h, lon, lat)) {
            out.extend([lon, lat]);
        }
    }
    Ok(out)
}

/// Whether (`lon`, `lat`) is inside `ring` (even–odd rule, edges straight in degrees).
fn inside(ring: &[f64], lon: f64, lat: f64) -> bool {
    let n = ring.len() / 2;
    let mut odd = false;
    for i in 0..n.saturating_sub(1) {
        let (x0, y0, x1, y1) = (ring[2 * i], ring[2 * i + 1], ring[2 * i + 2], ring[2 * i + 3]);
        if (y0 > lat) != (y1 > lat) && lon < x0 + (lat - y0) / (y1 - y0) * (x1 - x0) {
            odd = !odd;
        }
    }
    odd
}

/// Refuses rings that are not closed rings of at least three distinct positions on the globe,
/// or whose edges cross.
fn check(rings: &[Vec<f64>]) -> Result<()> {
    if rings.is_empty() {
        return Err(Error::Invalid("polygon: no ring".into()));
    }
    for (r, ring) in rings.iter().enumerate() {
        let what = if r == 0 {
            "its outer ring".to_string()
        } else {
            format!("hole {r}")
        };
        let bad = |why: String| Err(Error::Invalid(format!("polygon: {what} {why}")));
        if ring.len() % 2 != 0 || ring.len() < 8 {
            return bad(format!(
                "has {} numbers; a ring is at least 4 (lon, lat) positions",
                ring.len()
            ));
        }
        if let Some(p) = ring
            .chunks_exact(2)
            .position(|p| !(p[0].abs() <= 180.0 && p[1].abs() <= 90.0))
        {
            return bad(format!(
                "has position {p} off the globe ({}, {})",
                ring[2 * p],
                ring[2 * p + 1]
            ));
        }
        if ring[..2] != ring[ring.len() - 2..] {
            return bad("is not closed (its last position is not its first)".into());
        }
        if let Some((a, b)) = crossing(ring) {
            return bad(format!("crosses itself (edges {a} and {b})"));
        }
    }
    Ok(())
}

/// The first two non-adjacent edges of `ring` that cross or touch, if any.
fn crossing(ring: &[f64]) -> Option<(usize, usize)> {
    let n = ring.len() / 2 - 1; // edges
    let p = |i: usize| (ring[2 * i], ring[2 * i + 1]);
    for a in 0..n {
        for b in a + 2..n {
            if a == 0 && b == n - 1 {
                continue; // the closing edge meets the first at the ring's start
            }
            if segments_meet((p(a), p(a + 1)), (p(b), p(b + 1))) {
                return Some((a, b));
            }
        }
    }
    None
}

/// Whether two segments share a point.
fn segments_meet((a, b): ((f64, f64), (f64, f64)), (c, d): ((f64, f64), (f64, f64))) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
    let on = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        r.0 >= p.0.min(q.0) && r.0 <= p.0.max(q.0) && r.1 >= p.1.min(q.1) && r.1 <= p.1.max(q.1)
    };
    let (d1, d2, d3, d4) = (orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    (d1 == 0.0 && on(c, d, a)) || (d2 == 0.0 && on(c, d, b)) || (d3 == 0.0 && on(a, b, c)) || (d4 == 0.0 && on(a, b, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(w: f64, s: f64, e: f64, n: f64) -> Vec<f64> {
        vec![w, s, e, s, e, n, w, n, w, s]
    }

    #[test]
    fn points_fall_inside_and_outside_the_hole_spread_by_area() {
        let rings = [square(0.0, 0.0, 60.0, 60.0), square(10.0, 10.0, 20.0, 20.0)];
        let pts = sample_polygon(&rings, 4000, 7).unwrap();
        assert_eq!(pts.len(), 8000);
        let mut low = 0;
        for p in pts.chunks_exact(2) {
            assert!((0.0..=60.0).contains(&p[0]) && (0.0..=60.0).contains(&p[1]));
            assert!(
                !((10.0..=20.0).contains(&p[0]) && (10.0..=20.0).contains(&p[1])),
                "a point in the hole"
            );
            low += usize::from(p[1] < 30.0);
        }
        // By area, the band 0–30° holds (sin 30° − 0) / sin 60° = 57.7% of the square (less the hole).
        let hole = (20f64.to_radians().sin() - 10f64.to_radians().sin()) * 10.0;
        let want = (30f64.to_radians().sin() * 60.0 - hole) / (60f64.to_radians().sin() * 60.0 - hole);
        let got = low as f64 / 4000.0;
        assert!(
            (got - want).abs() < 0.03,
            "{got} of the points below 30°, by area {want}"
        );
        assert_eq!(
            sample_polygon(&rings, 50, 7).unwrap(),
            sample_polygon(&rings, 50, 7).unwrap()
        );
        assert_ne!(
            sample_polygon(&rings, 50, 7).unwrap(),
            sample_polygon(&rings, 50, 8).unwrap()
        );
    }

    #[test]
    fn bad_rings_are_refused_saying_why() {
        let bow_tie = vec![0.0, 0.0, 10.0, 10.0, 10.0, 0.0, 0.0, 10.0, 0.0, 0.0];
        let e = sample_polygon(&[bow_tie], 5, 0).unwrap_err();
        assert!(e.to_string().contains("crosses itself"), "{e}");
        assert_eq!(e.code(), "invalid_argument");
        let open = vec![0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0];
        assert!(
            sample_polygon(&[open], 5, 0)
                .unwrap_err()
                .to_string()
                .contains("not closed")
        );
        let off = square(0.0, 0.0, 10.0, 95.0);
        assert!(
            sample_polygon(&[off], 5, 0)
                .unwrap_err()
                .to_string()
                .contains("off the globe")
        );
        assert!(sample_polygon(&[vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]], 5, 0).is_err());
        let hole_crossing = vec![15.0, 15.0, 25.0, 15.0, 15.0, 25.0, 25.0, 25.0, 15.0, 15.0];
        let e = sample_polygon(&[square(0.0, 0.0, 60.0, 60.0), hole_crossing], 5, 0).unwrap_err();
        assert!(e.to_string().contains("hole 1"), "{e}");
        let sliver = vec![0.0, 0.0, 50.0, 50.0, 50.0, 50.000_000_1, 0.0, 0.0];
        assert!(sample_polygon(&[sliver], 1, 0).is_err(), "next to no area in its box");
    }
}
