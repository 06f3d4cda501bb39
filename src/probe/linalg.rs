//! The little dense linear algebra the probes need, in f64: Gram matrices and a Cholesky
//! solve (ridge), and a limited-memory BFGS minimiser (logistic regression).

/// `a · b` with four independent sums, so that it vectorises.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let whole = a.len().min(b.len()) / 4 * 4;
    for (x, y) in a[..whole].chunks_exact(4).zip(b[..whole].chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = a[whole..].iter().zip(&b[whole..]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f64>() + tail
}

/// `XᵀX` for `x` (`n × d`): `d × d`. Each row adds its outer product to the upper triangle
/// (half the work), mirrored at the end.
pub fn gram(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut g = vec![0.0; d * d];
    for row in x[..n * d].chunks_exact(d) {
        for i in 0..d {
            let v = row[i];
            g[i * d + i..(i + 1) * d]
                .iter_mut()
                .zip(&row[i..])
                .for_each(|(o, x)| *o += v * x);
        }
    }
    for i in 0..d {
        for j in 0..i {
            g[i * d + j] = g[j * d + i];
        }
    }
    g
}

/// `XXᵀ` for `x` (`n × d`): `n × n`.
pub fn gram_t(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v: f64 = x[i * d..(i + 1) * d]
                .iter()
                .zip(&x[j * d..(j + 1) * d])
                .map(|(a, b)| a * b)
                .sum();
            g[i * n + j] = v;
            g[j * n + i] = v;
        }
    }
    g
}

/// Solves `A x = b` for symmetric positive-definite `a` (`n × n`); `None` if it is not.
pub fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    // The lower triangle becomes L (A = L·Lᵀ), row by row: each entry a dot product of two
    // rows' first j entries.
    for j in 0..n {
        let (done, rest) = a.split_at_mut(j * n);
        let row_j = &mut rest[..n];
        for k in 0..j {
            let lk = &done[k * n..k * n + k + 1];
            row_j[k] = (row_j[k] - dot(&row_j[..k], &lk[..k])) / lk[k];
        }
        let d = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        row_j[j] = d.sqrt();
    }
    for i in 0..n {
        let s = dot(&a[i * n..i * n + i], &b[..i]);
        b[i] = (b[i] - s) / a[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k * n + i] * b[k]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    Some(b)
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
