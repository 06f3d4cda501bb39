//! Storage precisions and the int8 per-row quantisation.

use crate::error::{Error, Result};

/// How the large tensors of a file are stored. Biases, scales and coordinates are always f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageDtype {
    F32,
    F16,
    /// Symmetric int8 with one f32 scale per row (first dimension): `x ≈ q · scale`.
    Int8,
}

impl StorageDtype {
    /// Parses `f32`, `f16` or `int8`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "f32" => Ok(StorageDtype::F32),
            "f16" => Ok(StorageDtype::F16),
            "int8" => Ok(StorageDtype::Int8),
            other => Err(Error::Invalid(format!(
                "unknown dtype {other:?} (expected f32, f16 or int8)"
            ))),
        }
    }

    /// The name used on the command line and in file metadata.
    pub fn name(self) -> &'static str {
        match self {
            StorageDtype::F32 => "f32",
            StorageDtype::F16 => "f16",
            StorageDtype::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for StorageDtype {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Quantises a row-major `rows × cols` matrix to int8 with one scale per row.
pub fn quantize_rows(data: &[f32], cols: usize) -> (Vec<i8>, Vec<f32>) {
    let rows = data.len().checked_div(cols).unwrap_or(0);
    let mut q = Vec::with_capacity(data.len());
    let scales = data
        .chunks(cols.max(1))
        .take(rows)
        .map(|row| quantize_row(row, &mut q))
        .collect();
    (q, scales)
}

/// Appends one row's int8 codes to `codes` and returns its scale (what [`quantize_rows`]
/// does for each row).
pub fn quantize_row(row: &[f32], codes: &mut Vec<i8>) -> f32 {
    let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = max / 127.0;
    let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
    codes.extend(row.iter().map(|v| (v * inv).round().clamp(-127.0, 127.0) as i8));
    scale
}

/// Inverse of [`quantize_rows`].
pub fn dequantize_rows(q: &[i8], scales: &[f32], cols: usize) -> Vec<f32> {
    // Row by row into a vector of the right size (a `flat_map` collects one value at a time).
    let mut out = Vec::with_capacity(q.len());
    for (row, &s) in q.chunks(cols.max(1)).zip(scales) {
        out.extend(row.iter().map(|&v| v as f32 * s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_round_trip_error_is_at_most_half_a_step() {
        let data: Vec<f32> = (0..600).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013).collect();
        let (q, s) = quantize_rows(&data, 60);
        let back = dequantize_rows(&q, &s, 60);
        for (r, (a, b)) in data.chunks(60).zip(back.chunks(60)).enumerate() {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() <= s[r] * 0.5 + 1e-7, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn zero_rows_stay_zero() {
        let (q, s) = quantize_rows(&[0.0; 8], 4);
        assert_eq!(dequantize_rows(&q, &s, 4), vec![0.0; 8]);
    }
}
