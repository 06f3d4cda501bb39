//! `georange bank imagery` and `georange describe`: a bank whose values are the visual
//! descriptor (georange::bank::imagery) of an equirectangular Earth image, e.g. NASA's Blue Marble.

use std::path::{Path, PathBuf};

use clap::Args;
use georange::bank::imagery::{EarthImage, PER_SCALE, describe, fibonacci_points, whiten};
use georange::convert::npy::write_npy;
use georange::error::read_file;
use georange::geo::validate_points;
use georange::model::build_bank;
use georange::{Backend, Encoder, Error, Result, StorageDtype};

use crate::convert::write;
use crate::points::{at_line, read_points};

/// How the descriptor samples the image.
#[derive(Args)]
pub struct DescriptorArgs {
    /// Equirectangular RGB image of the whole globe (JPEG or PNG; lon −180 → 180, lat 90 → −90).
    #[arg(long)]
    image: PathBuf,
    /// Ground sizes (km, side of the square) the descriptor looks at, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "50,200,800")]
    scales_km: Vec<f64>,
    /// Samples per side of each square (rounded down to a multiple of 4).
    #[arg(long, default_value_t = 8)]
    grid: usize,
}

#[derive(Args)]
pub struct ImageryArgs {
    /// Encoder file whose space the keys will live in.
    #[arg(long)]
    encoder: PathBuf,
    #[command(flatten)]
    descriptor: DescriptorArgs,
    /// Bank rows: this many points spread evenly over the sphere (Fibonacci lattice).
    #[arg(long, default_value_t = 50_000)]
    points: usize,
    /// Output bank file.
    #[arg(long)]
    out: PathBuf,
    /// Storage precision of keys and values: f32, f16 or int8.
    #[arg(long, default_value = "int8")]
    dtype: StorageDtype,
    /// Points per encoder batch.
    #[arg(long, default_value_t = 4096)]
    batch: usize,
}

#[derive(Args)]
pub struct DescribeArgs {
    #[command(flatten)]
    descriptor: DescriptorArgs,
    /// CSV with a header naming `lon` and `lat` columns.
    #[arg(long)]
    input: PathBuf,
    /// Output .npy (float32, rows × descriptor width, not whitened).
    #[arg(long)]
    output: PathBuf,
}

impl DescriptorArgs {
    fn check(&self) -> Result<()> {
        if self.scales_km.is_empty()
            || self
                .scales_km
                .iter()
                .any(|s| !(s.is_finite() && *s > 0.0 && *s <= 20_000.0))
        {
            return Err(Error::Invalid(format!(
                "--scales-km: every scale must be a ground size in (0, 20000] km, got {:?}",
                self.scales_km
            )));
        }
        if !(4..=64).contains(&self.grid) {
            return Err(Error::Invalid(format!(
                "--grid must be within 4..=64, got {}",
                self.grid
            )));
        }
        Ok(())
    }

    /// Descriptors of every (lon, lat) pair, row-major.
    fn describe_all(&self, image: &EarthImage, points: &[f64]) -> Vec<f32> {
        points
            .chunks_exact(2)
            .flat_map(|p| describe(image, p[0], p[1], &self.scales_km, self.grid))
            .collect()
    }

    fn width(&self) -> usize {
        self.scales_km.len() * PER_SCALE
    }
}

/// Decodes a JPEG or PNG into an [`EarthImage`].
fn load_image(path: &Path) -> Result<EarthImage> {
    let what = path.display().to_string();
    let bytes = read_file(path)?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| Error::format(&what, e))?
        .to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w != 2 * h {
        return Err(Error::format(
            &what,
            format!("{w} × {h} pixels is not an equirectangular globe (width must be twice the height)"),
        ));
    }
    EarthImage::new(w, h, img.into_raw())
}

pub fn bank(args: ImageryArgs) -> Result<()> {
    args.descriptor.check()?;
    if !(1..=10_000_000).contains(&args.points) {
        return Err(Error::Invalid(format!(
            "--points must be within 1..=10000000, got {}",
            args.points
        )));
    }
    let enc = Encoder::from_bytes(&read_file(&args.encoder)?, &args.encoder.display().to_string())?;
    let image = load_image(&args.descriptor.image)?;
    let points = fibonacci_points(args.points);
    let mut values = args.descriptor.describe_all(&image, &points);
    whiten(&mut values, args.descriptor.width());
    let (device, dt) = Backend::Cpu.device()?;
    let bank = build_bank(
        &enc,
        &points,
        values,
        args.descriptor.width(),
        (&device, dt),
        args.batch.max(1),
    )?;
    write(&args.out, &bank.to_bytes(args.dtype)?)?;
    eprintln!(
        "bank: {} rows over the sphere, keys {}-d ({}), values {}-d (imagery descriptor at {:?} km), written to {}",
        bank.rows(),
        bank.key_dim,
        enc.arch.name(),
        bank.value_dim,
        args.descriptor.scales_km,
        args.out.display()
    );
    Ok(())
}

pub fn describe_points(args: DescribeArgs) -> Result<()> {
    args.descriptor.check()?;
    let points = validate_points(&read_points(&args.input)?).map_err(at_line(&args.input))?;
    let image = load_image(&args.descriptor.image)?;
    let data = args.descriptor.describe_all(&image, &points);
    write_npy(&args.output, &data, points.len() / 2, args.descriptor.width())?;
    eprintln!(
        "{} descriptors of width {} written to {}",
        points.len() / 2,
        args.descriptor.width(),
        args.output.display()
    );
    Ok(())
}
