//! A deterministic visual descriptor of an equirectangular Earth image around a location: the
//! values of an imagery bank (RANGE's "visual features", here from NASA's Blue Marble mosaic
//! rather than a satellite-image network).
//!
//! For each scale (a square of fixed *ground* size, e.g. 50, 200 and 800 km across) the image
//! is sampled on a `grid × grid` lattice laid out on the ground around the point (east and
//! north offsets turned into coordinates on the sphere, so the footprint does not stretch
//! toward the poles as equirectangular pixels do), bilinearly, longitudes wrapping. From
//! those samples, per scale:
//! - mean and standard deviation of R, G, B (6);
//! - texture: mean absolute difference between east and between north neighbours, per
//!   channel (6);
//! - layout: mean luminance of each cell of a 4 × 4 partition of the lattice (16);
//! - colour: a 4 × 4 × 4 RGB histogram, as fractions (64).
//!
//! That is 92 values per scale. Everything is f64 in a fixed order, so the same image and
//! points give the same bits. [`whiten`] then standardises each dimension over a set of rows.

use crate::error::{Error, Result};

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Values per scale: 6 colour moments, 6 texture, 16 layout, 64 histogram.
pub const PER_SCALE: usize = 6 + 6 + 16 + 64;

/// An RGB image covering the globe: longitude −180 → 180 left to right, latitude 90 → −90
/// top to bottom (plate carrée).
pub struct EarthImage {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl EarthImage {
    /// Wraps `width × height` RGB bytes, row-major.
    pub fn new(width: usize, height: usize, rgb: Vec<u8>) -> Result<Self> {
        if width < 2 || height < 2 || width.checked_mul(height).and_then(|p| p.checked_mul(3)) != Some(rgb.len()) {
            return Err(Error::Invalid(format!(
                "an image of {width} × {height} RGB pixels needs {} bytes, got {}",
                width.saturating_mul(height).saturating_mul(3),
                rgb.len()
            )));
        }
        Ok(Self { width, height, rgb })
    }

    /// Bilinear RGB at (lon, lat) in degrees; longitudes wrap, latitudes clamp.
    fn sample(&self, lon: f64, lat: f64) -> [f64; 3] {
        let x = ((lon + 180.0) / 360.0 * self.width as f64 - 0.5).rem_euclid(self.width as f64);
        let y = ((90.0 - lat) / 180.0 * self.height as f64 - 0.5).clamp(0.0, (self.height - 1) as f64);
        let (x0, y0) = (x.floor() as usize % self.width, y.floor() as usize);
        let (x1, y1) = ((x0 + 1) % self.width, (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x.floor(), y - y.floor());
        let px = |x: usize, y: usize, c: usize| self.rgb[(y * self.width + x) * 3 + c] as f64;
        std::array::from_fn(|c| {
            let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
            let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
            (top * (1.0 - fy) + bottom * fy) / 255.0
        })
    }
}

/// The point `east_km` east and `north_km` north of (lon, lat) along the great circle with
/// that bearing and length, in degrees.
fn offset(lon: f64, lat: f64, east_km: f64, north_km: f64) -> (f64, f64) {
    let dist = (east_km * east_km + north_km * north_km).sqrt() / EARTH_RADIUS_KM;
    if dist == 0.0 {
        return (lon, lat);
    }
    let bearing = east_km.atan2(north_km);
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    let phi2 = (phi.sin() * dist.cos() + phi.cos() * dist.sin() * bearing.cos())
        .clamp(-1.0, 1.0)
        .asin();
    let lambda2 = lambda + (bearing.sin() * dist.sin() * phi.cos()).atan2(dist.cos() - phi.sin() * phi2.sin());
    (lambda2.to_degrees(), phi2.to_degrees())
}

/// The descriptor of (lon, lat): [`PER_SCALE`] values for each ground size in `scales_km`
/// (the side of the square), sampled on `grid × grid` points (`grid` rounded down to a
/// multiple of 4, at least 4).
pub fn describe(image: &EarthImage, lon: f64, lat: f64, scales_km: &[f64], grid: usize) -> Vec<f32> {
    let grid = (grid.max(4) / 4) * 4;
    let mut out = Vec::with_capacity(scales_km.len() * PER_SCALE);
    for &side in scales_km {
        let step = side / grid as f64;
        let half = (grid as f64 - 1.0) / 2.0;
        // samples[row][col], row 0 the northernmost.
        let samples: Vec<[f64; 3]> = (0..grid * grid)
            .map(|i| {
                let (r, c) = (i / grid, i % grid);
                let (lo, la) = offset(lon, lat, (c as f64 - half) * step, (half - r as f64) * step);
                image.sample(lo, la)
            })
            .collect();
        scale_features(&samples, grid, &mut out);
    }
    out
}

fn scale_features(s: &[[f64; 3]], grid: usize, out: &mut Vec<f32>) {
    let n = s.len() as f64;
    let mean: [f64; 3] = std::array::from_fn(|c| s.iter().map(|p| p[c]).sum::<f64>() / n);
    let std: [f64; 3] = std::array::from_fn(|c| (s.iter().map(|p| (p[c] - mean[c]).powi(2)).sum::<f64>() / n).sqrt());
    let mut texture = [0.0f64; 6];
    for r in 0..grid {
        for c in 0..grid {
            let p = s[r * grid + c];
            for k in 0..3 {
                if c + 1 < grid {
                    texture[k] += (s[r * grid + c + 1][k] - p[k]).abs();
                }
                if r + 1 < grid {
                    texture[3 + k] += (s[(r + 1) * grid + c][k] - p[k]).abs();
                }
            }
        }
    }
    let pairs = (grid * (grid - 1)) as f64;
    let cell = grid / 4;
    let mut layout = [0.0f64; 16];
    let mut hist = [0.0f64; 64];
    for r in 0..grid {
        for c in 0..grid {
            let p = s[r * grid + c];
            layout[(r / cell).min(3) * 4 + (c / cell).min(3)] += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            let bin = |v: f64| ((v * 4.0) as usize).min(3);
            hist[bin(p[0]) * 16 + bin(p[1]) * 4 + bin(p[2])] += 1.0;
        }
    }
    let per_cell = (cell * cell) as f64;
    out.extend(mean.iter().chain(&std).map(|v| *v as f32));
    out.extend(texture.iter().map(|v| (v / pairs) as f32));
    out.extend(layout.iter().map(|v| (v / per_cell) as f32));
    out.extend(hist.iter().map(|v| (v / n) as f32));
}

/// Standardises each column of a row-major `rows × cols` matrix to zero mean and unit
/// variance over its rows (constant columns become 0).
pub fn whiten(data: &mut [f32], cols: usize) {
    let rows = data.len() / cols.max(1);
    if rows == 0 {
        return;
    }
    for c in 0..cols {
        let mean = (0..rows).map(|r| data[r * cols + c] as f64).sum::<f64>() / rows as f64;
        let var = (0..rows)
            .map(|r| (data[r * cols + c] as f64 - mean).powi(2))
            .sum::<f64>()
            / rows as f64;
        let inv = if var > 1e-24 { 1.0 / var.sqrt() } else { 0.0 };
        for r in 0..rows {
            data[r * cols + c] = ((data[r * cols + c] as f64 - mean) * inv) as f32;
        }
    }
}

/// `n` points spread evenly over the sphere (a Fibonacci lattice), flat `[lon, lat, …]`.
pub fn fibonacci_points(n: usize) -> Vec<f64> {
    let golden = 180.0 * (3.0 - 5f64.sqrt()); // the golden angle, degrees
    (0..n)
        .flat_map(|i| {
            let lat = (1.0 - 2.0 * (i as f64 + 0.5) / n as f64).asin().to_degrees();
            let lon = (i as f64 * golden).rem_euclid(360.0) - 180.0;
            [lon, lat]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic globe: red where lon < 0, blue where lon ≥ 0, a green band |lat| < 10.
    fn globe(w: usize, h: usize) -> EarthImage {
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let lon = (x as f64 + 0.5) / w as f64 * 360.0 - 180.0;
                let lat = 90.0 - (y as f64 + 0.5) / h as f64 * 180.0;
                let g = if lat.abs() < 10.0 { 255 } else { 0 };
                rgb.extend(if lon < 0.0 { [255, g, 0] } else { [0, g, 255] });
            }
        }
        EarthImage::new(w, h, rgb).unwrap()
    }

    #[test]
    fn offsets_follow_the_ground() {
        // 111.2 km north of the equator is one degree of latitude; east at 60° N, 55.6 km is
        // one degree of longitude (the footprint does not stretch with the pixels).
        let (lon, lat) = offset(10.0, 0.0, 0.0, 111.195);
        assert!((lon - 10.0).abs() < 1e-9 && (lat - 1.0).abs() < 1e-3, "{lon} {lat}");
        let (lon, lat) = offset(10.0, 60.0, 55.597, 0.0);
        assert!((lon - 11.0).abs() < 2e-3 && (lat - 60.0).abs() < 1e-2, "{lon} {lat}");
    }

    #[test]
    fn features_see_colour_texture_and_wrap() {
        let img = globe(360, 180);
        let red = describe(&img, -90.0, 45.0, &[100.0], 8);
        let blue = describe(&img, 90.0, 45.0, &[100.0], 8);
        assert_eq!(red.len(), PER_SCALE);
        assert!(red[0] > 0.99 && red[2] < 0.01, "mean RGB {:?}", &red[..3]);
        assert!(blue[2] > 0.99 && blue[0] < 0.01, "mean RGB {:?}", &blue[..3]);
        // Uniform colour: no texture. Across the antimeridian (red | blue): texture east-west.
        assert!(red[6..12].iter().all(|v| *v < 1e-6));
        let seam = describe(&img, 180.0, 45.0, &[400.0], 8);
        assert!(seam[6] > 0.01 && seam[8] > 0.01, "texture {:?}", &seam[6..12]);
        // The histogram sums to one.
        let h: f32 = red[28..92].iter().sum();
        assert!((h - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_same_inputs_give_the_same_bits() {
        let img = globe(720, 360);
        let a = describe(&img, 12.3, -45.6, &[50.0, 200.0, 800.0], 8);
        let b = describe(&img, 12.3, -45.6, &[50.0, 200.0, 800.0], 8);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(a.len(), 3 * PER_SCALE);
    }

    #[test]
    fn whitened_columns_have_zero_mean_unit_variance() {
        let mut m: Vec<f32> = (0..30).map(|i| (i * 7 % 11) as f32).collect();
        m.extend([5.0; 3]);
        whiten(&mut m, 3);
        for c in 0..3 {
            let col: Vec<f64> = (0..11).map(|r| m[r * 3 + c] as f64).collect();
            let mean = col.iter().sum::<f64>() / 11.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 11.0;
            assert!(
                mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5,
                "column {c}: {mean} {var}"
            );
        }
    }

    #[test]
    fn fibonacci_points_cover_the_sphere_evenly() {
        let p = fibonacci_points(1000);
        let north = p.chunks(2).filter(|q| q[1] > 0.0).count();
        let tropics = p.chunks(2).filter(|q| q[1].abs() < 30.0).count();
        assert_eq!(north, 500);
        assert!(
            (tropics as f64 - 500.0).abs() < 5.0,
            "{tropics} points within 30° (sin 30° = ½ of the area)"
        );
        assert!(
            p.chunks(2)
                .all(|q| (-180.0..180.0).contains(&q[0]) && q[1].abs() < 90.0)
        );
    }
}
