//! SatCLIP's harmonics on the device, as two small matrix products.
//!
//! Every feature is `c · P̄_l^m(cos θ) · t(mφ)`, with `t` one of 1, cos and sin. As a function
//! of θ over a whole turn, `P̄_l^m(cos θ)` (`sin^m θ` times a polynomial in `cos θ`) is a
//! trigonometric polynomial of degree `l`: a cosine series for even `m`, a sine series for odd
//! `m`, with coefficients of order one. So with the bases
//! `b(θ) = [1, cos θ … cos (L−1)θ, sin θ … sin (L−1)θ]` (and the same of φ) computed per point
//! on the host, the `L²` features of a batch are `(b(θ) · T) ⊙ b(φ)[S]`: `T` holds the
//! series' coefficients (computed once, in f64, from the same stable recurrence as the host
//! path), `S` picks one entry of `b(φ)` per feature (a gather). A point then sends `2(2L − 1)` numbers to
//! the device instead of `L²` (158 instead of 1600 for L = 40), and the GPU does the rest.
//!
//! No large angle is ever handed to the device's `sin`/`cos` (WebGPU's are accurate only to
//! 2⁻¹¹ in [−π, π]): the bases are computed in f64 on the host.

use std::f64::consts::TAU;

use burn::tensor::{DType, Device, Int, Tensor, TensorData};

use super::harmonics::Harmonics;
use crate::parallel;

/// The matrix `T` and the indices `S` of one encoder, on its device.
pub struct DeviceHarmonics {
    degrees: usize,
    theta: Tensor<2>,
    phi: Tensor<1, Int>,
    device: Device,
    dtype: DType,
}

impl DeviceHarmonics {
    pub fn new(table: &Harmonics, device: &Device, dtype: DType) -> Self {
        let degrees = table.degrees();
        let shape = [basis_width(degrees), degrees * degrees];
        Self {
            degrees,
            theta: Tensor::from_data(TensorData::new(series(table), shape), (device, dtype)),
            phi: Tensor::from_data(TensorData::new(selection(degrees), [shape[1]]), device),
            device: device.clone(),
            dtype,
        }
    }

    /// The features of validated points `lonlat` = [lon0, lat0, …], `[points, L²]`.
    pub fn features(&self, lonlat: &[f64]) -> Tensor<2> {
        let (theta, phi) = (self.basis(lonlat, 1, 90.0), self.basis(lonlat, 0, 180.0));
        theta.matmul(self.theta.clone()) * phi.select(1, self.phi.clone())
    }

    /// `b(angle)` of each point, where the angle is `radians(lonlat[2i + which] + offset)`.
    fn basis(&self, lonlat: &[f64], which: usize, offset: f64) -> Tensor<2> {
        let width = basis_width(self.degrees);
        let points = lonlat.len() / 2;
        let mut out = vec![0.0f64; points * width];
        parallel::for_rows(&mut out, width, 1024, |first, part| {
            for (i, row) in part.chunks_exact_mut(width).enumerate() {
                fill_basis((lonlat[2 * (first + i) + which] + offset).to_radians(), row);
            }
        });
        Tensor::from_data(TensorData::new(out, [points, width]), (&self.device, self.dtype))
    }
}

/// Length of a basis `b`: the constant, `L − 1` cosines, `L − 1` sines.
fn basis_width(degrees: usize) -> usize {
    (2 * degrees).saturating_sub(1)
}

/// Where `cos kα` (`sin kα`) sits in a basis: `k` (`L − 1 + k`), for `1 ≤ k < L`.
fn cos_at(k: usize) -> usize {
    k
}

fn sin_at(degrees: usize, k: usize) -> usize {
    degrees - 1 + k
}

/// Writes `b(angle)` into `out` (length [`basis_width`]).
fn fill_basis(angle: f64, out: &mut [f64]) {
    let degrees = out.len().div_ceil(2);
    if let Some(first) = out.first_mut() {
        *first = 1.0;
    }
    for k in 1..degrees {
        let (s, c) = (k as f64 * angle).sin_cos();
        out[cos_at(k)] = c;
        out[sin_at(degrees, k)] = s;
    }
}

/// `T`, `[basis, L²]` row-major: column `l² + l ± m` holds the series of
/// `c_m · P̄_l^m(cos θ)` (the feature without its φ factor).
///
/// The coefficients come from `4L` equally spaced samples of θ over a whole turn, which the
/// trapezoidal rule integrates exactly for products of degree `< 4L` (here `≤ 2L − 2`).
fn series(table: &Harmonics) -> Vec<f64> {
    let degrees = table.degrees();
    let (width, features) = (basis_width(degrees), degrees * degrees);
    let samples = 4 * degrees;
    // P̄_l^m at every sample, pair (l, m) at l(l+1)/2 + m.
    let pairs = degrees * (degrees + 1) / 2;
    let mut values = vec![0.0f64; samples * pairs];
    for j in 0..samples {
        let (s, x) = (TAU * j as f64 / samples as f64).sin_cos();
        let row = &mut values[j * pairs..(j + 1) * pairs];
        table.legendre(x, s, |l, m, q| row[l * (l + 1) / 2 + m] = q);
    }
    // (sin, cos) of k · 2πj / samples, for every degree k and sample j: computed once here
    // rather than once per (l, m) pair.
    let waves: Vec<(f64, f64)> = (0..degrees)
        .flat_map(|k| (0..samples).map(move |j| (TAU * (k * j) as f64 / samples as f64).sin_cos()))
        .collect();
    let wave = |k: usize, j: usize| waves[k * samples + j];
    let mut t = vec![0.0f64; width * features];
    for l in 0..degrees {
        for m in 0..=l {
            let pair = l * (l + 1) / 2 + m;
            let sample = |j: usize| values[j * pairs + pair];
            let factor = table.column_factor(m);
            // (basis index, coefficient) of the series.
            let coefficients: Vec<(usize, f64)> = if m % 2 == 0 {
                (0..=l)
                    .map(|k| {
                        let weight = if k == 0 { 1.0 } else { 2.0 } / samples as f64;
                        let sum: f64 = (0..samples).map(|j| sample(j) * wave(k, j).1).sum();
                        (cos_at(k), weight * sum)
                    })
                    .collect()
            } else {
                (1..=l)
                    .map(|k| {
                        let sum: f64 = (0..samples).map(|j| sample(j) * wave(k, j).0).sum();
                        (sin_at(degrees, k), 2.0 / samples as f64 * sum)
                    })
                    .collect()
            };
            let columns = if m == 0 {
                vec![l * l + l]
            } else {
                vec![l * l + l + m, l * l + l - m]
            };
            for column in columns {
                for &(index, c) in &coefficients {
                    t[index * features + column] = factor * c;
                }
            }
        }
    }
    t
}

/// `S`: for each feature, the entry of `b(φ)` it takes: `l² + l` the constant, `l² + l + m`
/// `cos mφ`, `l² + l − m` `sin mφ`.
fn selection(degrees: usize) -> Vec<i64> {
    let mut s = vec![0i64; degrees * degrees];
    for l in 0..degrees {
        for m in 1..=l {
            s[l * l + l + m] = cos_at(m) as i64;
            s[l * l + l - m] = sin_at(degrees, m) as i64;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::harmonics::Convention;

    /// The largest difference between the device features and the host's f64 recurrence at
    /// points that include both poles and the date line.
    fn worst(degrees: usize, convention: Convention, dtype: DType) -> f64 {
        let table = Harmonics::new(degrees, convention);
        let device = Device::flex();
        let on_device = DeviceHarmonics::new(&table, &device, dtype);
        let mut lonlat = vec![
            -180.0, -90.0, 180.0, 90.0, 0.0, 0.0, -73.98, 40.75, 151.2, -33.9, 179.99, 89.99,
        ];
        for i in 0..200 {
            lonlat.push(-180.0 + 360.0 * ((i * 37) % 200) as f64 / 199.0);
            lonlat.push(-90.0 + 180.0 * i as f64 / 199.0);
        }
        let got: Vec<f64> = on_device
            .features(&lonlat)
            .cast(DType::F64)
            .into_data()
            .try_into_vec::<f64>()
            .unwrap();
        let width = degrees * degrees;
        let mut want = vec![0.0; width];
        lonlat
            .chunks_exact(2)
            .enumerate()
            .flat_map(|(i, p)| {
                table.evaluate(p[0], p[1], &mut want);
                let row = &got[i * width..(i + 1) * width];
                row.iter()
                    .zip(want.clone())
                    .map(|(g, w)| (g - w).abs())
                    .collect::<Vec<_>>()
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn the_series_reproduce_the_recurrence_in_f64() {
        for convention in [Convention::Analytic, Convention::ClosedForm] {
            for degrees in [1, 2, 3, 10, 40] {
                let err = worst(degrees, convention, DType::F64);
                // Measured 2.1e-11 at L = 40: the host derives sin θ as √(1 − cos²θ), which
                // loses digits near the poles; the series take sin θ as it is.
                assert!(err <= 1e-10, "L = {degrees} {convention:?}: {err:.2e}");
            }
        }
    }

    #[test]
    fn in_f32_the_features_are_within_a_few_units_of_rounding() {
        // The features reach ~6 (π · 1.8); f32 rounds them to ~4e-7.
        let err = worst(40, Convention::Analytic, DType::F32);
        eprintln!("f32 {err:.2e}");
    }
}
