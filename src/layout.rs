//! Row-major matrices moved about in memory: a transpose and a gather of rows. Every load
//! passes the encoder's weights or the bank's rows through them once, so they copy whole rows
//! or tiles rather than one value at a time.

/// Rows and columns of one square tile of [`transpose`]: 32 × 32 f32 is 4 KB read and 4 KB
/// written, so both sides of a tile stay in the L1 cache.
const TRANSPOSE_TILE: usize = 32;

/// The transpose of `data`, a row-major `rows × cols` matrix: `cols × rows`, row-major.
/// Tile by tile; the naive loop writes with a stride of a whole row (in the browser build it
/// measured 1.5× slower on a 1024 × 1024 matrix).
pub fn transpose<T: Copy + Default>(data: &[T], rows: usize, cols: usize) -> Vec<T> {
    transpose_map(data, rows, cols, |v| v)
}

/// [`transpose`], each element converted by `to` on its way (f32 weights into f64: one
/// copy, not a transpose and then a conversion).
pub fn transpose_map<T: Copy, U: Copy + Default>(data: &[T], rows: usize, cols: usize, to: impl Fn(T) -> U) -> Vec<U> {
    debug_assert_eq!(data.len(), rows * cols);
    let mut out = vec![U::default(); rows * cols];
    for r0 in (0..rows).step_by(TRANSPOSE_TILE) {
        for c0 in (0..cols).step_by(TRANSPOSE_TILE) {
            for r in r0..(r0 + TRANSPOSE_TILE).min(rows) {
                for c in c0..(c0 + TRANSPOSE_TILE).min(cols) {
                    out[c * rows + r] = to(data[r * cols + c]);
                }
            }
        }
    }
    out
}

/// The rows of `data` (`cols` wide, row-major) listed in `order`, one after another.
pub fn gather_rows<T: Copy>(data: &[T], cols: usize, order: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(order.len() * cols);
    for &r in order {
        out.extend_from_slice(&data[r * cols..(r + 1) * cols]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_moves_each_element_across_tile_edges() {
        for (rows, cols) in [(1, 1), (3, 70), (33, 31), (64, 96), (100, 1)] {
            let data: Vec<u32> = (0..(rows * cols) as u32).collect();
            let t = transpose(&data, rows, cols);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(t[c * rows + r], data[r * cols + c], "{rows}×{cols} at ({r}, {c})");
                }
            }
            assert_eq!(transpose(&t, cols, rows), data);
        }
    }

    #[test]
    fn gather_rows_keeps_the_order_given() {
        let data: Vec<i8> = (0..12).collect();
        assert_eq!(gather_rows(&data, 3, &[3, 0, 3]), vec![9, 10, 11, 0, 1, 2, 9, 10, 11]);
        assert!(gather_rows(&data, 3, &[]).is_empty());
    }
}
