//! `georange bank build`: a bank over any encoder, from locations and per-location values;
//! `georange bank imagery` (imagery.rs): one from an Earth image.

use std::path::PathBuf;

use clap::Subcommand;
use georange::convert::npy::read_npy;
use georange::error::read_file;
use georange::model::build_bank;
use georange::{Backend, Encoder, Error, Result, StorageDtype};

use crate::convert::write;
use crate::points::{at_line, read_points};

#[derive(Subcommand)]
pub enum BankCommand {
    /// Keys = the encoder's output at each location; values = your feature vectors.
    Build {
        /// Encoder file whose space the keys will live in.
        #[arg(long)]
        encoder: PathBuf,
        /// CSV with `lon` and `lat` columns, one row per bank row.
        #[arg(long)]
        locations: PathBuf,
        /// 2-D .npy (float32 or float64), one row per location, any width.
        #[arg(long)]
        values: PathBuf,
        /// Output bank file.
        #[arg(long)]
        out: PathBuf,
        /// Storage precision of keys and values: f32, f16 or int8.
        #[arg(long, default_value = "f32")]
        dtype: StorageDtype,
        /// Points per encoder batch.
        #[arg(long, default_value_t = 4096)]
        batch: usize,
    },
    /// Keys = the encoder at points spread evenly over the sphere; values = a visual
    /// descriptor of an equirectangular Earth image (e.g. NASA's Blue Marble) around each.
    Imagery(crate::imagery::ImageryArgs),
}

pub fn run(cmd: BankCommand) -> Result<()> {
    let (encoder, locations, values, out, dtype, batch) = match cmd {
        BankCommand::Build {
            encoder,
            locations,
            values,
            out,
            dtype,
            batch,
        } => (encoder, locations, values, out, dtype, batch),
        BankCommand::Imagery(args) => return crate::imagery::bank(args),
    };
    let enc = Encoder::from_bytes(&read_file(&encoder)?, &encoder.display().to_string())?;
    let points = read_points(&locations)?;
    let v = read_npy(&values)?;
    if v.rows != points.len() / 2 {
        return Err(Error::Mismatch(format!(
            "{} has {} rows but {} has {} locations",
            values.display(),
            v.rows,
            locations.display(),
            points.len() / 2
        )));
    }
    let (device, dt) = Backend::Cpu.device()?;
    let bank = build_bank(&enc, &points, v.data, v.cols, (&device, dt), batch.max(1)).map_err(at_line(&locations))?;
    write(&out, &bank.to_bytes(dtype)?)?;
    eprintln!(
        "bank: {} rows, keys {}-d ({}), values {}-d, written to {}",
        bank.rows(),
        bank.key_dim,
        enc.arch.name(),
        bank.value_dim,
        out.display()
    );
    Ok(())
}
