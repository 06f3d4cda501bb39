//! Real spherical harmonics in SatCLIP's conventions, computed with a stable recurrence.
//!
//! SatCLIP feeds `Y_l^m(θ, φ)` for `l < L`, `m = -l..=l` (ordered by `l`, then `m`) into its
//! SIREN, with `φ = radians(lon + 180)` and `θ = radians(lat + 90)` (θ = 0 is the south pole).
//! Pretrained checkpoints use the *analytic* variant: a generated table of expanded
//! polynomials which, compared with the textbook real harmonics (Condon–Shortley phase
//! included), are π times larger for `m = 0` and flip sign for odd `m`. The *closed-form*
//! variant is the textbook one. See ARCHITECTURE.md and the parity tests.
//!
//! We never evaluate the expanded polynomials (coefficients up to 1e14 lose all precision in
//! f32 and much of it in f64 near the poles); instead the 4π-normalised associated Legendre
//! functions without the Condon–Shortley phase come from the standard three-term recurrence,
//! which is stable for every degree used here.

use std::f64::consts::PI;

/// Which of SatCLIP's two harmonics conventions a checkpoint was trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// `harmonics_calculation = "analytic"`: the released checkpoints.
    Analytic,
    /// `harmonics_calculation = "closed-form"`: textbook real harmonics.
    ClosedForm,
}

impl Convention {
    /// Parses SatCLIP's `harmonics_calculation` hyper-parameter.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "analytic" => Some(Convention::Analytic),
            "closed-form" => Some(Convention::ClosedForm),
            _ => None,
        }
    }

    /// The name SatCLIP uses for this convention.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Analytic => "analytic",
            Convention::ClosedForm => "closed-form",
        }
    }

    /// Factor applied to the phase-free normalised harmonic of order `m`.
    fn factor(self, m: usize) -> f64 {
        match (self, m) {
            (Convention::Analytic, 0) => PI,
            (Convention::Analytic, _) => 1.0,
            (Convention::ClosedForm, 0) => 1.0,
            // The textbook functions carry the Condon–Shortley phase (−1)^m.
            (Convention::ClosedForm, m) if m % 2 == 1 => -1.0,
            (Convention::ClosedForm, _) => 1.0,
        }
    }
}

/// Number of features for harmonics of degree `< degrees`.
pub fn feature_count(degrees: usize) -> usize {
    degrees * degrees
}

/// Writes the `degrees²` harmonics of the point (`lon`, `lat`, in degrees) into `out`.
///
/// `out.len()` must be `degrees²`. `lat` must lie in [−90, 90] (checked by the caller).
/// Many points: build a [`Harmonics`] once and call [`Harmonics::evaluate`].
pub fn evaluate(lon: f64, lat: f64, degrees: usize, convention: Convention, out: &mut [f64]) {
    Harmonics::new(degrees, convention).evaluate(lon, lat, out);
}

/// The harmonics up to one degree in one convention, with the recurrence's coefficients
/// (which depend on `l` and `m` only) computed once: most of the work per point otherwise.
pub struct Harmonics {
    degrees: usize,
    convention: Convention,
    /// `(a, b)` of the step to degree `l` in column `m`, column after column.
    steps: Vec<(f64, f64)>,
}

impl Harmonics {
    pub fn new(degrees: usize, convention: Convention) -> Self {
        let steps = (0..degrees)
            .flat_map(|m| ((m + 1)..degrees).map(move |l| (l as f64, m as f64)))
            .map(|(lf, mf)| {
                let a = ((4.0 * lf * lf - 1.0) / (lf * lf - mf * mf)).sqrt();
                let b = (((lf - 1.0) * (lf - 1.0) - mf * mf) / (4.0 * (lf - 1.0) * (lf - 1.0) - 1.0)).sqrt();
                (a, b)
            })
            .collect();
        Self {
            degrees,
            convention,
            steps,
        }
    }

    /// Number of features per point (`degrees²`).
    pub fn width(&self) -> usize {
        feature_count(self.degrees)
    }

    /// See [`evaluate`]; `out.len()` must be [`width`](Self::width).
    pub fn evaluate(&self, lon: f64, lat: f64, out: &mut [f64]) {
        debug_assert_eq!(out.len(), feature_count(self.degrees));
        let phi = (lon + 180.0).to_radians();
        let x = (lat + 90.0).to_radians().cos();
        let s = ((1.0 - x) * (1.0 + x)).max(0.0).sqrt();
        let trig: Vec<(f64, f64)> = (0..self.degrees).map(|m| (m as f64 * phi).sin_cos()).collect();
        let sqrt2 = std::f64::consts::SQRT_2;
        self.legendre(x, s, |l, m, q| {
            let base = l * l + l;
            let factor = self.convention.factor(m);
            if m == 0 {
                out[base] = factor * q;
            } else {
                let (sin_m, cos_m) = trig[m];
                out[base + m] = factor * sqrt2 * q * cos_m;
                out[base - m] = factor * sqrt2 * q * sin_m;
            }
        });
    }

    /// Calls `put(l, m, q)` with the 4π-normalised associated Legendre function `q` of every
    /// degree `l < degrees` and order `0 ≤ m ≤ l` (no Condon–Shortley phase) at `x = cos θ`,
    /// `s = sin θ`, column after column. `s` may be negative: the functions are then those
    /// of θ beyond π (`s^m` times a polynomial in `x`), which [`crate::encoder`]'s device
    /// path samples over a whole turn.
    pub(crate) fn legendre(&self, x: f64, s: f64, mut put: impl FnMut(usize, usize, f64)) {
        // q_mm: normalised P_m^m(x) without phase; walks up the diagonal.
        let mut q_mm = 1.0 / (4.0 * PI).sqrt();
        let mut steps = self.steps.iter();
        for m in 0..self.degrees {
            if m > 0 {
                let mf = m as f64;
                q_mm *= ((2.0 * mf + 1.0) / (2.0 * mf)).sqrt() * s;
            }
            // Up the column l = m, m+1, ... with the three-term recurrence.
            let mut q_prev = 0.0;
            let mut q_cur = q_mm;
            put(m, m, q_cur);
            for (l, &(a, b)) in ((m + 1)..self.degrees).zip(steps.by_ref()) {
                let q_next = a * (x * q_cur - b * q_prev);
                q_prev = q_cur;
                q_cur = q_next;
                put(l, m, q_cur);
            }
        }
    }

    /// The convention's factor for order `m` (with `√2` for `m > 0`, as in the features).
    pub(crate) fn column_factor(&self, m: usize) -> f64 {
        let f = self.convention.factor(m);
        if m == 0 { f } else { f * std::f64::consts::SQRT_2 }
    }

    /// Degrees (`L`; `L²` features).
    pub fn degrees(&self) -> usize {
        self.degrees
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first generated functions of SatCLIP's analytic table, written out by hand
    /// (`Yl0_m0` … `Yl2_m2` of `spherical_harmonics_ylm.py`), at a few points.
    fn analytic_low_degree(lon: f64, lat: f64) -> [f64; 9] {
        let phi = (lon + 180.0).to_radians();
        let ct = (lat + 90.0).to_radians().cos();
        let st = (1.0 - ct * ct).sqrt();
        [
            0.886226925452758,
            0.48860251190292 * st * phi.sin(),
            1.53499006191973 * ct,
            0.48860251190292 * st * phi.cos(),
            0.18209140509868 * (3.0 - 3.0 * ct * ct) * (2.0 * phi).sin(),
            1.09254843059208 * st * phi.sin() * ct,
            2.97249547320451 * ct * ct - 0.990831824401503,
            1.09254843059208 * st * phi.cos() * ct,
            0.18209140509868 * (3.0 - 3.0 * ct * ct) * (2.0 * phi).cos(),
        ]
    }

    #[test]
    fn matches_the_analytic_table_at_low_degree() {
        for &(lon, lat) in &[
            (0.0, 0.0),
            (-73.9, 40.7),
            (151.2, -33.9),
            (179.9, 89.0),
            (-180.0, -90.0),
        ] {
            let mut got = [0.0; 9];
            evaluate(lon, lat, 3, Convention::Analytic, &mut got);
            let want = analytic_low_degree(lon, lat);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "({lon},{lat}): {g} vs {w}");
            }
        }
    }

    #[test]
    fn closed_form_is_orthonormal_on_the_sphere() {
        // Gauss–Legendre would be exact; a fine midpoint grid is enough for 1e-4.
        let degrees = 4;
        let n = feature_count(degrees);
        let mut gram = vec![0.0; n * n];
        let mut y = vec![0.0; n];
        let (nt, np) = (400, 400);
        for i in 0..nt {
            let lat = -90.0 + 180.0 * (i as f64 + 0.5) / nt as f64;
            let w = lat.to_radians().cos() * PI / nt as f64 * 2.0 * PI / np as f64;
            for j in 0..np {
                let lon = -180.0 + 360.0 * (j as f64 + 0.5) / np as f64;
                evaluate(lon, lat, degrees, Convention::ClosedForm, &mut y);
                for a in 0..n {
                    for b in 0..n {
                        gram[a * n + b] += w * y[a] * y[b];
                    }
                }
            }
        }
        for a in 0..n {
            for b in 0..n {
                let want = if a == b { 1.0 } else { 0.0 };
                assert!(
                    (gram[a * n + b] - want).abs() < 1e-3,
                    "gram[{a},{b}] = {}",
                    gram[a * n + b]
                );
            }
        }
    }
}
