//! The CPU threads the crate's own loops use (the matmuls have burn's rayon pool): one helper
//! that runs parts of a job on scoped threads, and one that splits an output by rows.

use crate::error::{Error, Result};

/// Threads for the CPU's own loops (1 in the browser): the cores this process may use, or
/// fewer within [`with_threads`]. The cores are asked once: on Linux the answer comes from
/// reading cgroup files, which is not worth doing for every batch.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *THREADS.get_or_init(|| std::thread::available_parallelism().map(|t| t.get()).unwrap_or(1));
    LIMIT.with(|limit| limit.get()).map_or(cores, |l| l.clamp(1, cores))
}

thread_local! {
    /// The bound [`with_threads`] sets on the calling thread.
    static LIMIT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with this crate's own loops bounded to `limit` threads on the calling thread (the
/// matmuls use the rayon pool `f` runs in). For callers that share the machine: the Python
/// binding's `threads=`.
pub fn with_threads<R>(limit: usize, f: impl FnOnce() -> R) -> R {
    let before = LIMIT.with(|l| l.replace(Some(limit.max(1))));
    let out = f();
    LIMIT.with(|l| l.set(before));
    out
}

/// Calls `f(first_row, rows)` on consecutive parts of `out`, `width` values per row, each
/// part on its own thread when there are enough rows to be worth one (`min_rows` each).
pub fn for_rows<T: Send>(out: &mut [T], width: usize, min_rows: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let rows = out.len() / width.max(1);
    let parts = threads().min(rows / min_rows.max(1)).max(1);
    if parts == 1 {
        return f(0, out);
    }
    let chunk = rows.div_ceil(parts) * width;
    let parts: Vec<(usize, &mut [T])> = out
        .chunks_mut(chunk)
        .enumerate()
        .map(|(i, p)| (i * chunk / width, p))
        .collect();
    // A panic in `f` is a bug in this crate's own loops, not a caller's input: pass it on.
    if let Err(e) = map_parts(parts, "row-splitting", |(first, part)| f(first, part)) {
        panic!("{e}");
    }
}

/// `f` on each of `parts`, each on a thread of its own, results in order. A single part runs
/// on the calling thread (so the browser, which has one, never spawns). A part whose thread
/// panics makes this an error about `what`.
pub fn map_parts<T: Send, R: Send>(parts: Vec<T>, what: &str, f: impl Fn(T) -> R + Sync) -> Result<Vec<R>> {
    if parts.len() <= 1 {
        return Ok(parts.into_iter().map(f).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.into_iter().map(|part| scope.spawn(move || f(part))).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| Error::Backend(format!("a {what} thread failed"))))
            .collect()
    })
}

/// [`map_parts`] where each part's result is a list: the lists joined, in order.
pub fn flat_map_parts<T: Send, R: Send>(parts: Vec<T>, what: &str, f: impl Fn(T) -> Vec<R> + Sync) -> Result<Vec<R>> {
    Ok(map_parts(parts, what, f)?.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_threads_bounds_the_loops_and_restores_the_bound() {
        let cores = threads();
        assert_eq!(with_threads(1, threads), 1);
        assert_eq!(with_threads(cores + 5, threads), cores);
        assert_eq!(with_threads(1, || with_threads(cores, threads)), cores);
        assert_eq!(threads(), cores);
    }

    #[test]
    fn parts_come_back_in_order_and_a_panic_is_an_error() {
        let got = map_parts((0..5).collect(), "test", |i: usize| i * 10).unwrap();
        assert_eq!(got, vec![0, 10, 20, 30, 40]);
        let joined = flat_map_parts(vec![vec![1, 2], vec![3]], "test", |v: Vec<u8>| v).unwrap();
        assert_eq!(joined, vec![1, 2, 3]);
        let e = map_parts(vec![0, 1], "test", |i: usize| if i == 1 { panic!("boom") } else { i }).unwrap_err();
        assert_eq!(e.code(), "backend");
    }
}
