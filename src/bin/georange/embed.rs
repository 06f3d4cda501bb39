//! `georange embed`: CSV of points → float32 .npy of embeddings.

use std::path::PathBuf;

use crate::points::{at_line, read_points};

use clap::Args;
use georange::convert::npy::write_npy;
use georange::error::read_file;
use georange::model::{DeviceRequest, LoadOptions, VariantName};
use georange::{Bank, Compute, Encoder, Error, GpuAttention, GpuPrecision, Model, Result, Variant};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args)]
pub struct EmbedArgs {
    /// Encoder file (encoder.safetensors).
    #[arg(long)]
    encoder: PathBuf,
    /// Bank file (bank.safetensors); needed for range and range+.
    #[arg(long)]
    bank: Option<PathBuf>,
    /// encoder (raw encoder output), range or range+.
    #[arg(long, value_enum, default_value = "range+")]
    model: VariantName,
    /// RANGE+ mix: 1 = semantic (high frequency), 0 = geographic (smooth).
    #[arg(long, default_value_t = 0.5)]
    beta: f32,
    /// CSV with a header naming `lon` and `lat` columns (any order, other columns ignored).
    #[arg(long)]
    input: PathBuf,
    /// Output .npy (float32, rows × dim, rows in input order).
    #[arg(long)]
    output: PathBuf,
    /// cpu, webgpu (also wgpu: Vulkan/Metal natively) or auto (the GPU, else the CPU).
    #[arg(long, value_enum, default_value = "cpu")]
    backend: DeviceRequest,
    /// Points per batch.
    #[arg(long, default_value_t = 4096)]
    batch: usize,
    /// Approximate RANGE+: its geographic head skips bank rows farther than this many degrees
    /// from a point (40 keeps ~1e-4 relative error; faster for single or nearby points, slower
    /// for points scattered over the globe). Default: exact.
    #[arg(long)]
    geo_cutoff_deg: Option<f64>,
    /// How the bank is held on a GPU (--backend wgpu): f32 (default); f16 — half the memory
    /// and the GPU's fast matrix units, at a relative error of at most 2e-3; or
    /// int8 — a quarter of the memory, an int8 bank file's own numbers (others quantised per row).
    /// A bank past the GPU's largest buffer is held in tiles of rows (int8, f32 or f16).
    #[arg(long, value_enum)]
    gpu_precision: Option<GpuPrecision>,
    /// How a GPU runs the exact heads: stream (default: tiles of the bank with an online
    /// softmax), flash (burn's attention op: autotuned fused kernels in the `vulkan` build)
    /// or fused (one kernel of our own per head, any bank on a GPU); flash takes f32 and f16
    /// banks held whole only.
    #[arg(long, value_enum)]
    gpu_attention: Option<GpuAttention>,
    /// The score pass's arithmetic against an int8 bank on the CPU: exact (default: f32, the
    /// parity tests' numbers) or int8 (int8 dot products, the query quantised per point:
    /// within cosine 0.9999 and relative error 1e-3 of exact).
    #[arg(long, value_enum, default_value = "exact")]
    compute: Compute,
    /// Refuse the encoder file unless its content hash is this pin (`blake3-<hex>`, as
    /// `georange info` prints it): exit with code `integrity`.
    #[arg(long, value_name = "PIN")]
    encoder_integrity: Option<String>,
    /// The same pin for the bank file.
    #[arg(long, value_name = "PIN")]
    bank_integrity: Option<String>,
}

/// The file at `path` as bytes, refused unless it is the file `pin` names (when given).
fn read_pinned(path: &std::path::Path, format: &str, pin: Option<&str>) -> Result<Vec<u8>> {
    let bytes = read_file(path)?;
    if let Some(pin) = pin {
        georange::format::check_pin(&bytes, &path.display().to_string(), format, pin)?;
    }
    Ok(bytes)
}

pub fn run(a: EmbedArgs) -> Result<()> {
    let variant = a.model.with_beta(a.beta)?;
    let options = LoadOptions {
        device: a.backend,
        gpu_precision: a.gpu_precision,
        gpu_attention: a.gpu_attention,
        geo_cutoff_deg: a.geo_cutoff_deg,
        strict: true,
    };
    if a.batch == 0 {
        return Err(Error::Invalid("--batch must be at least 1".into()));
    }
    let encoder_bytes = read_pinned(
        &a.encoder,
        georange::format::ENCODER_FORMAT,
        a.encoder_integrity.as_deref(),
    )?;
    let encoder = Encoder::from_bytes(&encoder_bytes, &a.encoder.display().to_string())?;
    let bank = match (&a.bank, variant) {
        (Some(p), _) => Some(Bank::from_owned_bytes(
            read_pinned(p, georange::format::BANK_FORMAT, a.bank_integrity.as_deref())?,
            &p.display().to_string(),
        )?),
        (None, Variant::Encoder) => None,
        (None, _) => return Err(Error::Invalid(format!("--model {variant:?} needs --bank"))),
    };
    let points = read_points(&a.input)?;
    // The model takes the encoder and bank over (int8 stays int8 on the CPU): nothing is held
    // twice while it loads.
    let model = Model::load(encoder, bank, &options)?.model;
    let rows = points.len() / 2;
    let bar = ProgressBar::new(rows as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let out = model
        .embed_with(&points, variant, (a.batch, a.compute), &mut |done| {
            bar.set_position(done as u64)
        })
        .map_err(at_line(&a.input))?;
    bar.finish_and_clear();
    write_npy(&a.output, &out, rows, model.dim(variant))?;
    eprintln!("wrote {} × {} to {}", rows, model.dim(variant), a.output.display());
    Ok(())
}
