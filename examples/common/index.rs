//! What the HNSW examples share: unit vectors as instant-distance points (distance 1 − cosine),
//! and the encoder, bank and CPU model named on the command line.

use std::path::Path;

use georange::error::read_file;
use georange::{Backend, Bank, Encoder, Model, Result};

/// A unit vector; the distance is `1 − cosine`.
#[derive(Clone)]
pub struct Unit(pub Vec<f32>);

impl instant_distance::Point for Unit {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum::<f32>()
    }
}

/// `v` scaled to unit length.
pub fn unit(v: &[f32]) -> Unit {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    Unit(v.iter().map(|x| x / n).collect())
}

/// The bank file and a CPU model of the encoder and bank files.
pub fn load(encoder: &str, bank: &str) -> Result<(Bank, Model)> {
    let encoder = Encoder::from_bytes(&read_file(Path::new(encoder))?, encoder)?;
    let bank = Bank::from_bytes(&read_file(Path::new(bank))?, bank)?;
    let (device, dtype) = Backend::Cpu.device()?;
    let model = Model::new(&encoder, Some(&bank), &device, dtype)?;
    Ok((bank, model))
}
