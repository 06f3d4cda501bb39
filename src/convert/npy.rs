//! Reading 2-D float arrays from `.npy`/`.npz` files (f32 or f64, C or Fortran order) and
//! writing f32 `.npy` results.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use npyz::{NpyFile, Order, WriterBuilder};

use crate::error::{Error, Result};
use crate::layout::transpose;

/// A row-major f32 matrix read from a file.
pub struct NpyMatrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

/// An open `.npz` archive: a zip of `.npy` files, stored or deflated (`np.savez`,
/// `np.savez_compressed`).
pub struct Npz {
    what: String,
    archive: zip::ZipArchive<BufReader<File>>,
}

impl Npz {
    /// Opens `path` as a NumPy archive.
    pub fn open(path: &Path) -> Result<Self> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| Error::format(&what, format!("not a NumPy .npz archive ({e})")))?;
        Ok(Self { what, archive })
    }

    /// Reads array `name` as a 2-D matrix.
    pub fn matrix(&mut self, name: &str) -> Result<NpyMatrix> {
        let what = format!("{}: array {name:?}", self.what);
        let entry_name = format!("{name}.npy");
        let Some(index) = self.archive.index_for_name(&entry_name) else {
            return Err(Error::format(&self.what, format!("has no array {name:?}")));
        };
        let entry = self.archive.by_index(index).map_err(|e| Error::format(&what, e))?;
        let npy = NpyFile::new(checked_preamble(entry, &what)?)
            .map_err(|e| Error::format(&what, format!("not a .npy array ({e})")))?;
        read_matrix(npy, &what)
    }
}

/// The longest `.npy` header we accept: NumPy's own default limit (`max_header_size`).
/// NumPy writes about a hundred bytes; the length field allows 4 GiB, which a reader would
/// allocate before reading a byte of it.
const MAX_HEADER: usize = 10_000;

/// The deepest bracket nesting we let the header parser see. A 2-D float array's header
/// nests two deep (`{… 'shape': (r, c)}`); the parser (py_literal) backtracks exponentially
/// on deep nesting: 200 bytes of `[[[[…` took minutes.
const MAX_HEADER_DEPTH: usize = 4;

/// Reads and checks the `.npy` preamble (magic, version, header length) before the NumPy
/// reader sees it, so a hostile length field cannot make it allocate gigabytes. Returns a
/// reader that replays the preamble and then continues with `r`.
fn checked_preamble<R: Read>(mut r: R, what: &str) -> Result<impl Read> {
    let mut pre = [0u8; 12];
    let short = |_| Error::format(what, "too short to be a .npy file");
    r.read_exact(&mut pre[..10]).map_err(short)?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err(Error::format(what, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let (len, used) = match pre[6] {
        1 => (u16::from_le_bytes([pre[8], pre[9]]) as usize, 10),
        2 | 3 => {
            r.read_exact(&mut pre[10..12]).map_err(short)?;
            (u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize, 12)
        }
        v => return Err(Error::format(what, format!(".npy format version {v} is not supported"))),
    };
    if len > MAX_HEADER {
        return Err(Error::format(
            what,
            format!(".npy header claims {len} bytes (at most {MAX_HEADER} accepted)"),
        ));
    }
    let mut head = pre[..used].to_vec();
    head.resize(used + len, 0);
    r.read_exact(&mut head[used..]).map_err(short)?;
    let mut depth = 0usize;
    for b in &head[used..] {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_HEADER_DEPTH {
            return Err(Error::format(
                what,
                format!(".npy header nests brackets deeper than {MAX_HEADER_DEPTH}: not a plain array"),
            ));
        }
    }
    Ok(std::io::Cursor::new(head).chain(r))
}

/// Reads a 2-D f32/f64 `.npy` file.
pub fn read_npy(path: &Path) -> Result<NpyMatrix> {
    let what = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let npy = NpyFile::new(checked_preamble(BufReader::new(file), &what)?)
        .map_err(|e| Error::format(&what, format!("not a .npy file ({e})")))?;
    read_matrix(npy, &what)
}

fn read_matrix<R: Read>(npy: NpyFile<R>, what: &str) -> Result<NpyMatrix> {
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
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(Error::format(what, "data length does not match its shape"));
    }
    let data = if fortran { transpose(&data, cols, rows) } else { data };
    Ok(NpyMatrix { rows, cols, data })
}

/// Writes a row-major `rows × cols` f32 matrix as `.npy` (through
/// [`write_file`](crate::error::write_file): never half-written).
pub fn write_npy(path: &Path, data: &[f32], rows: usize, cols: usize) -> Result<()> {
    let mut bytes = Vec::with_capacity(128 + data.len() * 4);
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(std::io::Cursor::new(&mut bytes))
        .begin_nd()
        .map_err(|e| Error::io(path, e))?;
    w.extend(data.iter().copied()).map_err(|e| Error::io(path, e))?;
    w.finish().map_err(|e| Error::io(path, e))?;
    crate::error::write_file(path, &bytes)
}
