//! Reading 2-D float arrays from `.npy`/`.npz` files (f32 or f64, C or Fortran order) and
//! writing f32 `.npy` results.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use npyz::{NpyFile, Order, WriterBuilder, npz::NpzArchive};

use crate::error::{Error, Result};

/// A row-major f32 matrix read from a file.
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

/// An open `.npz` archive.
pub struct Npz {
    what: String,
    archive: NpzArchive<BufReader<File>>,
}

impl Npz {
    /// Opens `path` as a NumPy archive.
    pub fn open(path: &Path) -> Result<Self> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let archive = NpzArchive::new(BufReader::new(file))
            .map_err(|e| Error::format(&what, format!("not a NumPy .npz archive ({e})")))?;
        Ok(Self { what, archive })
    }

    /// Reads array `name` as a 2-D matrix.
    pub fn matrix(&mut self, name: &str) -> Result<Matrix> {
        let what = format!("{}: array {name:?}", self.what);
        let file = self
            .archive
            .by_name(name)
            .map_err(|e| Error::format(&what, e))?
            .ok_or_else(|| Error::format(&self.what, format!("has no array {name:?}")))?;
        read_matrix(file, &what)
    }
}

/// Reads a 2-D f32/f64 `.npy` file.
pub fn read_npy(path: &Path) -> Result<Matrix> {
    let what = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let npy = NpyFile::new(BufReader::new(file)).map_err(|e| Error::format(&what, format!("not a .npy file ({e})")))?;
    read_matrix(npy, &what)
}

fn read_matrix<R: Read>(npy: NpyFile<R>, what: &str) -> Result<Matrix> {
    let shape: Vec<usize> = npy.shape().iter().map(|d| *d as usize).collect();
    let (rows, cols) = match shape[..] {
        [r, c] => (r, c),
        _ => return Err(Error::format(what, format!("has shape {shape:?}, expected 2-D"))),
    };
    let fortran = npy.order() == Order::Fortran;
    let descr = npy.dtype().descr();
    let bad = |e: std::io::Error| Error::format(what, format!("truncated or unreadable data ({e})"));
    let data: Vec<f32> = match descr.as_str() {
        "'<f4'" | "'>f4'" => npy.into_vec::<f32>().map_err(bad)?,
        "'<f8'" | "'>f8'" => npy
            .into_vec::<f64>()
            .map_err(bad)?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        other => {
            return Err(Error::format(
                what,
                format!("has dtype {other}, expected float32 or float64"),
            ));
        }
    };
    if data.len() != rows * cols {
        return Err(Error::format(what, "data length does not match its shape"));
    }
    let data = if fortran { transpose(&data, cols, rows) } else { data };
    Ok(Matrix { rows, cols, data })
}

/// Transposes a row-major `rows × cols` matrix.
fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

/// Writes a row-major `rows × cols` f32 matrix as `.npy`.
pub fn write_npy(path: &Path, data: &[f32], rows: usize, cols: usize) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(BufWriter::new(file))
        .begin_nd()
        .map_err(|e| Error::io(path, e))?;
    w.extend(data.iter().copied()).map_err(|e| Error::io(path, e))?;
    w.finish().map_err(|e| Error::io(path, e))
}
