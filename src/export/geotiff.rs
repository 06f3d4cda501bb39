//! GeoTIFF as GIS tools read it (GDAL, QGIS, rasterio): one image of `bands` samples per pixel,
//! 8-bit (a picture: RGB or RGBA, alpha 0 where there is nothing) or 32-bit float (embeddings,
//! scores; NaN where there is nothing), georeferenced in EPSG:4326 (lon/lat grids) or EPSG:3857
//! (Web Mercator views) by a tie point at the north-west corner and a pixel scale, with GDAL's
//! no-data value and metadata items (e.g. the model, variant and β).
//!
//! Written here, uncompressed and strip by strip: the `tiff` crate's encoder writes fixed
//! colour types (gray, RGB, RGBA, …), and a raster of 788 float bands is none of them; it reads
//! these files back in the tests.

use crate::error::{Error, Result};

/// The raster's coordinate reference system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    /// EPSG:4326: degrees of longitude and latitude.
    LonLat,
    /// EPSG:3857: Web Mercator metres.
    WebMercator,
}

/// The pixels, row by row from the north-west corner, each pixel's `bands` samples together.
#[derive(Clone, Copy, Debug)]
pub enum Samples<'a> {
    U8(&'a [u8]),
    F32(&'a [f32]),
}

/// A raster to write.
#[derive(Clone, Debug)]
pub struct Raster<'a> {
    pub width: usize,
    pub height: usize,
    pub bands: usize,
    pub samples: Samples<'a>,
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

/// One IFD entry: tag, type, count and its value's bytes (little-endian).
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    bytes: Vec<u8>,
}

fn shorts(tag: u16, v: &[u16]) -> Entry {
    let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    Entry {
        tag,
        kind: SHORT,
        count: v.len() as u32,
        bytes,
    }
}

fn longs(tag: u16, v: &[u32]) -> Entry {
    let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    Entry {
        tag,
        kind: LONG,
        count: v.len() as u32,
        bytes,
    }
}

fn doubles(tag: u16, v: &[f64]) -> Entry {
    let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    Entry {
        tag,
        kind: DOUBLE,
        count: v.len() as u32,
        bytes,
    }
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut bytes: Vec<u8> = s.bytes().filter(|b| *b != 0).collect();
    bytes.push(0);
    Entry {
        tag,
        kind: ASCII,
        count: bytes.len() as u32,
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

impl Raster<'_> {
    fn check(&self) -> Result<()> {
        let bad = |why: String| Err(Error::Invalid(format!("GeoTIFF: {why}")));
        if self.width == 0 || self.height == 0 || self.bands == 0 || self.bands > u16::MAX as usize {
            return bad(format!(
                "{} × {} pixels of {} bands",
                self.width, self.height, self.bands
            ));
        }
        let want = self.width * self.height * self.bands;
        let got = match self.samples {
            Samples::U8(s) => s.len(),
            Samples::F32(s) => s.len(),
        };
        if got != want {
            return Err(Error::Mismatch(format!(
                "GeoTIFF: {got} samples for {} × {} pixels of {} bands",
                self.width, self.height, self.bands
            )));
        }
        let finite = [self.origin.0, self.origin.1, self.pixel.0, self.pixel.1]
            .iter()
            .all(|v| v.is_finite());
        if !finite || self.pixel.0 <= 0.0 || self.pixel.1 <= 0.0 {
            return bad(format!("origin {:?} and pixel size {:?}", self.origin, self.pixel));
        }
        Ok(())
    }

    fn sample_bytes(&self) -> usize {
        match self.samples {
            Samples::U8(_) => 1,
            Samples::F32(_) => 4,
        }
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

    /// Every entry but the strips' offsets, sorted by tag once those are added.
    fn entries(&self, rows_per_strip: u32, byte_counts: &[u32]) -> Vec<Entry> {
        let b = self.bands as u16;
        let (bits, format) = match self.samples {
            Samples::U8(_) => (8, 1),
            Samples::F32(_) => (32, 3),
        };
        let rgb = matches!(self.samples, Samples::U8(_)) && b >= 3;
        let extra = b - if rgb { 3 } else { 1 };
        let mut e = vec![
            longs(256, &[self.width as u32]),
            longs(257, &[self.height as u32]),
            shorts(258, &vec![bits; self.bands]),
            shorts(259, &[1]),
            shorts(262, &[if rgb { 2 } else { 1 }]),
            shorts(277, &[b]),
            longs(278, &[rows_per_strip]),
            longs(279, byte_counts),
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
        e
    }

    /// The file's bytes: the header, the pixels in strips of about 64 KiB, then the IFD and
    /// the values that do not fit in its entries. Refuses a file of 4 GiB or more (a classic
    /// TIFF's offsets are 32-bit).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.check()?;
        let row_bytes = self.width * self.bands * self.sample_bytes();
        let rows_per_strip = (65_536 / row_bytes).clamp(1, self.height);
        let strips = self.height.div_ceil(rows_per_strip);
        let pixels = row_bytes * self.height;
        if pixels as u64 + 16 * strips as u64 + (1 << 20) >= u32::MAX as u64 {
            return Err(Error::Invalid(format!(
                "GeoTIFF: {pixels} bytes of pixels; a file of 4 GiB or more is not written (cut it into windows)"
            )));
        }
        let mut out = Vec::with_capacity(pixels + 4096 + 8 * strips);
        out.extend_from_slice(b"II*\0");
        out.extend_from_slice(&[0; 4]); // the IFD's offset, set below
        let first = out.len();
        match self.samples {
            Samples::U8(s) => out.extend_from_slice(s),
            Samples::F32(s) => s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        }
        let counts: Vec<u32> = (0..strips)
            .map(|k| (row_bytes * rows_per_strip.min(self.height - k * rows_per_strip)) as u32)
            .collect();
        let offsets: Vec<u32> = (0..strips)
            .map(|k| (first + k * rows_per_strip * row_bytes) as u32)
            .collect();
        let mut entries = self.entries(rows_per_strip as u32, &counts);
        entries.push(longs(273, &offsets));
        entries.sort_by_key(|e| e.tag);
        if out.len() % 2 == 1 {
            out.push(0); // IFDs start on a word boundary
        }
        let ifd = out.len();
        out[4..8].copy_from_slice(&(ifd as u32).to_le_bytes());
        // After the IFD (count, entries, next-IFD offset 0): the values over 4 bytes.
        let mut spill = ifd + 2 + 12 * entries.len() + 4;
        let mut tail = Vec::new();
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for e in &entries {
            out.extend_from_slice(&e.tag.to_le_bytes());
            out.extend_from_slice(&e.kind.to_le_bytes());
            out.extend_from_slice(&e.count.to_le_bytes());
            if e.bytes.len() <= 4 {
                let mut inline = [0u8; 4];
                inline[..e.bytes.len()].copy_from_slice(&e.bytes);
                out.extend_from_slice(&inline);
            } else {
                out.extend_from_slice(&(spill as u32).to_le_bytes());
                tail.extend_from_slice(&e.bytes);
                if e.bytes.len() % 2 == 1 {
                    tail.push(0);
                }
                spill += e.bytes.len().div_ceil(2) * 2;
            }
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&tail);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;

    fn raster(samples: Samples<'_>, bands: usize, crs: Crs) -> Raster<'_> {
        Raster {
            width: 3,
            height: 2,
            bands,
            samples,
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
        let bytes = raster(Samples::U8(&px), 4, Crs::WebMercator).to_bytes().unwrap();
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
    fn float_bands_read_back_in_strips() {
        // 300 × 200 pixels of 5 bands: several strips.
        let (w, h, b) = (300, 200, 5);
        let px: Vec<f32> = (0..w * h * b).map(|i| i as f32 * 0.5 - 7.0).collect();
        let mut r = raster(Samples::F32(&px), b, Crs::LonLat);
        (r.width, r.height, r.nodata) = (w, h, Some("nan".into()));
        let mut d = Decoder::new(std::io::Cursor::new(r.to_bytes().unwrap())).unwrap();
        match d.read_image().unwrap() {
            DecodingResult::F32(v) => assert_eq!(v, px),
            other => panic!("{other:?}"),
        }
        assert_eq!(d.get_tag_ascii_string(Tag::Unknown(42113)).unwrap(), "nan");
        let keys = d.get_tag_u16_vec(Tag::Unknown(34735)).unwrap();
        assert!(keys.chunks(4).any(|k| k == [2048, 0, 1, 4326]));
    }

    #[test]
    fn bad_rasters_are_refused() {
        let px = [0u8; 10];
        let e = raster(Samples::U8(&px), 4, Crs::LonLat).to_bytes().unwrap_err();
        assert_eq!(e.code(), "pair_mismatch");
        let px = [0u8; 24];
        let mut r = raster(Samples::U8(&px), 4, Crs::LonLat);
        r.pixel = (0.0, 1.0);
        assert_eq!(r.to_bytes().unwrap_err().code(), "invalid_argument");
    }
}
