//! An int8 bank matrix on a GPU: burn quantised tensors holding the bank's own int8 codes and
//! row scales, which burn's matmul kernels dequantise as they read them.
//!
//! burn stores the codes four to a `u32` with one f32 scale per block of a row (each block
//! carries its row's scale, so the numbers are exactly `code · scale`, as in the file). It
//! cannot slice a quantised tensor correctly (measured on burn 0.22.1: a sliced tensor reads
//! the wrong codes), so the matrix is kept as separate tensors of [`TILE_ROWS`] rows, and the
//! streamed attention walks tiles aligned to them; any other range is dequantised first.

use burn::tensor::quantization::{QuantMode, QuantScheme, QuantStore, QuantValue, ScaleDtype};
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{Error, Result};
use crate::format::Rows;

/// Rows per tensor (and per streamed tile): 4096 × 1024 int8 values are 4 MB.
pub const TILE_ROWS: usize = 4096;

/// The int8 rows of `rows` (the file's codes for an int8 bank, else each row quantised by its
/// largest |value|) as quantised device tensors of [`TILE_ROWS`] rows.
pub fn tiles(rows: &Rows, device: &Device) -> Result<Vec<Tensor<2>>> {
    let Rows::Int8 { codes, scales, cols } = rows else {
        return Err(Error::Invalid("int8 tiles need int8 rows".into()));
    };
    let cols = *cols;
    let block = block_width(cols)?;
    let scheme = QuantScheme::default()
        .with_value(QuantValue::Q8S)
        .with_store(QuantStore::PackedU32(0))
        .with_mode(QuantMode::Symmetric)
        .per_block([1, block as u8], ScaleDtype::F32);
    let per_row = cols / block;
    Ok(codes
        .chunks(TILE_ROWS * cols)
        .zip(scales.chunks(TILE_ROWS))
        .map(|(codes, scales)| {
            let n = scales.len();
            let blocks: Vec<f32> = scales.iter().flat_map(|&s| std::iter::repeat_n(s, per_row)).collect();
            let data = TensorData::quantized(codes.to_vec(), [n, cols], scheme, &blocks, None);
            Tensor::from_data(data, device)
        })
        .collect())
}

/// The widest block (≤ 128 values, a multiple of the 4 codes in a `u32`) that divides a row.
fn block_width(cols: usize) -> Result<usize> {
    (4..=128.min(cols))
        .rev()
        .find(|b| b.is_multiple_of(4) && cols.is_multiple_of(*b))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "an int8 bank on the GPU needs rows whose width is a multiple of 4 (this one: {cols})"
            ))
        })
}

/// Rows `start .. start + len` of the matrix held as `tiles`: the quantised tile itself when
/// the range is exactly one tile, else the covered tiles dequantised (f32) and cut.
pub fn rows(tiles: &[Tensor<2>], start: usize, len: usize) -> Tensor<2> {
    let (first, last) = (start / TILE_ROWS, (start + len - 1) / TILE_ROWS);
    let whole = tiles[first].dims()[0];
    if start.is_multiple_of(TILE_ROWS) && len == whole {
        return tiles[first].clone();
    }
    let parts: Vec<Tensor<2>> = tiles[first..=last].iter().map(|t| t.clone().dequantize()).collect();
    Tensor::cat(parts, 0).narrow(0, start - first * TILE_ROWS, len)
}

/// The whole matrix in f32.
pub fn dequantized(tiles: &[Tensor<2>]) -> Tensor<2> {
    Tensor::cat(tiles.iter().map(|t| t.clone().dequantize()).collect(), 0)
}

/// Splits the run `start .. start + len` at tile boundaries, so that each whole tile inside it
/// is read as it is stored.
pub fn aligned(start: usize, len: usize) -> impl Iterator<Item = (usize, usize)> {
    let end = start + len;
    let mut at = start;
    std::iter::from_fn(move || {
        (at < end).then(|| {
            let next = ((at / TILE_ROWS + 1) * TILE_ROWS).min(end);
            let piece = (at, next - at);
            at = next;
            piece
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_divide_the_row_in_whole_u32s() {
        assert_eq!(block_width(1024).unwrap(), 128);
        assert_eq!(block_width(256).unwrap(), 128);
        assert_eq!(block_width(96).unwrap(), 96);
        assert_eq!(block_width(200).unwrap(), 100);
        assert_eq!(block_width(12).unwrap(), 12);
        assert!(block_width(6).is_err());
        assert!(block_width(3).is_err());
    }

    #[test]
    fn runs_split_at_tile_boundaries() {
        let pieces: Vec<_> = aligned(TILE_ROWS - 10, 2 * TILE_ROWS + 20).collect();
        assert_eq!(
            pieces,
            vec![
                (TILE_ROWS - 10, 10),
                (TILE_ROWS, TILE_ROWS),
                (2 * TILE_ROWS, TILE_ROWS),
                (3 * TILE_ROWS, 10)
            ]
        );
        assert_eq!(aligned(0, 5).collect::<Vec<_>>(), vec![(0, 5)]);
        assert_eq!(aligned(7, 0).count(), 0);
    }
}
