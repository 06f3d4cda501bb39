//! The CPU threads the crate's own loops use (the matmuls have burn's rayon pool).

/// Threads for the CPU's own loops (1 in the browser). Asked once: on Linux the answer
/// comes from reading cgroup files, which is not worth doing for every batch.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map(|t| t.get()).unwrap_or(1))
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
    std::thread::scope(|scope| {
        for (i, part) in out.chunks_mut(chunk).enumerate() {
            let f = &f;
            scope.spawn(move || f(i * chunk / width, part));
        }
    });
}
