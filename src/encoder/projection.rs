//! GeoCLIP's input: the Equal Earth projection of (lat, lon), scaled to about [−1, 1].
//!
//! Constants as in GeoCLIP's `equal_earth_projection`, including one quirk that matters at
//! the 1e-8 level: it takes √3 from a float32 tensor, so √3 is rounded to float32 there.

const A1: f64 = 1.340264;
const A2: f64 = -0.081106;
const A3: f64 = 0.000893;
const A4: f64 = 0.003796;
/// Scale factor of the projection (GeoCLIP's `SF`); the result is divided by 180 too.
const SF: f64 = 66.50336;

/// Projects (lon, lat) degrees to GeoCLIP's (x, y).
pub fn equal_earth(lon: f64, lat: f64) -> [f64; 2] {
    let sqrt3 = 3f32.sqrt() as f64;
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    let theta = (sqrt3 / 2.0 * lat.sin()).asin();
    let t2 = theta * theta;
    let denominator = 3.0 * (9.0 * A4 * t2.powi(4) + 7.0 * A3 * t2.powi(3) + 3.0 * A2 * t2 + A1);
    let x = 2.0 * sqrt3 * lon * theta.cos() / denominator;
    let y = A4 * theta.powi(9) + A3 * theta.powi(7) + A2 * theta.powi(3) + A1 * theta;
    [x * SF / 180.0, y * SF / 180.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_and_centre() {
        assert_eq!(equal_earth(0.0, 0.0), [0.0, 0.0]);
        let [x, _] = equal_earth(180.0, 0.0);
        // Equal Earth's half-width at the equator is 2.7066·R·… ; GeoCLIP scales it to ~1.
        assert!((x - 1.0).abs() < 0.01, "{x}");
        let [_, y] = equal_earth(0.0, 90.0);
        assert!((y - 0.4866).abs() < 0.01, "{y}");
    }
}
