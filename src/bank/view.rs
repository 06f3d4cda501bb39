//! Views of a bank's matrices as the attention routes read them: on a device, in int8 device
//! tiles, or as host rows in the file's precision.

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::int8_tiles;
use crate::format::Rows;

/// A bank matrix as the stream reads it: a device tensor, int8 device tiles
/// ([`int8_tiles`]), or host rows (the CPU) that each tile dequantises.
#[derive(Clone, Copy)]
pub enum Matrix<'a> {
    Device(&'a Tensor<2>),
    Tiles(&'a [Tensor<2>]),
    Host(&'a Rows, &'a Device),
}

impl Matrix<'_> {
    /// Rows `start .. start + len` as an f32 tensor.
    pub fn rows(&self, start: usize, len: usize) -> Tensor<2> {
        match self {
            Matrix::Device(t) => (*t).clone().narrow(0, start, len),
            Matrix::Tiles(tiles) => int8_tiles::rows(tiles, start, len),
            Matrix::Host(rows, device) => {
                Tensor::from_data(TensorData::new(rows.tile(start, len), [len, rows.cols()]), *device)
            }
        }
    }

    /// Host rows `start .. start + len` as f32 values, row-major, and their width (`None` for
    /// a matrix on a device).
    pub(crate) fn host_rows(&self, start: usize, len: usize) -> Option<(Vec<f32>, usize)> {
        match self {
            Matrix::Host(rows, _) => Some((rows.tile(start, len), rows.cols())),
            _ => None,
        }
    }

    pub(crate) fn is_host(&self) -> bool {
        matches!(self, Matrix::Host(..))
    }

    pub(crate) fn is_tiled(&self) -> bool {
        matches!(self, Matrix::Tiles(..))
    }
}

/// Bank matrices a head may be scored against, plus the values.
pub struct BankView<'a> {
    pub keys: Matrix<'a>,
    pub xyz: Matrix<'a>,
    pub values: Matrix<'a>,
    pub rows: usize,
    /// The largest |value| in the bank (for [`bounded`]).
    pub value_bound: f32,
    /// What the stored values must be multiplied by: 1, or [`value_bound`](Self::value_bound)
    /// for an f16 bank, whose values are stored divided by it (so that a tile's sums stay far
    /// inside f16).
    pub value_scale: f32,
}

impl BankView<'_> {
    /// Whether the keys and values are f16 device tensors, whole or in tiles
    /// ([`crate::bank::GpuPrecision::F16`]).
    pub(crate) fn half(&self) -> bool {
        match self.values {
            Matrix::Device(v) => v.dtype() == DType::F16,
            Matrix::Tiles(tiles) => tiles.first().is_some_and(|t| t.dtype() == DType::F16),
            Matrix::Host(..) => false,
        }
    }

    /// An attention output over the stored values times [`value_scale`](Self::value_scale).
    pub fn with_value_scale(&self, out: Tensor<2>) -> Tensor<2> {
        if self.value_scale == 1.0 {
            out
        } else {
            out.mul_scalar(self.value_scale)
        }
    }
}

/// The bank as the CPU kernel reads it ([`crate::attention::cpu`]): rows in one (the device) order.
pub struct HostBank<'a> {
    pub keys: &'a Rows,
    pub values: &'a Rows,
    /// `rows × 3` unit vectors of the locations.
    pub xyz: &'a [f32],
}

impl HostBank<'_> {
    pub(crate) fn rows(&self) -> usize {
        self.xyz.len() / 3
    }
}
