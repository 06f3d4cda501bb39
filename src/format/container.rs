//! Reading and writing one safetensors file with georange metadata and a content hash.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use safetensors::tensor::{Dtype, Metadata, SafeTensors, TensorInfo, TensorView};

use super::hash::{HashKind, content_hash};
use super::quant::{StorageDtype, dequantize_rows, quantize_rows};
use super::rows::Rows;
use super::{FORMAT_VERSION, READ_VERSIONS};
use crate::error::{Error, Result};

/// A decoded tensor: shape and row-major f32 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

struct Pending {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Builds a georange safetensors file.
pub struct FileWriter {
    format: &'static str,
    dtype: StorageDtype,
    meta: BTreeMap<String, String>,
    tensors: Vec<Pending>,
}

impl FileWriter {
    /// A writer for a file of the given format whose large tensors use `dtype`.
    pub fn new(format: &'static str, dtype: StorageDtype) -> Self {
        Self {
            format,
            dtype,
            meta: BTreeMap::new(),
            tensors: Vec::new(),
        }
    }

    /// Sets a metadata entry.
    pub fn meta(&mut self, key: &str, value: impl ToString) -> &mut Self {
        self.meta.insert(key.to_string(), value.to_string());
        self
    }

    /// Adds a tensor stored in the file's precision (f32, f16, or int8 with per-row scales in
    /// `NAME.scale`). 1-D tensors are kept in f32 whatever the precision.
    pub fn add(&mut self, name: &str, shape: &[usize], data: &[f32]) -> &mut Self {
        self.add_as(name, shape, data, self.dtype)
    }

    /// Like [`add`](Self::add) but in `dtype` rather than the file's precision (for a tensor
    /// that needs more precision than the rest).
    pub fn add_as(&mut self, name: &str, shape: &[usize], data: &[f32], dtype: StorageDtype) -> &mut Self {
        match (dtype, shape.len()) {
            (StorageDtype::F16, 2..) => {
                let bytes = data
                    .iter()
                    .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                    .collect();
                self.push(name, Dtype::F16, shape, bytes);
            }
            (StorageDtype::Int8, 2..) => {
                let cols = shape[1..].iter().product();
                let (q, scales) = quantize_rows(data, cols);
                self.push(name, Dtype::I8, shape, q.iter().map(|v| *v as u8).collect());
                self.add_exact(&format!("{name}.scale"), &[shape[0]], &scales);
            }
            _ => {
                self.add_exact(name, shape, data);
            }
        }
        self
    }

    /// Adds a tensor kept in f32 whatever the file's precision (coordinates, biases).
    pub fn add_exact(&mut self, name: &str, shape: &[usize], data: &[f32]) -> &mut Self {
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, Dtype::F32, shape, bytes);
        self
    }

    fn push(&mut self, name: &str, dtype: Dtype, shape: &[usize], bytes: Vec<u8>) {
        self.tensors.push(Pending {
            name: name.to_string(),
            dtype,
            shape: shape.to_vec(),
            bytes,
        });
    }

    /// Serialises the file, adding `format`, `version`, `dtype` and `content_hash`.
    pub fn to_bytes(self) -> Result<Vec<u8>> {
        self.serialise(FORMAT_VERSION, HashKind::WRITTEN)
    }

    /// Serialises the file as format `version`, whose hash is `kind`.
    fn serialise(mut self, version: &str, kind: HashKind) -> Result<Vec<u8>> {
        let hash = content_hash(
            kind,
            self.tensors
                .iter()
                .map(|t| (t.name.as_str(), t.dtype, t.shape.clone(), &t.bytes[..])),
        );
        let (format, dtype) = (self.format, self.dtype.name());
        self.meta("format", format)
            .meta("version", version)
            .meta("dtype", dtype);
        self.meta("content_hash", hash);
        let mut views = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            let view = TensorView::new(t.dtype, t.shape.clone(), &t.bytes)
                .map_err(|e| Error::format(&t.name, format!("cannot serialise: {e}")))?;
            views.push((t.name.clone(), view));
        }
        let meta: HashMap<String, String> = self.meta.into_iter().collect();
        let bytes = safetensors::serialize(views, Some(meta))
            .map_err(|e| Error::format(format, format!("cannot serialise: {e}")))?;
        sorted_header(bytes).map_err(|e| Error::format(format, format!("cannot serialise: {e}")))
    }
}

/// Rewrites a safetensors header with its JSON keys sorted. `safetensors::serialize` writes
/// the metadata map in hash order, which changes from run to run; sorted, the same content
/// gives the same bytes (reproducible builds). The header keeps its length and padding.
fn sorted_header(mut bytes: Vec<u8>) -> std::result::Result<Vec<u8>, String> {
    let len = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| 8 + n <= bytes.len())
        .ok_or("no header")?;
    let header = &mut bytes[8..8 + len];
    let value: serde_json::Value = serde_json::from_slice(header).map_err(|e| e.to_string())?;
    // serde_json's Map is a BTreeMap (no `preserve_order`): keys come out sorted.
    let sorted = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
    if sorted.len() > len {
        return Err("sorted header is longer than the original".into());
    }
    header[..sorted.len()].copy_from_slice(&sorted);
    header[sorted.len()..].fill(b' ');
    Ok(bytes)
}

/// How a file's `content_hash` is written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seal {
    /// A hash over the tensors, verified on reading: every file that is stored or sent.
    Hashed,
    /// A part cut from a file that was verified in this process, to be read back there and
    /// then (a bank shard on its way to a browser worker, in memory): its `content_hash` names
    /// the whole file's hash and the rows instead, so neither the cutting nor the reading
    /// hashes it again. Only [`FileReader::parse_shard`] reads it; the structure, shapes and
    /// values are checked as in any file.
    Shard,
}

/// A file cut from another ([`FileReader::cut_rows`]) without copying its data: `header`, then
/// the runs `pieces` (`start..end` byte offsets) of the file it was cut from, in order.
pub struct Cut {
    pub header: Vec<u8>,
    pub pieces: Vec<(usize, usize)>,
}

impl Cut {
    /// The file, from the bytes of the file it was cut from.
    pub fn file_from(&self, source: &[u8]) -> Vec<u8> {
        let len = self.header.len() + self.pieces.iter().map(|(a, z)| z - a).sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&self.header);
        for &(a, z) in &self.pieces {
            out.extend_from_slice(&source[a..z]);
        }
        out
    }
}

/// A safetensors header (its length prefix included) for `tensors` laid out in this order,
/// with its JSON keys sorted as [`sorted_header`] sorts them.
fn header_bytes(
    meta: HashMap<String, String>,
    tensors: Vec<(String, TensorInfo)>,
) -> std::result::Result<Vec<u8>, String> {
    let metadata = Metadata::new(Some(meta), tensors).map_err(|e| format!("{e:?}"))?;
    let mut json = serde_json::to_vec(&metadata).map_err(|e| e.to_string())?;
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json);
    sorted_header(bytes)
}

/// What a shard's `content_hash` starts with.
const SHARD_MARK: &str = "shard of ";

/// `rows` of tensor `name` in the file `what`, or an error naming its first row that is not
/// finite (an int8 row: its codes times its scale).
pub fn finite_rows(rows: Rows, what: &str, name: &str) -> Result<Rows> {
    match rows.first_non_finite_row() {
        Some(r) => Err(Error::format(
            format!("{what}: tensor {name:?}"),
            format!("row {r} is not finite"),
        )),
        None => Ok(rows),
    }
}

/// Where an int8 matrix's codes lie in its file ([`FileReader::int8_span`]): the byte range,
/// one scale per row, and the row width.
pub struct Int8Span {
    pub bytes: Range<usize>,
    pub scales: Vec<f32>,
    pub cols: usize,
}

/// A parsed georange file, its hash verified.
pub struct FileReader<'a> {
    what: String,
    bytes: &'a [u8],
    st: SafeTensors<'a>,
    meta: HashMap<String, String>,
}

impl<'a> FileReader<'a> {
    /// Parses `bytes` (named `what` in errors) as a file of format `format`, checks the
    /// version and verifies the content hash.
    pub fn parse(bytes: &'a [u8], what: &str, format: &str) -> Result<Self> {
        Self::open(bytes, what, format, Seal::Hashed)
    }

    /// Parses a part that [`cut_rows`](Self::cut_rows) cut with [`Seal::Shard`]: checked
    /// as [`parse`](Self::parse) checks a file, but for the hash, which it does not carry.
    pub fn parse_shard(bytes: &'a [u8], what: &str, format: &str) -> Result<Self> {
        Self::open(bytes, what, format, Seal::Shard)
    }

    fn open(bytes: &'a [u8], what: &str, format: &str, seal: Seal) -> Result<Self> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| Error::format(what, format!("not a {format} file (safetensors: {e:?})")))?;
        let (_, header) = SafeTensors::read_metadata(bytes)
            .map_err(|e| Error::format(what, format!("unreadable safetensors header: {e:?}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let reader = Self {
            what: what.to_string(),
            bytes,
            st,
            meta,
        };
        let found = reader.meta.get("format").map(String::as_str).unwrap_or("(none)");
        if found != format {
            return Err(Error::format(what, format!("is a {found:?} file, expected {format:?}")));
        }
        reader.hash_kind()?;
        let stored = reader.meta_str("content_hash")?;
        match (seal, stored.starts_with(SHARD_MARK)) {
            (Seal::Hashed, false) => reader.verify(stored)?,
            (Seal::Shard, true) => {}
            (Seal::Hashed, true) => {
                return Err(Error::format(
                    what,
                    "is a bank shard cut in memory for a worker (it has no content hash of its own), not a file",
                ));
            }
            (Seal::Shard, false) => {
                return Err(Error::format(
                    what,
                    "is a file, not a shard cut from one in this process",
                ));
            }
        }
        Ok(reader)
    }

    /// The hash function of the file's version; an error for a version this build does not read.
    fn hash_kind(&self) -> Result<HashKind> {
        let version = self.meta_str("version")?;
        HashKind::of_version(version).ok_or_else(|| {
            Error::format(
                &self.what,
                format!("format version {version} is not supported (this build reads {READ_VERSIONS})"),
            )
        })
    }

    fn verify(&self, stored: &str) -> Result<()> {
        let names = self.st.names();
        let actual = content_hash(
            self.hash_kind()?,
            names.iter().filter_map(|n| {
                let t = self.st.tensor(n).ok()?;
                Some((*n, t.dtype(), t.shape().to_vec(), t.data()))
            }),
        );
        // Fuzzers cannot forge a hash, so under `cargo fuzz` the hash is read but not
        // compared, letting mutated files reach the decoding below.
        if actual != stored && !cfg!(fuzzing) {
            return Err(Error::format(
                &self.what,
                "content hash does not match: the file is corrupt or was edited",
            ));
        }
        Ok(())
    }

    /// The file's content hash as a pin names it, `<function>-<hex>` (`blake3-…`, or
    /// `sha256-…` for a version 1 file): verified by [`parse`](Self::parse).
    pub fn pin(&self) -> Result<String> {
        let function = match self.hash_kind()? {
            HashKind::Sha256 => "sha256",
            HashKind::Blake3 => "blake3",
        };
        Ok(format!("{function}-{}", self.meta_str("content_hash")?))
    }

    /// A metadata entry, or an error naming it.
    pub fn meta_str(&self, key: &str) -> Result<&str> {
        self.meta
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| Error::format(&self.what, format!("metadata has no {key:?}")))
    }

    /// A metadata entry parsed into `T`.
    pub fn meta_parse<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        let raw = self.meta_str(key)?;
        raw.parse()
            .map_err(|_| Error::format(&self.what, format!("metadata {key:?} = {raw:?} is not valid")))
    }

    /// Whether the file holds a tensor of this name.
    pub fn has(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// A file of the same format holding rows `start..end` of every tensor whose first
    /// dimension is `rows` (row-major, so each such tensor's rows are one contiguous run of
    /// bytes, as stored: int8 codes with their scales, f16 or f32), the other tensors whole,
    /// the same metadata with `rows` set to the new count, and sealed as `seal` says: a new
    /// content hash, or for a [`Seal::Shard`] this file's and the rows. As a [`Cut`]: a new
    /// header and the runs of this file's bytes that follow it, so nothing is decoded or
    /// copied until it is [written out](Cut::file_from), and a caller that holds the bytes
    /// elsewhere (a browser's JavaScript) can put it together there.
    pub fn cut_rows(&self, (rows, start, end): (usize, usize, usize), seal: Seal) -> Result<Cut> {
        if start >= end || end > rows {
            return Err(Error::Invalid(format!(
                "{}: rows {start}..{end} are not a non-empty part of its {rows} rows",
                self.what
            )));
        }
        // Ordered as safetensors writes a file (widest dtype first, then by name), so that
        // every tensor stays aligned to its element size.
        let mut tensors = Vec::new();
        for (name, view) in self.st.iter() {
            let mut shape = view.shape().to_vec();
            let mut data = view.data();
            if shape.first() == Some(&rows) {
                let row_bytes = data.len() / rows;
                data = &data[start * row_bytes..end * row_bytes];
                shape[0] = end - start;
            }
            tensors.push((name, view.dtype(), shape, data));
        }
        tensors.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let hash = match seal {
            Seal::Hashed => content_hash(self.hash_kind()?, tensors.iter().map(|t| (t.0, t.1, t.2.clone(), t.3))),
            Seal::Shard => format!("{SHARD_MARK}{}, rows {start}..{end}", self.meta_str("content_hash")?),
        };
        let mut meta = self.meta.clone();
        meta.insert("rows".into(), (end - start).to_string());
        meta.insert("content_hash".into(), hash);
        let base = self.bytes.as_ptr() as usize;
        let (mut infos, mut pieces, mut at) = (Vec::new(), Vec::new(), 0);
        for (name, dtype, shape, data) in tensors {
            let from = data.as_ptr() as usize - base;
            pieces.push((from, from + data.len()));
            infos.push((
                name.to_string(),
                TensorInfo {
                    dtype,
                    shape,
                    data_offsets: (at, at + data.len()),
                },
            ));
            at += data.len();
        }
        let header = header_bytes(meta, infos).map_err(|e| Error::format(&self.what, format!("cannot cut: {e}")))?;
        Ok(Cut { header, pieces })
    }

    /// Decodes a tensor to f32 (dequantising int8 and f16), checking its rank and that every
    /// value is finite.
    pub fn tensor(&self, name: &str, rank: usize) -> Result<Stored> {
        let what = format!("{}: tensor {name:?}", self.what);
        let view = self.view(name)?;
        let shape = view.shape().to_vec();
        if shape.len() != rank {
            return Err(Error::format(
                &what,
                format!("has shape {shape:?}, expected rank {rank}"),
            ));
        }
        let bytes = view.data();
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::I8 => {
                let (codes, scales) = self.int8(name, &shape, bytes)?;
                dequantize_rows(&codes, &scales, shape[1..].iter().product())
            }
            other => return Err(Error::format(&what, format!("unsupported dtype {other:?}"))),
        };
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(&what, format!("value {i} is not finite ({})", data[i])));
        }
        Ok(Stored { shape, data })
    }

    /// A rank-2 tensor in the precision the file stored it: int8 codes with their row scales
    /// as they are ([`Rows::from_int8`]), f32 and f16 as f32. Checked as [`tensor`](Self::tensor)
    /// checks, an int8 row by its codes times its scale.
    pub fn rows(&self, name: &str) -> Result<Rows> {
        let view = self.view(name)?;
        let shape = view.shape().to_vec();
        if view.dtype() != Dtype::I8 || shape.len() != 2 {
            // f32 and f16: decoded and checked by `tensor`.
            let t = self.tensor(name, 2)?;
            return Ok(Rows::F32 {
                data: t.data,
                cols: t.shape[1],
            });
        }
        let (codes, scales) = self.int8(name, &shape, view.data())?;
        finite_rows(Rows::from_int8(codes, scales, shape[1]), &self.what, name)
    }

    /// The codes of the int8 tensor `name` (of `shape`, stored as `bytes`) and its row scales.
    fn int8(&self, name: &str, shape: &[usize], bytes: &[u8]) -> Result<(Vec<i8>, Vec<f32>)> {
        let scales = self.scales(name, shape)?;
        Ok((bytes.iter().map(|b| *b as i8).collect(), scales))
    }

    /// The row scales of the int8 tensor `name` of `shape` (tensor `NAME.scale`, one per row,
    /// finite).
    fn scales(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let scales = self.tensor(&format!("{name}.scale"), 1)?;
        if shape.is_empty() || scales.shape[0] != shape[0] {
            return Err(Error::format(
                format!("{}: tensor {name:?}", self.what),
                "int8 scale count does not match the rows",
            ));
        }
        Ok(scales.data)
    }

    /// The tensor `name`, or an error naming it as missing.
    fn view(&self, name: &str) -> Result<TensorView<'a>> {
        self.st
            .tensor(name)
            .map_err(|_| Error::format(&self.what, format!("missing tensor {name:?}")))
    }

    /// Where the codes of the 2-D int8 tensor `name` lie in the file's bytes, with its row
    /// scales and width: for a caller that owns the bytes and takes the codes over in place
    /// ([`Rows::from_int8_bytes`]). `None` for any other tensor, which [`rows`](Self::rows)
    /// reads.
    pub fn int8_span(&self, name: &str) -> Result<Option<Int8Span>> {
        let view = self.view(name)?;
        let shape = view.shape().to_vec();
        if view.dtype() != Dtype::I8 || shape.len() != 2 {
            return Ok(None);
        }
        let scales = self.scales(name, &shape)?;
        let data = view.data();
        let start = data.as_ptr() as usize - self.bytes.as_ptr() as usize;
        Ok(Some(Int8Span {
            bytes: start..start + data.len(),
            scales,
            cols: shape[1],
        }))
    }
}

/// Checks that `bytes`, a file of `format` named `what` in errors, is the file `pin` names
/// (`blake3-<hex>`, its content hash, as [`FileReader::pin`] writes it): the file is parsed
/// and its hash verified, then compared with the pin (`integrity` when they differ,
/// `invalid_argument` for a pin that is not `<function>-<hex>`).
pub fn check_pin(bytes: &[u8], what: &str, format: &str, pin: &str) -> Result<()> {
    let well_formed = pin.split_once('-').is_some_and(|(f, h)| {
        ["blake3", "sha256"].contains(&f) && !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if !well_formed {
        return Err(Error::Invalid(format!(
            "{what}: the pin {pin:?} is not `blake3-<hex>` (or `sha256-<hex>`): the file's content_hash"
        )));
    }
    let got = FileReader::parse(bytes, what, format)?.pin()?;
    if !got.eq_ignore_ascii_case(pin) {
        return Err(Error::Integrity {
            what: what.to_string(),
            want: pin.to_string(),
            got,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dtype: StorageDtype) -> Vec<u8> {
        let mut w = FileWriter::new("georange-test", dtype);
        w.meta("answer", 42);
        w.add("m", &[2, 3], &[1.0, -2.0, 3.0, 0.5, 0.25, -0.125]);
        w.add("b", &[3], &[1.0, 2.0, 3.0]);
        w.to_bytes().unwrap()
    }

    #[test]
    fn round_trips_every_dtype() {
        for dtype in [StorageDtype::F32, StorageDtype::F16, StorageDtype::Int8] {
            let bytes = sample(dtype);
            let r = FileReader::parse(&bytes, "t", "georange-test").unwrap();
            assert_eq!(r.meta_parse::<u32>("answer").unwrap(), 42);
            assert_eq!(r.meta_str("dtype").unwrap(), dtype.name());
            let m = r.tensor("m", 2).unwrap();
            assert_eq!(m.shape, vec![2, 3]);
            let tol = if dtype == StorageDtype::Int8 { 0.02 } else { 1e-3 };
            for (a, b) in m.data.iter().zip([1.0, -2.0, 3.0, 0.5, 0.25, -0.125]) {
                assert!((a - b).abs() <= tol * b.abs().max(1.0), "{dtype:?}: {a} vs {b}");
            }
            assert_eq!(r.tensor("b", 1).unwrap().data, vec![1.0, 2.0, 3.0]);
        }
    }

    #[test]
    fn a_pin_admits_its_file_only() {
        let bytes = sample(StorageDtype::F32);
        let pin = FileReader::parse(&bytes, "t", "georange-test").unwrap().pin().unwrap();
        assert!(pin.starts_with("blake3-") && pin.len() == "blake3-".len() + 64, "{pin}");
        check_pin(&bytes, "t", "georange-test", &pin).unwrap();
        check_pin(
            &bytes,
            "t",
            "georange-test",
            &pin.to_uppercase().replace("BLAKE3", "blake3"),
        )
        .unwrap();
        // Another file (intact, its own hash): refused with `integrity`, naming both hashes.
        let other = sample(StorageDtype::F16);
        let e = check_pin(&other, "t", "georange-test", &pin).unwrap_err();
        assert_eq!(e.code(), "integrity");
        assert!(e.to_string().contains(&pin), "{e}");
        // A version 1 file's pin names SHA-256.
        let v1 = sample_as("1", HashKind::Sha256);
        let v1_pin = FileReader::parse(&v1, "t", "georange-test").unwrap().pin().unwrap();
        assert!(v1_pin.starts_with("sha256-"), "{v1_pin}");
        // A pin that is no pin, and a damaged file, each with their own code.
        for bad in ["", "blake3", "blake3-", "md5-00", "blake3-xyz", &pin[7..]] {
            assert_eq!(
                check_pin(&bytes, "t", "georange-test", bad).unwrap_err().code(),
                "invalid_argument",
                "{bad:?}"
            );
        }
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(
            check_pin(&damaged, "t", "georange-test", &pin).unwrap_err().code(),
            "bad_file"
        );
    }

    #[test]
    fn the_same_content_gives_the_same_bytes() {
        // Metadata goes through a HashMap, whose order differs between maps; the header is
        // sorted, so every writing is identical (and still parses).
        let write = || {
            let mut w = FileWriter::new("georange-test", StorageDtype::F32);
            for k in 0..12 {
                w.meta(&format!("key{k}"), k);
            }
            w.add("m", &[2], &[1.0, 2.0]);
            w.to_bytes().unwrap()
        };
        let first = write();
        assert!((0..20).all(|_| write() == first));
        assert_eq!(
            FileReader::parse(&first, "t", "georange-test")
                .unwrap()
                .meta_parse::<u32>("key7")
                .unwrap(),
            7
        );
    }

    fn sample_as(version: &str, kind: HashKind) -> Vec<u8> {
        let mut w = FileWriter::new("georange-test", StorageDtype::Int8);
        w.add(
            "m",
            &[4, 3],
            &[1.0, -2.0, 3.0, 0.5, 0.25, -0.125, 7.0, 8.0, 9.0, 0.0, 1.0, 2.0],
        );
        w.add("b", &[3], &[1.0, 2.0, 3.0]);
        w.serialise(version, kind).unwrap()
    }

    #[test]
    fn version_1_files_hashed_with_sha256_are_still_read_and_cut() {
        let bytes = sample_as("1", HashKind::Sha256);
        let r = FileReader::parse(&bytes, "t", "georange-test").unwrap();
        assert_eq!(r.meta_str("version").unwrap(), "1");
        assert_eq!(r.meta_str("content_hash").unwrap().len(), 64);
        // A part cut from it keeps its version, and so its hash.
        let cut = r.cut_rows((4, 1, 3), Seal::Hashed).unwrap().file_from(&bytes);
        let part = FileReader::parse(&cut, "t", "georange-test").unwrap();
        assert_eq!(part.meta_str("version").unwrap(), "1");
        assert_eq!(part.tensor("m", 2).unwrap().data, r.tensor("m", 2).unwrap().data[3..9]);
        // And this build writes version 2.
        let fresh = sample(StorageDtype::F32);
        let r = FileReader::parse(&fresh, "t", "georange-test").unwrap();
        assert_eq!(r.meta_str("version").unwrap(), FORMAT_VERSION);
    }

    #[test]
    fn a_version_read_with_the_other_versions_hash_fails() {
        for (version, kind) in [("1", HashKind::Blake3), ("2", HashKind::Sha256)] {
            let bytes = sample_as(version, kind);
            let err = FileReader::parse(&bytes, "t", "georange-test").err().unwrap();
            assert!(err.to_string().contains("content hash"), "{version}: {err}");
        }
        let err = FileReader::parse(&sample_as("3", HashKind::Blake3), "t", "georange-test")
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("version 3 is not supported (this build reads 1 and 2)"),
            "{err}"
        );
    }

    #[test]
    fn a_flipped_data_byte_fails_the_hash() {
        let mut bytes = sample(StorageDtype::F32);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        let err = FileReader::parse(&bytes, "t", "georange-test").err().unwrap();
        assert!(err.to_string().contains("content hash"), "{err}");
    }

    #[test]
    fn wrong_format_and_garbage_are_named() {
        let bytes = sample(StorageDtype::F32);
        let err = FileReader::parse(&bytes, "t", "georange-bank").err().unwrap();
        assert!(err.to_string().contains("expected \"georange-bank\""), "{err}");
        let err = FileReader::parse(b"hello world, not a file", "t", "georange-bank")
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a georange"), "{err}");
    }
}
