//! A bank matrix kept in the precision its file stored: f32, or int8 codes with one f32 scale
//! per row. On the CPU the bank stays in this form (a 100k × 1280 int8 bank takes 128 MB
//! instead of 512 MB): [`crate::fused`] computes from the codes directly, and the batched path
//! dequantises one tile at a time for burn's matmuls ([`Rows::tile`]).

use crate::format::{StorageDtype, quantize_row};

/// `rows × cols`, row-major, in f32 or int8.
#[derive(Clone, Debug)]
pub enum Rows {
    F32 {
        data: Vec<f32>,
        cols: usize,
    },
    /// Row `r` is `codes[r·cols ..][..cols] · scales[r]`.
    Int8 {
        codes: Vec<i8>,
        scales: Vec<f32>,
        cols: usize,
    },
}

impl Rows {
    /// The rows of `data` (`cols` wide) listed in `order`, in `precision`. An int8 bank that was
    /// read from a file (and dequantised) quantises back to the file's own codes: each row's
    /// largest value is exactly its scale times ±127, so the codes are the same and the scale
    /// is the same to within one unit in the last place (tested below). f16 is kept as f32.
    pub fn new(data: &[f32], cols: usize, precision: StorageDtype, order: &[usize]) -> Self {
        let row = |r: usize| &data[r * cols..(r + 1) * cols];
        match precision {
            StorageDtype::Int8 => {
                // Row by row: no f32 copy of the whole matrix on the way (4× the codes).
                let mut codes = Vec::with_capacity(order.len() * cols);
                let scales = order.iter().map(|&r| quantize_row(row(r), &mut codes)).collect();
                Rows::Int8 { codes, scales, cols }
            }
            StorageDtype::F32 | StorageDtype::F16 => Rows::F32 {
                data: order.iter().flat_map(|&r| row(r).iter().copied()).collect(),
                cols,
            },
        }
    }

    /// Width of a row.
    pub fn cols(&self) -> usize {
        match self {
            Rows::F32 { cols, .. } | Rows::Int8 { cols, .. } => *cols,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match self {
            Rows::F32 { data, .. } => data.len() * 4,
            Rows::Int8 { codes, scales, .. } => codes.len() + scales.len() * 4,
        }
    }

    /// Rows `start .. start + len` in f32, row-major.
    pub fn tile(&self, start: usize, len: usize) -> Vec<f32> {
        match self {
            Rows::F32 { data, cols } => data[start * cols..(start + len) * cols].to_vec(),
            Rows::Int8 { codes, scales, cols } => {
                let mut out = vec![0f32; len * cols];
                let rows = codes[start * cols..(start + len) * cols].chunks_exact(*cols);
                for ((o, row), &s) in out.chunks_exact_mut(*cols).zip(rows).zip(&scales[start..start + len]) {
                    o.iter_mut().zip(row).for_each(|(o, &c)| *o = c as f32 * s);
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{dequantize_rows, quantize_rows};

    fn sample(rows: usize, cols: usize) -> Vec<f32> {
        let mut x = 0x2545_f491_u32;
        (0..rows * cols)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32 - 0.5) * 3.0
            })
            .collect()
    }

    #[test]
    fn an_int8_file_quantises_back_to_its_own_codes() {
        let (rows, cols) = (500, 37);
        let (codes, scales) = quantize_rows(&sample(rows, cols), cols);
        let read = dequantize_rows(&codes, &scales, cols);
        let order: Vec<usize> = (0..rows).collect();
        let Rows::Int8 {
            codes: again,
            scales: s2,
            ..
        } = Rows::new(&read, cols, StorageDtype::Int8, &order)
        else {
            panic!("int8 rows expected");
        };
        assert_eq!(again, codes);
        for (a, b) in scales.iter().zip(&s2) {
            assert!((a - b).abs() <= a.abs() * f32::EPSILON, "{a} vs {b}");
        }
    }

    #[test]
    fn tiles_follow_the_order_and_dequantise() {
        let cols = 4;
        let data = sample(6, cols);
        let order = [5, 0, 3, 1, 2, 4];
        let f = Rows::new(&data, cols, StorageDtype::F32, &order);
        assert_eq!(f.tile(1, 2), [&data[0..4], &data[12..16]].concat());
        let q = Rows::new(&data, cols, StorageDtype::Int8, &order);
        for (a, b) in q.tile(0, 6).iter().zip(f.tile(0, 6)) {
            assert!((a - b).abs() <= 1.5 / 127.0 * 0.5 + 1e-6, "{a} vs {b}");
        }
        assert_eq!(q.bytes(), 6 * cols + 6 * 4);
    }
}
