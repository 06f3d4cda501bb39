//! The little dense linear algebra the probes need: Gram matrices and a Cholesky solve, made
//! in f32 and refined to f64's precision (ridge), and a limited-memory BFGS minimiser in f64
//! (logistic regression).

use std::ops::{Add, AddAssign, Div, Mul, Sub};

/// The float types the Gram matrix and its factor are made in: f64, or f32 (twice the SIMD
/// lanes) where refinement in f64 restores the precision ([`solve_normal`]).
pub trait Real:
    Copy
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
{
    fn f64(self) -> f64;
    fn sqrt(self) -> Self;
}

impl Real for f64 {
    fn f64(self) -> f64 {
        self
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

impl Real for f32 {
    fn f64(self) -> f64 {
        self as f64
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

/// `a · b` with eight independent sums, so that it vectorises.
#[inline]
pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::default(); 8];
    let whole = a.len().min(b.len()) / 8 * 8;
    for (x, y) in a[..whole].chunks_exact(8).zip(b[..whole].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum = T::default();
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        sum += *x * *y;
    }
    acc.iter().fold(sum, |s, v| s + *v)
}

/// `MᵀM` for `m` (`rows × cols`): `cols × cols`. Each group of four rows adds its outer
/// products to the upper triangle (half the work; one load and store of the triangle for four
/// rows' multiply-adds), mirrored at the end.
pub fn gram<T: Real>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    let d = cols;
    let mut g = vec![T::default(); d * d];
    let mut quads = m[..rows * d].chunks_exact(4 * d);
    for q in &mut quads {
        let (r0, rest) = q.split_at(d);
        let (r1, rest) = rest.split_at(d);
        let (r2, r3) = rest.split_at(d);
        for i in 0..d {
            let (a, b, c, e) = (r0[i], r1[i], r2[i], r3[i]);
            let out = &mut g[i * d + i..(i + 1) * d];
            let lanes = out.iter_mut().zip(&r0[i..]).zip(&r1[i..]).zip(&r2[i..]).zip(&r3[i..]);
            for ((((o, x0), x1), x2), x3) in lanes {
                *o += a * *x0 + b * *x1 + c * *x2 + e * *x3;
            }
        }
    }
    for row in quads.remainder().chunks_exact(d) {
        for i in 0..d {
            let v = row[i];
            g[i * d + i..(i + 1) * d]
                .iter_mut()
                .zip(&row[i..])
                .for_each(|(o, x)| *o += v * *x);
        }
    }
    for i in 0..d {
        for j in 0..i {
            g[i * d + j] = g[j * d + i];
        }
    }
    g
}

/// The Cholesky factor `L` (`A = L·Lᵀ`, in the lower triangle) of symmetric `a` (`n × n`);
/// `None` if it is not positive definite.
pub fn cholesky<T: Real>(mut a: Vec<T>, n: usize) -> Option<Vec<T>> {
    // Row by row: each entry a dot product of two rows' first j entries.
    for j in 0..n {
        let (done, rest) = a.split_at_mut(j * n);
        let row_j = &mut rest[..n];
        for k in 0..j {
            let lk = &done[k * n..k * n + k + 1];
            row_j[k] = (row_j[k] - dot(&row_j[..k], &lk[..k])) / lk[k];
        }
        let d = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if !(d.f64() > 0.0 && d.f64().is_finite()) {
            return None;
        }
        row_j[j] = d.sqrt();
    }
    Some(a)
}

/// Solves `L·Lᵀ x = b` in f64 for a factor `l` of [`cholesky`].
pub fn solve_factored<T: Real>(l: &[T], mut b: Vec<f64>, n: usize) -> Vec<f64> {
    for i in 0..n {
        let s: f64 = l[i * n..i * n + i].iter().zip(&b[..i]).map(|(a, x)| a.f64() * x).sum();
        b[i] = (b[i] - s) / l[i * n + i].f64();
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i].f64() * b[k]).sum();
        b[i] = (b[i] - s) / l[i * n + i].f64();
    }
    b
}

/// Solves `A x = b` for symmetric positive-definite `a` (`n × n`); `None` if it is not.
#[cfg(test)]
fn cholesky_solve(a: Vec<f64>, b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    Some(solve_factored(&cholesky(a, n)?, b, n))
}

/// Solves `(MᵀM + αI) z = rhs` for `m` (`rows × cols`, f64): the Gram matrix and its Cholesky
/// factor in f32 (half the time of f64: twice the SIMD lanes), then iterative refinement, each
/// residual in f64 from `m` itself (two matrix–vector products), to f64's precision; where the
/// f32 factor fails or does not converge (a system too ill-conditioned for f32), all in f64.
/// `None` if even that is not positive definite.
pub fn solve_normal(m: &[f64], rows: usize, cols: usize, rhs: &[f64], alpha: f64) -> Option<Vec<f64>> {
    let factor32 = || {
        let m32: Vec<f32> = m.iter().map(|&v| v as f32).collect();
        let mut g = gram(&m32, rows, cols);
        (0..cols).for_each(|j| g[j * cols + j] += alpha as f32);
        cholesky(g, cols)
    };
    if let Some(z) = factor32().and_then(|l| refine(m, (rows, cols), rhs, alpha, &l)) {
        return Some(z);
    }
    let mut g = gram(m, rows, cols);
    (0..cols).for_each(|j| g[j * cols + j] += alpha);
    refine(m, (rows, cols), rhs, alpha, &cholesky(g, cols)?)
}

/// Iterative refinement of `(MᵀM + αI) z = rhs` with the factor `l` of an approximation of it:
/// `None` if the corrections stop shrinking before they are below f64's resolution of `z`.
fn refine<T: Real>(m: &[f64], (rows, cols): (usize, usize), rhs: &[f64], alpha: f64, l: &[T]) -> Option<Vec<f64>> {
    let mut z = solve_factored(l, rhs.to_vec(), cols);
    let mut last = f64::INFINITY;
    for _ in 0..40 {
        // r = rhs − (Mᵀ(M z) + α z)
        let mut r: Vec<f64> = rhs.iter().zip(&z).map(|(b, v)| b - alpha * v).collect();
        for row in m[..rows * cols].chunks_exact(cols) {
            let u = dot(row, &z);
            r.iter_mut().zip(row).for_each(|(ri, a)| *ri -= u * a);
        }
        let dz = solve_factored(l, r, cols);
        let step = dz.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        z.iter_mut().zip(&dz).for_each(|(v, d)| *v += d);
        let size = z.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if step <= 1e-14 * size || step == 0.0 {
            return Some(z);
        }
        if step.is_nan() || step >= 0.5 * last {
            // Stopped shrinking: converged as far as rounding allows, or not converging.
            return (step <= 1e-11 * size).then_some(z);
        }
        last = step;
    }
    None
}

/// Minimises `f` (which returns the value and writes the gradient) from `x` by L-BFGS with a
/// backtracking (Armijo) line search, until the gradient's largest |component| is below
/// `gtol` or `max_iter` steps; returns the steps taken.
pub fn lbfgs(x: &mut [f64], mut f: impl FnMut(&[f64], &mut [f64]) -> f64, gtol: f64, max_iter: usize) -> usize {
    const MEMORY: usize = 10;
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut fx = f(x, &mut g);
    let (mut s_hist, mut y_hist, mut rho): (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) = (vec![], vec![], vec![]);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    for it in 0..max_iter {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < gtol {
            return it;
        }
        // Two-loop recursion: d = −H g.
        let mut q = g.clone();
        let mut alphas = vec![0.0; s_hist.len()];
        for k in (0..s_hist.len()).rev() {
            alphas[k] = rho[k] * dot(&s_hist[k], &q);
            q.iter_mut().zip(&y_hist[k]).for_each(|(qi, yi)| *qi -= alphas[k] * yi);
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for k in 0..s_hist.len() {
            let beta = rho[k] * dot(&y_hist[k], &q);
            q.iter_mut()
                .zip(&s_hist[k])
                .for_each(|(qi, si)| *qi += (alphas[k] - beta) * si);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction: start again from steepest descent.
            d = g.iter().map(|v| -v).collect();
            slope = dot(&g, &d);
            s_hist.clear();
            y_hist.clear();
            rho.clear();
        }
        let mut step = if s_hist.is_empty() {
            1.0 / g.iter().map(|v| v.abs()).fold(1.0, f64::max)
        } else {
            1.0
        };
        let mut g_new = vec![0.0; n];
        let mut x_new = vec![0.0; n];
        let mut f_new = f64::INFINITY;
        for _ in 0..40 {
            x_new
                .iter_mut()
                .zip(x.iter().zip(&d))
                .for_each(|(xn, (xi, di))| *xn = xi + step * di);
            f_new = f(&x_new, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope {
                break;
            }
            step *= 0.5;
        }
        // No step along this direction lowers f beyond rounding: as near the minimum as f64 gets.
        if f_new.is_nan() || f_new >= fx {
            return it;
        }
        let s: Vec<f64> = x_new.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let stalled = fx - f_new <= 1e-15 * fx.abs().max(1.0);
        fx = f_new;
        if stalled {
            return it + 1;
        }
        if sy > 1e-12 * dot(&y, &y).max(f64::MIN_POSITIVE) {
            if s_hist.len() == MEMORY {
                s_hist.remove(0);
                y_hist.remove(0);
                rho.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
            rho.push(1.0 / sy);
        }
    }
    max_iter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = vec![4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(a, vec![2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12 && (2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
        assert!(
            cholesky_solve(vec![1.0, 2.0, 2.0, 1.0], vec![1.0, 1.0], 2).is_none(),
            "not positive definite"
        );
    }

    #[test]
    fn gram_is_the_columns_dot_products_at_any_size() {
        for (rows, cols) in [(1, 1), (13, 7), (8, 9), (5, 12)] {
            let m: Vec<f64> = (0..rows * cols).map(|i| ((i * 31 % 17) as f64) - 8.0).collect();
            let g = gram(&m, rows, cols);
            for p in 0..cols {
                for q in 0..cols {
                    let want: f64 = (0..rows).map(|r| m[r * cols + p] * m[r * cols + q]).sum();
                    assert_eq!(g[p * cols + q], want, "{rows} × {cols}: entry ({p}, {q})");
                }
            }
        }
    }

    #[test]
    fn solve_normal_reaches_f64_precision_from_an_f32_factor() {
        // M: 60 × 12, a column nearly the sum of two others (ill-conditioned for f32 alone).
        let (rows, cols) = (60, 12);
        let mut m: Vec<f64> = (0..rows * cols)
            .map(|i| ((i * 7919 % 1013) as f64 / 1013.0) - 0.5)
            .collect();
        for r in 0..rows {
            m[r * cols + 11] = m[r * cols] + m[r * cols + 1] + 1e-4 * m[r * cols + 11];
        }
        let rhs: Vec<f64> = (0..cols).map(|j| j as f64 - 5.0).collect();
        for alpha in [1e-3, 1.0] {
            let z = solve_normal(&m, rows, cols, &rhs, alpha).unwrap();
            let mut g = gram(&m, rows, cols);
            (0..cols).for_each(|j| g[j * cols + j] += alpha);
            let exact = cholesky_solve(g, rhs.clone(), cols).unwrap();
            let worst = z
                .iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                .fold(0.0, f64::max);
            assert!(worst < 1e-9, "alpha {alpha}: {worst:e} from the f64 solution");
        }
    }

    #[test]
    fn lbfgs_finds_the_rosenbrock_minimum() {
        let mut x = [-1.2, 1.0];
        lbfgs(
            &mut x,
            |x, g| {
                g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
                g[1] = 200.0 * (x[1] - x[0] * x[0]);
                (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
            },
            1e-9,
            1000,
        );
        assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6, "{x:?}");
    }
}
