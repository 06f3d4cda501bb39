//! Approximate RANGE+ (`Model::set_geo_cutoff`) against exact, on any backend: the check that
//! `tests/pruning.rs` (CPU) and `tests/gpu.rs` (wgpu) run.

use super::*;
use georange::bank::imagery::fibonacci_points;

pub fn model_on(backend: Backend, cutoff: Option<f64>) -> (Model, usize) {
    let (enc, _) = converted(&L10, StorageDtype::F32);
    let rows = 20_000;
    let locs: Vec<f32> = fibonacci_points(rows).iter().map(|v| *v as f32).collect();
    let (kd, vd) = (enc.embed_dim(), 64);
    let bank = Bank::new(locs, noise(rows * kd, 1), noise(rows * vd, 2), kd, vd, &enc.id).unwrap();
    let (device, dtype) = backend.device().expect("a device (wgpu: install mesa-vulkan-drivers)");
    let mut m = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    m.set_geo_cutoff(cutoff).unwrap();
    (m, vd)
}

/// 600 query points: a quasi-random spread, the poles, both sides of the antimeridian.
pub fn points() -> Vec<f64> {
    let mut p: Vec<f64> = noise(1200, 3)
        .chunks(2)
        .flat_map(|c| [c[0] as f64 * 180.0, (c[1] as f64).asin().to_degrees()])
        .collect();
    p[..12].copy_from_slice(&[
        0.0, 90.0, 45.0, -90.0, 179.9, 10.0, -179.9, 10.0, 180.0, -45.0, -180.0, 60.0,
    ]);
    p
}

/// The cut-off's error against exact on `backend`, for batches of each size, over the first
/// `count` of [`points`] (the poles and the antimeridian always among them).
pub fn check_pruning(backend: Backend, batches: &[usize], count: usize) {
    let pts = &points()[..2 * count.clamp(6, 600)];
    let (exact, vd) = model_on(backend, None);
    for beta in [0.0, 0.5] {
        let v = Variant::RangePlus { beta };
        let want = exact.embed(pts, v, 256, &mut |_| {}).unwrap();
        let width = exact.dim(v);
        // Measured on this bank: 1.4e-4 at 40°; from 60° on, f32 rounding (the tiles differ).
        for (deg, tol) in [(40.0, 5e-4), (60.0, 1e-5), (180.0, 1e-5)] {
            let (approx, _) = model_on(backend, Some(deg));
            for &batch in batches {
                let got = approx.embed(pts, v, batch, &mut |_| {}).unwrap();
                let err = worst(&got, &want, width, vd);
                eprintln!("{backend:?}, β = {beta}, cut-off {deg}°, batch {batch}: worst relative error {err:.2e}");
                assert!(
                    err <= tol,
                    "{backend:?}, β = {beta}, cut-off {deg}°, batch {batch}: relative error {err:.2e} > {tol:.0e}"
                );
                // The encoder part is untouched.
                assert!(
                    got.chunks(width)
                        .zip(want.chunks(width))
                        .all(|(x, y)| x[vd..] == y[vd..])
                );
            }
        }
    }
}
