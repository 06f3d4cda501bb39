//! Coordinates: validation of query points and unit vectors on the sphere.

pub mod polygon;

use crate::error::{Error, Result};

/// Checks flat `[lon0, lat0, lon1, lat1, …]` degrees and returns them with longitudes wrapped
/// (see [`wrap_longitude`]). Errors name the first bad row: NaN or infinite values, latitude outside
/// [−90, 90], an odd length or an empty input.
pub fn validate_points(lonlat: &[f64]) -> Result<Vec<f64>> {
    validate_points_at(lonlat, 0)
}

/// [`validate_points`] for points that are rows `first_row..` of a caller's larger input (a
/// batch of it): a bad coordinate's error names the caller's row.
pub fn validate_points_at(lonlat: &[f64], first_row: usize) -> Result<Vec<f64>> {
    validate_rows(lonlat).map_err(|e| e.shifted(first_row))
}

fn validate_rows(lonlat: &[f64]) -> Result<Vec<f64>> {
    if lonlat.is_empty() {
        return Err(Error::Invalid("no points to embed".into()));
    }
    if !lonlat.len().is_multiple_of(2) {
        return Err(Error::Invalid(format!(
            "coordinates come in (lon, lat) pairs, got {} numbers",
            lonlat.len()
        )));
    }
    let mut out = Vec::with_capacity(lonlat.len());
    for (row, p) in lonlat.chunks_exact(2).enumerate() {
        let (lon, lat) = (p[0], p[1]);
        if !lon.is_finite() || !lat.is_finite() {
            return Err(Error::Coordinate {
                row,
                reason: format!("coordinates must be finite, got lon {lon}, lat {lat}"),
            });
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(Error::Coordinate {
                row,
                reason: format!("latitude {lat} is outside [-90, 90]"),
            });
        }
        out.push(wrap_longitude(lon));
        out.push(lat);
    }
    Ok(out)
}

/// Wraps a longitude outside [−180, 180] into [−180, 180); ±180 itself is kept, since an
/// encoder that is not periodic in longitude (GeoCLIP) tells the two apart, as the
/// reference does.
pub fn wrap_longitude(lon: f64) -> f64 {
    if (-180.0..=180.0).contains(&lon) {
        lon
    } else {
        (lon + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// Unit vector of (lon, lat) degrees: x = cos lat cos lon, y = cos lat sin lon, z = sin lat.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_names_bad_rows() {
        assert_eq!(
            validate_points(&[200.0, 10.0, -190.0, 0.0, 180.0, 5.0]).unwrap(),
            vec![-160.0, 10.0, 170.0, 0.0, 180.0, 5.0]
        );
        let e = validate_points(&[0.0, 0.0, 1.0, 100.0]).unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("latitude 100"), "{e}");
        let e = validate_points(&[f64::NAN, 0.0]).unwrap_err().to_string();
        assert!(e.contains("row 0") && e.contains("finite"), "{e}");
        assert_eq!(
            validate_points(&[540.0, 1.0, -540.0, 2.0]).unwrap(),
            vec![-180.0, 1.0, -180.0, 2.0]
        );
        assert!(validate_points(&[]).is_err());
        assert!(validate_points(&[1.0, 2.0, 3.0]).is_err());
    }
}
