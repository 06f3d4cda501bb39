//! GeoTIFF as GIS tools read it (GDAL, QGIS, rasterio): one image of `bands` samples per pixel,
//! 8-bit (a picture: RGB or RGBA, alpha 0 where there is nothing) or 32-bit float (embeddings,
//! scores; NaN where there is nothing), georeferenced in EPSG:4326 (lon/lat grids) or EPSG:3857
//! (Web Mercator views) by a tie point at the north-west corner and a pixel scale, with GDAL's
//! no-data value and metadata items (e.g. the model, variant and β).
//!
//! Written here, uncompressed, the header first and then the pixels row by row, so that a
//! raster larger than memory streams to a file ([`RasterSpec::header`]; a BigTIFF past 4 GiB).
//! The `tiff` crate's encoder writes fixed colour types (gray, RGB, RGBA, …), and a raster of
//! 788 float bands is none of them; it reads these files back in the tests.

use crate::error::{Error, Result};

/// The raster's coordinate reference system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    /// EPSG:4326: degrees of longitude and latitude.
    LonLat,
    /// EPSG:3857: Web Mercator metres.
    WebMercator,
}

/// What one sample is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleKind {
    U8,
    F32,
}

/// The pixels, row by row from the north-west corner, each pixel's `bands` samples together.
#[derive(Clone, Copy, Debug)]
pub enum Samples<'a> {
    U8(&'a [u8]),
    F32(&'a [f32]),
}

/// A raster's shape, georeferencing and metadata: everything but its pixels.
#[derive(Clone, Debug)]
pub struct RasterSpec {
    pub width: usize,
    pub height: usize,
    pub bands: usize,
    pub kind: SampleKind,
    pub crs: Crs,
    /// The north-west corner `(x, y)` in the CRS's units.
    pub origin: (f64, f64),
    /// A pixel's width and height in the CRS's units (both above 0).
    pub pixel: (f64, f64),
    /// GDAL's no-data value (`"nan"` for floats; `None` for a picture whose alpha says it).
    pub nodata: Option<String>,
    /// Metadata items (`GDAL_METADATA`): name, value.
    pub metadata: Vec<(String, String)>,
}

// TIFF field types.
const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const DOUBLE: u16 = 12;
const LONG8: u16 = 16;

/// One IFD entry: tag, type, count and its value's bytes (little-endian).
struct Entry {
    tag: u16,
    kind: u16,
    count: u64,
    bytes: Vec<u8>,
}

fn entry<const N: usize>(tag: u16, kind: u16, v: impl IntoIterator<Item = [u8; N]>) -> Entry {
    let bytes: Vec<u8> = v.into_iter().flatten().collect();
    Entry {
        tag,
        kind,
        count: (bytes.len() / N) as u64,
        bytes,
    }
}

fn shorts(tag: u16, v: &[u16]) -> Entry {
    entry(tag, SHORT, v.iter().map(|x| x.to_le_bytes()))
}

fn longs(tag: u16, v: &[u32]) -> Entry {
    entry(tag, LONG, v.iter().map(|x| x.to_le_bytes()))
}

fn doubles(tag: u16, v: &[f64]) -> Entry {
    entry(tag, DOUBLE, v.iter().map(|x| x.to_le_bytes()))
}

/// Offsets or byte counts: LONG in a classic TIFF, LONG8 in a BigTIFF.
fn offsets(tag: u16, v: &[u64], big: bool) -> Entry {
    if big {
        entry(tag, LONG8, v.iter().map(|x| x.to_le_bytes()))
    } else {
        entry(tag, LONG, v.iter().map(|x| (*x as u32).to_le_bytes()))
    }
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut bytes: Vec<u8> = s.bytes().filter(|b| *b != 0).collect();
    bytes.push(0);
    Entry {
        tag,
        kind: ASCII,
        count: bytes.len() as u64,
        bytes,
    }
}

/// `s` with XML's five special characters escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

impl RasterSpec {
    fn check(&self) -> Result<()> {
        let bad = |why: String| Err(Error::Invalid(format!("GeoTIFF: {why}")));
        if self.width == 0 || self.height == 0 || self.bands == 0 || self.bands > u16::MAX as usize {
            return bad(format!(
                "{} × {} pixels of {} bands",
                self.width, self.height, self.bands
            ));
        }
        let finite = [self.origin.0, self.origin.1, self.pixel.0, self.pixel.1]
            .iter()
            .all(|v| v.is_finite());
        if !finite || self.pixel.0 <= 0.0 || self.pixel.1 <= 0.0 {
            return bad(format!("origin {:?} and pixel size {:?}", self.origin, self.pixel));
        }
        Ok(())
    }

    /// The bytes of one row of pixels.
    pub fn row_bytes(&self) -> u64 {
        let sample = match self.kind {
            SampleKind::U8 => 1,
            SampleKind::F32 => 4,
        };
        (self.width * self.bands * sample) as u64
    }

    /// Rows per strip: strips of about 64 KiB.
    fn rows_per_strip(&self) -> usize {
        ((65_536 / self.row_bytes()) as usize).clamp(1, self.height)
    }

    /// The GeoKey directory: model type, raster type (pixel is area), and the EPSG code.
    fn geokeys(&self) -> Vec<u16> {
        let keys: [[u16; 4]; 3] = match self.crs {
            Crs::LonLat => [[1024, 0, 1, 2], [1025, 0, 1, 1], [2048, 0, 1, 4326]],
            Crs::WebMercator => [[1024, 0, 1, 1], [1025, 0, 1, 1], [3072, 0, 1, 3857]],
        };
        let mut dir = vec![1, 1, 0, keys.len() as u16];
        dir.extend(keys.iter().flatten());
        dir
    }

    /// Every entry, sorted by tag, the strips at `first` onwards.
    fn entries(&self, first: u64, big: bool) -> Vec<Entry> {
        let b = self.bands as u16;
        let (bits, format) = match self.kind {
            SampleKind::U8 => (8, 1),
            SampleKind::F32 => (32, 3),
        };
        let rgb = self.kind == SampleKind::U8 && b >= 3;
        let extra = b - if rgb { 3 } else { 1 };
        let rows = self.rows_per_strip();
        let strips = self.height.div_ceil(rows);
        let strip = |k: usize| self.row_bytes() * rows.min(self.height - k * rows) as u64;
        let at: Vec<u64> = (0..strips)
            .map(|k| first + k as u64 * rows as u64 * self.row_bytes())
            .collect();
        let counts: Vec<u64> = (0..strips).map(strip).collect();
        let mut e = vec![
            longs(256, &[self.width as u32]),
            longs(257, &[self.height as u32]),
            shorts(258, &vec![bits; self.bands]),
            shorts(259, &[1]),
            shorts(262, &[if rgb { 2 } else { 1 }]),
            offsets(273, &at, big),
            shorts(277, &[b]),
            longs(278, &[rows as u32]),
            offsets(279, &counts, big),
            shorts(284, &[1]),
            shorts(339, &vec![format; self.bands]),
            doubles(33550, &[self.pixel.0, self.pixel.1, 0.0]),
            doubles(33922, &[0.0, 0.0, 0.0, self.origin.0, self.origin.1, 0.0]),
            shorts(34735, &self.geokeys()),
        ];
        if extra > 0 {
            // An RGBA picture's fourth band is unassociated alpha (2); other extra bands unspecified.
            let kinds: Vec<u16> = (0..extra)
                .map(|i| if rgb && i == 0 && extra == 1 { 2 } else { 0 })
                .collect();
            e.push(shorts(338, &kinds));
        }
        if !self.metadata.is_empty() {
            let items: String = self
                .metadata
                .iter()
                .map(|(k, v)| format!("<Item name=\"{}\">{}</Item>", xml(k), xml(v)))
                .collect();
            e.push(ascii(42112, &format!("<GDALMetadata>{items}</GDALMetadata>")));
        }
        if let Some(nodata) = &self.nodata {
            e.push(ascii(42113, nodata));
        }
        e.sort_by_key(|e| e.tag);
        e
    }

    /// Everything before the pixels: the header, the IFD and the values that do not fit in
    /// its entries; the pixels follow at its end, rows in order, samples little-endian. A
    /// BigTIFF where the file reaches 4 GiB (a classic TIFF's offsets are 32-bit).
    pub fn header(&self) -> Result<Vec<u8>> {
        self.check()?;
        let pixels = self.row_bytes() * self.height as u64;
        self.header_as(pixels + (1 << 20) + 16 * self.height as u64 >= u32::MAX as u64)
    }

    fn header_as(&self, big: bool) -> Result<Vec<u8>> {
        // Header, IFD entry and count sizes, and the width of a value or offset.
        let (head, entry, count, word) = if big { (16, 20, 8, 8) } else { (8, 12, 2, 4) };
        let spill = |e: &[Entry]| -> u64 {
            e.iter()
                .filter(|x| x.bytes.len() > word)
                .map(|x| x.bytes.len().div_ceil(2) as u64 * 2)
                .sum()
        };
        let measured = self.entries(0, big);
        let ifd_len = count + entry * measured.len() as u64 + word as u64;
        let first = head + ifd_len + spill(&measured);
        let entries = self.entries(first, big);
        let mut out = Vec::with_capacity(first as usize);
        if big {
            out.extend_from_slice(b"II+\0");
            out.extend_from_slice(&8u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&head.to_le_bytes());
            out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        } else {
            out.extend_from_slice(b"II*\0");
            out.extend_from_slice(&(head as u32).to_le_bytes());
            out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        }
        let mut at = head + ifd_len;
        let mut tail = Vec::new();
        for e in &entries {
            out.extend_from_slice(&e.tag.to_le_bytes());
            out.extend_from_slice(&e.kind.to_le_bytes());
            let value = if e.bytes.len() <= word {
                let mut inline = e.bytes.clone();
                inline.resize(word, 0);
                inline
            } else {
                let offset = if big {
                    at.to_le_bytes().to_vec()
                } else {
                    (at as u32).to_le_bytes().to_vec()
                };
                tail.extend_from_slice(&e.bytes);
                tail.resize(tail.len().div_ceil(2) * 2, 0);
                at += e.bytes.len().div_ceil(2) as u64 * 2;
                offset
            };
            if big {
                out.extend_from_slice(&e.count.to_le_bytes());
            } else {
                out.extend_from_slice(&(e.count as u32).to_le_bytes());
            }
            out.extend_from_slice(&value);
        }
        out.extend_from_slice(&vec![0; word]); // no next IFD
        out.extend_from_slice(&tail);
        debug_assert_eq!(out.len() as u64, first, "the pixels start where the strips say");
        Ok(out)
    }

    /// The whole file, `samples` its pixels.
    pub fn to_bytes(&self, samples: Samples<'_>) -> Result<Vec<u8>> {
        let want = self.width * self.height * self.bands;
        let (got, kind) = match samples {
            Samples::U8(s) => (s.len(), SampleKind::U8),
            Samples::F32(s) => (s.len(), SampleKind::F32),
        };
        if got != want || kind != self.kind {
            return Err(Error::Mismatch(format!(
                "GeoTIFF: {got} {kind:?} samples for {} × {} pixels of {} {:?} bands",
                self.width, self.height, self.bands, self.kind
            )));
        }
        let mut out = self.header()?;
        match samples {
            Samples::U8(s) => out.extend_from_slice(s),
            Samples::F32(s) => s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;

    fn spec(width: usize, height: usize, bands: usize, kind: SampleKind, crs: Crs) -> RasterSpec {
        RasterSpec {
            width,
            height,
            bands,
            kind,
            crs,
            origin: (-10.0, 20.0),
            pixel: (0.5, 0.25),
            nodata: None,
            metadata: vec![("model".into(), "a <b> & c".into())],
        }
    }

    #[test]
    fn an_rgba_picture_reads_back_with_its_georeferencing() {
        let px: Vec<u8> = (0..24).collect();
        let bytes = spec(3, 2, 4, SampleKind::U8, Crs::WebMercator)
            .to_bytes(Samples::U8(&px))
            .unwrap();
        let mut d = Decoder::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(d.dimensions().unwrap(), (3, 2));
        match d.read_image().unwrap() {
            DecodingResult::U8(v) => assert_eq!(v, px),
            other => panic!("{other:?}"),
        }
        let tie = d.get_tag_f64_vec(Tag::Unknown(33922)).unwrap();
        assert_eq!(tie, [0.0, 0.0, 0.0, -10.0, 20.0, 0.0]);
        assert_eq!(d.get_tag_f64_vec(Tag::Unknown(33550)).unwrap(), [0.5, 0.25, 0.0]);
        let keys = d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap();
        assert_eq!(&keys[..4], &[1, 1, 0, 3]);
        assert!(keys.chunks(4).any(|k| k == [3072, 0, 1, 3857]));
        let meta = d.get_tag_ascii_string(Tag::Unknown(42112)).unwrap();
        assert!(
            meta.contains("<Item name=\"model\">a &lt;b&gt; &amp; c</Item>"),
            "{meta}"
        );
    }

    #[test]
    fn float_bands_read_back_in_strips_classic_and_big() {
        // 300 × 200 pixels of 5 bands: several strips.
        let (w, h, b) = (300, 200, 5);
        let px: Vec<f32> = (0..w * h * b).map(|i| i as f32 * 0.5 - 7.0).collect();
        let mut s = spec(w, h, b, SampleKind::F32, Crs::LonLat);
        s.nodata = Some("nan".into());
        let classic = s.to_bytes(Samples::F32(&px)).unwrap();
        assert_eq!(&classic[..4], b"II*\0");
        let mut big = s.header_as(true).unwrap();
        px.iter().for_each(|v| big.extend_from_slice(&v.to_le_bytes()));
        assert_eq!(&big[..4], b"II+\0");
        for bytes in [classic, big] {
            let mut d = Decoder::new(std::io::Cursor::new(bytes)).unwrap();
            match d.read_image().unwrap() {
                DecodingResult::F32(v) => assert_eq!(v, px),
                other => panic!("{other:?}"),
            }
            assert_eq!(d.get_tag_ascii_string(Tag::Unknown(42113)).unwrap(), "nan");
            let keys = d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap();
            assert!(keys.chunks(4).any(|k| k == [2048, 0, 1, 4326]));
        }
    }

    #[test]
    fn bad_rasters_are_refused() {
        let px = [0u8; 10];
        let s = spec(3, 2, 4, SampleKind::U8, Crs::LonLat);
        assert_eq!(s.to_bytes(Samples::U8(&px)).unwrap_err().code(), "pair_mismatch");
        assert_eq!(
            s.to_bytes(Samples::F32(&[0.0; 24])).unwrap_err().code(),
            "pair_mismatch"
        );
        let mut s = spec(3, 2, 4, SampleKind::U8, Crs::LonLat);
        s.pixel = (0.0, 1.0);
        assert_eq!(
            s.to_bytes(Samples::U8(&[0; 24])).unwrap_err().code(),
            "invalid_argument"
        );
    }
}
