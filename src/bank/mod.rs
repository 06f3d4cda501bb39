//! The retrieval bank: N rows of (location, key, value). Keys are L2-normalised when the
//! bank is built; values may have any width.
//!
//! - this file: [`Bank`] on the host, read from and written to our bank file, and cut into
//!   shards for the browser's CPU workers;
//! - [`device`]: [`DeviceBank`], the bank on its device, and [`GpuPrecision`];
//! - [`int8_tiles`]: int8 rows on a GPU, as burn's quantised tensors in tiles;
//! - [`similar`]: how alike each row is to a query ("places like this");
//! - [`spatial`]: rows in spatial order, and the rows near a group of queries;
//! - [`view`]: the bank's matrices as the attention routes read them;
//! - [`imagery`]: a bank's values made from an Earth image (the demo's bank).
//!
//! Host rows in the file's precision are [`crate::format::Rows`].

pub mod device;
pub mod imagery;
pub mod int8_tiles;
pub mod similar;
pub mod spatial;
pub mod view;

pub use device::{DeviceBank, GpuPrecision, Matrices};
pub use view::{BankView, HostBank, Matrix};

use crate::error::{Error, Result};
use crate::format::{BANK_FORMAT, Cut, FileReader, FileWriter, Rows, Seal, StorageDtype, finite_rows};

/// A bank on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Bank {
    /// `rows × 2`: longitude, latitude in degrees.
    pub locs: Vec<f32>,
    /// `rows × key_dim`, unit rows, in the precision the file stored them (int8 codes and row
    /// scales as they are; f16 as f32).
    pub keys: Rows,
    /// `rows × value_dim`, likewise.
    pub values: Rows,
    pub key_dim: usize,
    pub value_dim: usize,
    /// [`crate::Encoder::id`] of the encoder whose space the keys live in.
    pub encoder_id: String,
    /// The precision the keys and values were stored in (f32 for a bank built in memory):
    /// on the CPU the bank stays in it ([`DeviceBank`]).
    pub precision: StorageDtype,
}

impl Bank {
    /// Builds a bank, normalising the keys and checking every value.
    pub fn new(
        locs: Vec<f32>,
        keys: Vec<f32>,
        values: Vec<f32>,
        key_dim: usize,
        value_dim: usize,
        encoder_id: &str,
    ) -> Result<Self> {
        let rows = locs.len() / 2;
        if key_dim == 0
            || value_dim == 0
            || keys.len() != rows * key_dim
            || values.len() != rows * value_dim
            || locs.len() != rows * 2
        {
            return Err(Error::Mismatch(format!(
                "bank parts disagree: {} locations, {} key values (width {key_dim}), {} values (width {value_dim})",
                locs.len() / 2,
                keys.len(),
                values.len()
            )));
        }
        let keys = Rows::F32 {
            data: keys,
            cols: key_dim,
        };
        let values = Rows::F32 {
            data: values,
            cols: value_dim,
        };
        Self::from_rows(locs, keys, values, encoder_id, StorageDtype::F32)
    }

    /// [`new`](Self::new) from rows kept in the precision `precision` they were stored in.
    fn from_rows(
        locs: Vec<f32>,
        mut keys: Rows,
        values: Rows,
        encoder_id: &str,
        precision: StorageDtype,
    ) -> Result<Self> {
        let rows = locs.len() / 2;
        if rows == 0 {
            return Err(Error::Invalid("a bank needs at least one row".into()));
        }
        if keys.rows() != rows || values.rows() != rows {
            return Err(Error::Mismatch(format!(
                "bank parts disagree: {} locations, {} key rows, {} value rows",
                locs.len() / 2,
                keys.rows(),
                values.rows()
            )));
        }
        if let Some(i) = locs.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(
                "bank",
                format!("locations: row {} holds a non-finite value", i / 2),
            ));
        }
        for (name, data) in [("keys", &keys), ("values", &values)] {
            if let Some(r) = data.first_non_finite_row() {
                return Err(Error::format(
                    "bank",
                    format!("{name}: row {r} holds a non-finite value"),
                ));
            }
        }
        for (i, ll) in locs.chunks_exact(2).enumerate() {
            if !(-90.0..=90.0).contains(&ll[1]) {
                return Err(Error::format(
                    "bank",
                    format!("location row {i}: latitude {} outside [-90, 90]", ll[1]),
                ));
            }
        }
        keys.normalise()
            .map_err(|i| Error::format("bank", format!("key row {i} is all zeros and cannot be normalised")))?;
        Ok(Self {
            locs,
            key_dim: keys.cols(),
            value_dim: values.cols(),
            keys,
            values,
            encoder_id: encoder_id.to_string(),
            precision,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.locs.len() / 2
    }

    /// Serialises to our bank file, keys and values in `dtype`, locations in f32.
    pub fn to_bytes(&self, dtype: StorageDtype) -> Result<Vec<u8>> {
        let n = self.rows();
        let mut w = FileWriter::new(BANK_FORMAT, dtype);
        w.meta("rows", n)
            .meta("key_dim", self.key_dim)
            .meta("value_dim", self.value_dim)
            .meta("encoder_id", &self.encoder_id);
        w.add_exact("locs", &[n, 2], &self.locs);
        w.add("keys", &[n, self.key_dim], &self.keys.to_f32());
        w.add("values", &[n, self.value_dim], &self.values.to_f32());
        w.to_bytes()
    }

    /// Parses our bank file (`what` names it in errors). Keys and values stay in the file's
    /// precision: an int8 file's codes are not decoded.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
        Parts::read(&r, what)?.with_values(r.rows("values")?, what)
    }

    /// Parses a shard that [`shard_files`] cut in this process (a browser worker's part of a
    /// bank), checked as [`from_bytes`](Self::from_bytes) checks a file but for the content
    /// hash: a shard carries none of its own, its whole file having been verified as it was cut.
    pub fn from_shard(bytes: &[u8], what: &str) -> Result<Self> {
        let r = FileReader::parse_shard(bytes, what, BANK_FORMAT)?;
        Parts::read(&r, what)?.with_values(r.rows("values")?, what)
    }

    /// [`from_bytes`](Self::from_bytes), taking the file over: an int8 file's value codes stay
    /// where they are in its allocation ([`Rows::from_int8_bytes`]), so the load holds them
    /// once (with the 100k-row bank of 128 MB, about 100 MB less at its peak).
    pub fn from_owned_bytes(bytes: Vec<u8>, what: &str) -> Result<Self> {
        Self::owned(bytes, what, Seal::Hashed)
    }

    /// [`from_shard`](Self::from_shard), taking the shard over as
    /// [`from_owned_bytes`](Self::from_owned_bytes) takes a file.
    pub fn from_owned_shard(bytes: Vec<u8>, what: &str) -> Result<Self> {
        Self::owned(bytes, what, Seal::Shard)
    }

    fn owned(bytes: Vec<u8>, what: &str, seal: Seal) -> Result<Self> {
        let (parts, span) = {
            let r = match seal {
                Seal::Hashed => FileReader::parse(&bytes, what, BANK_FORMAT)?,
                Seal::Shard => FileReader::parse_shard(&bytes, what, BANK_FORMAT)?,
            };
            let parts = Parts::read(&r, what)?;
            match r.int8_span("values")? {
                Some(span) => (parts, span),
                None => return parts.with_values(r.rows("values")?, what),
            }
        };
        let values = finite_rows(Rows::from_int8_bytes(bytes, span), what, "values")?;
        parts.with_values(values, what)
    }
}

/// A bank file's parts but its values, checked against its metadata.
struct Parts {
    rows: usize,
    value_dim: usize,
    locs: Vec<f32>,
    keys: Rows,
    encoder_id: String,
    precision: StorageDtype,
}

impl Parts {
    fn read(r: &FileReader, what: &str) -> Result<Self> {
        let (n, kd, vd): (usize, usize, usize) = (
            r.meta_parse("rows")?,
            r.meta_parse("key_dim")?,
            r.meta_parse("value_dim")?,
        );
        let locs = r.tensor("locs", 2)?;
        if locs.shape != [n, 2] {
            return Err(Error::format(
                what,
                format!("tensor \"locs\" has shape {:?}, metadata says [{n}, 2]", locs.shape),
            ));
        }
        let keys = r.rows("keys")?;
        shape_agrees("keys", &keys, [n, kd], what)?;
        Ok(Self {
            rows: n,
            value_dim: vd,
            locs: locs.data,
            keys,
            encoder_id: r.meta_str("encoder_id")?.to_string(),
            precision: r.meta_parse("dtype")?,
        })
    }

    fn with_values(self, values: Rows, what: &str) -> Result<Bank> {
        shape_agrees("values", &values, [self.rows, self.value_dim], what)?;
        Bank::from_rows(self.locs, self.keys, values, &self.encoder_id, self.precision)
    }
}

/// An error unless the tensor `name` holds `[rows, cols]` as the metadata says.
fn shape_agrees(name: &str, t: &Rows, [n, cols]: [usize; 2], what: &str) -> Result<()> {
    if [t.rows(), t.cols()] != [n, cols] {
        return Err(Error::format(
            what,
            format!(
                "tensor {name:?} has shape {:?}, metadata says [{n}, {cols}]",
                [t.rows(), t.cols()]
            ),
        ));
    }
    Ok(())
}

/// The bytes of a bank file holding rows `start..end` of the bank file `bytes`, in the same
/// precision, codes copied as stored (so such a part computes exactly what those rows of the
/// whole bank do), with a content hash of its own.
pub fn slice_file(bytes: &[u8], what: &str, start: usize, end: usize) -> Result<Vec<u8>> {
    let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
    Ok(r.cut_rows((r.meta_parse("rows")?, start, end), Seal::Hashed)?
        .file_from(bytes))
}

/// The bank file `bytes` cut into at most `parts` shards of contiguous rows, each with its
/// first row: what the browser gives each of its CPU workers ([`crate::Model`]'s shards).
/// Cut as [`slice_file`] cuts, but the file is verified once, here, and the shards are
/// [`Seal::Shard`]s, read back with [`Bank::from_shard`]: no shard is hashed, on either side.
/// As [`Cut`]s of `bytes`: the browser puts them together from its own copy of the file.
pub fn shard_cuts(bytes: &[u8], what: &str, parts: usize) -> Result<Vec<(usize, Cut)>> {
    let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
    let rows = r.meta_parse("rows")?;
    shard_ranges(rows, parts)
        .into_iter()
        .map(|(a, z)| Ok((a, r.cut_rows((rows, a, z), Seal::Shard)?)))
        .collect()
}

/// [`shard_cuts`], each written out as a file.
pub fn shard_files(bytes: &[u8], what: &str, parts: usize) -> Result<Vec<(usize, Vec<u8>)>> {
    let cuts = shard_cuts(bytes, what, parts)?;
    Ok(cuts.into_iter().map(|(a, c)| (a, c.file_from(bytes))).collect())
}

/// `0..rows` in `parts` contiguous ranges as equal as can be (none empty: at most `rows`).
pub fn shard_ranges(rows: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.clamp(1, rows.max(1));
    (0..parts).map(|p| (p * rows / parts, (p + 1) * rows / parts)).collect()
}
