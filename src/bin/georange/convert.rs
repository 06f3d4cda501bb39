//! `georange convert …` and `georange info`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use georange::convert::{ckpt, geoclip, range_database};
use georange::format::{BANK_FORMAT, ENCODER_FORMAT, FileReader};
use georange::{Bank, Encoder, Error, Result, StorageDtype};

#[derive(Subcommand)]
pub enum ConvertCommand {
    /// A SatCLIP Lightning checkpoint (and optionally a RANGE database .npz) →
    /// DIR/encoder.safetensors (and DIR/bank.safetensors).
    Satclip {
        /// The SatCLIP checkpoint, e.g. satclip-vit16-l40.ckpt.
        #[arg(long)]
        ckpt: PathBuf,
        /// The RANGE database, e.g. range_db_large.npz (optional: encoder only).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Storage precision of the large tensors: f32, f16 or int8 (per-row scales).
        #[arg(long, default_value = "f32")]
        dtype: StorageDtype,
    },
    /// GeoCLIP's location_encoder_weights.pth (inside the `geoclip` PyPI package) →
    /// DIR/encoder.safetensors.
    Geoclip {
        /// geoclip/model/weights/location_encoder_weights.pth
        #[arg(long)]
        weights: PathBuf,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Storage precision of the large tensors: f32, f16 or int8 (per-row scales).
        #[arg(long, default_value = "f32")]
        dtype: StorageDtype,
    },
}

pub fn run(cmd: ConvertCommand) -> Result<()> {
    match cmd {
        ConvertCommand::Satclip { ckpt, db, out, dtype } => {
            // Everything is read and checked before anything is written.
            let encoder = ckpt::satclip_checkpoint(&ckpt)?;
            let bank = db.map(|db| range_database(&db, &encoder)).transpose()?;
            std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
            write(&out.join("encoder.safetensors"), &encoder.to_bytes(dtype)?)?;
            if let Some(bank) = bank {
                write(&out.join("bank.safetensors"), &bank.to_bytes(dtype)?)?;
                eprintln!(
                    "bank: {} rows, keys {}-d, values {}-d",
                    bank.rows(),
                    bank.key_dim,
                    bank.value_dim
                );
            }
            report(&encoder, &out);
            Ok(())
        }
        ConvertCommand::Geoclip { weights, out, dtype } => {
            let encoder = geoclip::geoclip_weights(&weights)?;
            std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
            write(&out.join("encoder.safetensors"), &encoder.to_bytes(dtype)?)?;
            report(&encoder, &out);
            Ok(())
        }
    }
}

fn report(encoder: &Encoder, out: &Path) {
    eprintln!(
        "encoder: {} ({} outputs), id {}, written to {}",
        encoder.arch.name(),
        encoder.embed_dim(),
        encoder.id,
        out.display()
    );
}

pub use georange::error::write_file as write;

pub fn info(file: &Path) -> Result<()> {
    let bytes = georange::error::read_file(file)?;
    let what = file.display().to_string();
    match Encoder::from_bytes(&bytes, &what) {
        Ok(e) => {
            println!(
                "encoder {} {} → {}-d, id {}",
                e.arch.name(),
                e.arch.params_json(),
                e.embed_dim(),
                e.id
            );
            println!("pin {}", FileReader::parse(&bytes, &what, ENCODER_FORMAT)?.pin()?);
            Ok(())
        }
        Err(enc_err) => match Bank::from_bytes(&bytes, &what) {
            Ok(b) => {
                println!(
                    "bank: {} rows, keys {}-d, values {}-d, encoder {}",
                    b.rows(),
                    b.key_dim,
                    b.value_dim,
                    b.encoder_id
                );
                println!("pin {}", FileReader::parse(&bytes, &what, BANK_FORMAT)?.pin()?);
                Ok(())
            }
            Err(_) => Err(enc_err),
        },
    }
}
