//! A bank matrix kept in the precision its file stored: f32, or int8 codes with one f32 scale
//! per row. On the CPU the bank stays in this form (a 100k × 1280 int8 bank takes 128 MB
//! instead of 512 MB): the CPU attention kernel ([`crate::attention::cpu`]) computes from the codes directly, and the batched path
//! dequantises one tile at a time for burn's matmuls ([`Rows::tile`]).

use super::{Int8Span, StorageDtype, quantize_row, quantize_rows};
use crate::layout::gather_rows;

/// `rows × cols`, row-major, in f32 or int8. The default holds nothing.
#[derive(Clone, Debug, PartialEq)]
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

/// `Σ c²` over int8 codes, exactly: in i32 over runs short enough not to overflow (2¹⁶ codes
/// of at most 128² each stay below 2³¹), which vectorises, then in i64. The same value as the
/// sum in f64, which is exact for such integers.
fn squares(codes: &[i8]) -> i64 {
    codes
        .chunks(1 << 16)
        .map(|run| i64::from(run.iter().map(|&c| i32::from(c) * i32::from(c)).sum::<i32>()))
        .sum()
}

impl Default for Rows {
    fn default() -> Self {
        Rows::F32 {
            data: Vec::new(),
            cols: 0,
        }
    }
}

impl Rows {
    /// The rows of `data` (`cols` wide) listed in `order`, in `precision` (int8: each row
    /// quantised by its largest |value|; f16 is kept as f32).
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
                data: gather_rows(data, cols, order),
                cols,
            },
        }
    }

    /// int8 rows as a file stores them, kept as they are, except that a row holding the code
    /// −128 is quantised again (from its values) into the symmetric range ±127 that every
    /// reader of int8 rows here assumes. `codes.len()` must be `scales.len() · cols`.
    pub fn from_int8(mut codes: Vec<i8>, mut scales: Vec<f32>, cols: usize) -> Self {
        for (row, scale) in codes.chunks_exact_mut(cols.max(1)).zip(&mut scales) {
            if row.contains(&i8::MIN) {
                let values: Vec<f32> = row.iter().map(|&c| c as f32 * *scale).collect();
                let mut again = Vec::with_capacity(cols);
                *scale = quantize_row(&values, &mut again);
                row.copy_from_slice(&again);
            }
        }
        Rows::Int8 { codes, scales, cols }
    }

    /// [`from_int8`](Self::from_int8) for codes that lie at `span` in `bytes` (a file this
    /// process owns), taken over in place: they are moved to the front of the file's
    /// allocation, which is cut to them, so a load never holds the file and a copy of its codes
    /// at once (a browser's heap keeps its peak for good).
    pub fn from_int8_bytes(mut bytes: Vec<u8>, span: Int8Span) -> Self {
        let len = span.bytes.len();
        bytes.copy_within(span.bytes, 0);
        bytes.truncate(len);
        bytes.shrink_to_fit();
        Self::from_int8(bytemuck::allocation::cast_vec(bytes), span.scales, span.cols)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Rows::F32 { data, cols } => data.len() / cols.max(&1),
            Rows::Int8 { scales, .. } => scales.len(),
        }
    }

    /// The rows listed in `order`, in the same precision (codes and scales copied as they are).
    pub fn permuted(&self, order: &[usize]) -> Self {
        let cols = self.cols();
        match self {
            Rows::F32 { data, .. } => Rows::new(data, cols, StorageDtype::F32, order),
            Rows::Int8 { codes, scales, .. } => Rows::Int8 {
                codes: gather_rows(codes, cols, order),
                scales: order.iter().map(|&r| scales[r]).collect(),
                cols,
            },
        }
    }

    /// [`permuted`](Self::permuted) in place: the same rows, with no second copy of them.
    /// `order` must list every row once (any other order is gathered into a copy).
    pub fn into_permuted(mut self, order: &[usize]) -> Self {
        if !is_permutation(order, self.rows()) {
            return self.permuted(order);
        }
        let cols = self.cols();
        match &mut self {
            Rows::F32 { data, .. } => permute_rows(data, cols, order),
            Rows::Int8 { codes, scales, .. } => {
                permute_rows(codes, cols, order);
                permute_rows(scales, 1, order);
            }
        }
        self
    }

    /// Every row in f32, row-major.
    pub fn to_f32(&self) -> Vec<f32> {
        self.tile(0, self.rows())
    }

    /// [`to_f32`](Self::to_f32), without a copy when the rows are f32.
    pub fn into_f32(self) -> Vec<f32> {
        match self {
            Rows::F32 { data, .. } => data,
            int8 => int8.to_f32(),
        }
    }

    /// The same rows in int8: as they are, or each f32 row quantised by its largest |value|.
    pub fn into_int8(self) -> Self {
        match self {
            Rows::F32 { data, cols } => {
                let (codes, scales) = quantize_rows(&data, cols);
                Rows::Int8 { codes, scales, cols }
            }
            int8 => int8,
        }
    }

    /// The largest |value| (0 for no rows).
    pub fn max_abs(&self) -> f32 {
        match self {
            Rows::F32 { data, .. } => data.iter().fold(0f32, |m, v| m.max(v.abs())),
            Rows::Int8 { codes, scales, cols } => int8_peaks(codes, scales, *cols).fold(0f32, f32::max),
        }
    }

    /// The first row holding a value that is not finite (an int8 row: a code times its scale).
    pub fn first_non_finite_row(&self) -> Option<usize> {
        match self {
            Rows::F32 { data, cols } => data.iter().position(|v| !v.is_finite()).map(|i| i / cols.max(&1)),
            Rows::Int8 { codes, scales, cols } => int8_peaks(codes, scales, *cols).position(|p| !p.is_finite()),
        }
    }

    /// Scales every row to unit length (the norm taken in f64; an int8 row changes only its
    /// scale). Fails with the first row that is all zeros.
    pub fn normalise(&mut self) -> std::result::Result<(), usize> {
        match self {
            Rows::F32 { data, cols } => {
                for (i, row) in data.chunks_exact_mut((*cols).max(1)).enumerate() {
                    let norm = row.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>().sqrt();
                    if norm == 0.0 {
                        return Err(i);
                    }
                    row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
                }
            }
            Rows::Int8 { codes, scales, cols } => {
                for (i, (row, s)) in codes.chunks_exact((*cols).max(1)).zip(scales).enumerate() {
                    let codes_norm = (squares(row) as f64).sqrt();
                    let norm = codes_norm * (*s as f64).abs();
                    if norm == 0.0 {
                        return Err(i);
                    }
                    *s = (*s as f64 / norm) as f32;
                }
            }
        }
        Ok(())
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

/// Each int8 row's largest |value|: its largest |code| times its scale.
fn int8_peaks<'a>(codes: &'a [i8], scales: &'a [f32], cols: usize) -> impl Iterator<Item = f32> + 'a {
    codes
        .chunks_exact(cols.max(1))
        .zip(scales)
        .map(|(row, s)| row.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0) as f32 * s.abs())
}

/// Whether `order` lists each of `0..rows` exactly once.
fn is_permutation(order: &[usize], rows: usize) -> bool {
    let mut seen = vec![false; rows];
    order.len() == rows
        && order
            .iter()
            .all(|&r| r < rows && !std::mem::replace(&mut seen[r], true))
}

/// Puts row `order[i]` of `data` (rows of `cols`) at row `i`, in place: each cycle of the
/// permutation is followed once, one row held aside. `order` must be a permutation.
fn permute_rows<T: Copy>(data: &mut [T], cols: usize, order: &[usize]) {
    let mut done = vec![false; order.len()];
    let mut held = Vec::with_capacity(cols);
    for start in 0..order.len() {
        if done[start] || order[start] == start {
            continue;
        }
        held.clear();
        held.extend_from_slice(&data[start * cols..(start + 1) * cols]);
        let mut at = start;
        loop {
            done[at] = true;
            let from = order[at];
            if from == start {
                data[at * cols..(at + 1) * cols].copy_from_slice(&held);
                break;
            }
            data.copy_within(from * cols..(from + 1) * cols, at * cols);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::dequantize_rows;

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
    fn permuting_in_place_equals_the_gathered_copy() {
        let (rows, cols) = (97, 5);
        let data = sample(rows, cols);
        // A permutation with cycles of many lengths and fixed points, the identity, a
        // reversal, and orders that are not permutations (gathered instead).
        let mut mixed: Vec<usize> = (0..rows).collect();
        let mut x = 7usize;
        for i in (1..rows).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if !x.is_multiple_of(4) {
                mixed.swap(i, (x >> 33) % (i + 1));
            }
        }
        let orders = [
            mixed,
            (0..rows).collect(),
            (0..rows).rev().collect(),
            vec![3, 3, 1],
            vec![0; rows],
        ];
        for rows_of in [
            Rows::F32 {
                data: data.clone(),
                cols,
            },
            Rows::new(&data, cols, StorageDtype::Int8, &(0..rows).collect::<Vec<_>>()),
        ] {
            for order in &orders {
                assert_eq!(
                    rows_of.clone().into_permuted(order),
                    rows_of.permuted(order),
                    "{order:?}"
                );
            }
        }
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

    #[test]
    fn int8_rows_keep_their_codes_and_normalise_by_their_scale() {
        let (rows, cols) = (40, 33);
        let data = sample(rows, cols);
        let (codes, scales) = quantize_rows(&data, cols);
        let mut r = Rows::from_int8(codes.clone(), scales.clone(), cols);
        assert_eq!(r.rows(), rows);
        assert!((r.max_abs() - data.iter().fold(0f32, |m, v| m.max(v.abs()))).abs() < 1e-6);
        r.normalise().unwrap();
        let Rows::Int8 { codes: kept, .. } = &r else {
            panic!("int8 rows expected")
        };
        assert_eq!(kept, &codes, "normalising changed the codes");
        for row in r.to_f32().chunks(cols) {
            let norm = row.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-6, "row norm {norm}");
        }
        // The f32 path gives the same unit rows to f32 rounding.
        let mut f = Rows::F32 {
            data: dequantize_rows(&codes, &scales, cols),
            cols,
        };
        f.normalise().unwrap();
        for (a, b) in r.to_f32().iter().zip(f.to_f32()) {
            assert!((a - b).abs() <= 4.0 * f32::EPSILON, "{a} vs {b}");
        }
        assert_eq!(
            r.permuted(&[3, 1]).to_f32(),
            [&r.to_f32()[3 * cols..4 * cols], &r.to_f32()[cols..2 * cols]].concat()
        );
    }

    #[test]
    fn int8_rows_refuse_what_they_cannot_hold() {
        // −128 is quantised again into ±127, the values kept to within one step.
        let r = Rows::from_int8(vec![-128, 64, 1, 127, 0, 0], vec![0.5, 2.0], 3);
        let Rows::Int8 { codes, scales, .. } = &r else {
            panic!("int8 rows expected")
        };
        assert_eq!(codes[..3], [-127, 64, 1]);
        assert_eq!(codes[3..], [127, 0, 0]);
        assert!((scales[0] - 64.0 / 127.0).abs() < 1e-7 && scales[1] == 2.0);
        // A code times its scale past f32's range is not finite; a NaN scale neither.
        let big = Rows::from_int8(vec![1, 0, 127, 0], vec![1.0, f32::MAX / 2.0], 2);
        assert_eq!(big.first_non_finite_row(), Some(1));
        assert_eq!(
            Rows::from_int8(vec![0, 0], vec![f32::NAN], 2).first_non_finite_row(),
            Some(0)
        );
        // An all-zero row (codes or scale) cannot be normalised.
        assert_eq!(Rows::from_int8(vec![1, 2, 3, 4], vec![1.0, 0.0], 2).normalise(), Err(1));
        assert_eq!(Rows::from_int8(vec![1, 2, 0, 0], vec![1.0, 1.0], 2).normalise(), Err(1));
    }
}
