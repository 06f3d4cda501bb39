//! Location encoders: a point (lon, lat) to a vector. The host side ([`Encoder`]) holds the
//! architecture and weights and reads/writes our encoder file; [`DeviceEncoder`] runs it.

pub mod arch;
mod device;
mod fourier;
pub mod harmonics;
pub mod projection;
pub mod weights;

pub use arch::{Activation, Architecture, BranchSpec, GeoClipParams, LayerSpec, RffSpec, SatClipParams};
pub use device::DeviceEncoder;

use crate::error::{Error, Result};
use crate::format::{ENCODER_FORMAT, FileReader, FileWriter, StorageDtype};
use weights::{Weights, check_weights, tensor_specs};

/// An encoder's architecture and weights, on the host.
#[derive(Clone, Debug)]
pub struct Encoder {
    pub arch: Architecture,
    pub weights: Weights,
    /// Identity of the weights as converted (hash of the f32 weights, whatever precision
    /// they are stored in later); banks record the id of the encoder that built their keys.
    pub id: String,
}

impl Encoder {
    /// Builds an encoder from weights, checking them against the architecture and that
    /// every value is finite.
    pub fn new(arch: Architecture, weights: Weights) -> Result<Self> {
        arch.check()?;
        check_weights(&weights, &arch, arch.name())?;
        for (name, t) in &weights {
            if let Some(v) = t.data.iter().find(|v| !v.is_finite()) {
                return Err(Error::format(
                    format!("encoder tensor {name:?}"),
                    format!("holds a non-finite value ({v})"),
                ));
            }
        }
        let id = weights_id(&weights);
        Ok(Self { arch, weights, id })
    }

    /// Output width.
    pub fn embed_dim(&self) -> usize {
        self.arch.embed_dim()
    }

    /// Serialises to our encoder file with the large matrices in `dtype`.
    pub fn to_bytes(&self, dtype: StorageDtype) -> Result<Vec<u8>> {
        let mut w = FileWriter::new(ENCODER_FORMAT, dtype);
        w.meta("architecture", self.arch.name())
            .meta("hparams", self.arch.params_json())
            .meta("encoder_id", &self.id);
        let sensitive = self.sensitive_tensors();
        for (name, _, exact) in tensor_specs(&self.arch) {
            let Some(t) = self.weights.get(&name) else { continue };
            let precision = match (exact, dtype) {
                (true, _) => StorageDtype::F32,
                (false, StorageDtype::Int8) if sensitive.contains(&name) => StorageDtype::F16,
                (false, d) => d,
            };
            w.add_as(&name, &t.shape, &t.data, precision);
        }
        w.to_bytes()
    }

    /// Weights whose errors the network amplifies: those of a sine layer with w0 > 1 (SIREN's
    /// first layer multiplies by 30, so an int8 step there becomes a large phase error).
    /// int8 files keep them in f16.
    fn sensitive_tensors(&self) -> Vec<String> {
        self.arch
            .layers()
            .iter()
            .filter(|l| matches!(l.activation, arch::Activation::Sine(w0) if w0 > 1.0))
            .map(|l| weights::weight_name(&l.name))
            .collect()
    }

    /// Parses our encoder file (`what` names it in errors).
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        let r = FileReader::parse(bytes, what, ENCODER_FORMAT)?;
        let arch = Architecture::from_meta(r.meta_str("architecture")?, r.meta_str("hparams")?)?;
        let mut weights = Weights::new();
        for (name, shape, _) in tensor_specs(&arch) {
            let t = r.tensor(&name, shape.len())?;
            weights.insert(name, t);
        }
        check_weights(&weights, &arch, what)?;
        let id = r.meta_str("encoder_id")?.to_string();
        Ok(Self { arch, weights, id })
    }
}

fn weights_id(weights: &Weights) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (name, t) in weights {
        h.update(name.as_bytes());
        for d in &t.shape {
            h.update((*d as u64).to_le_bytes());
        }
        for v in &t.data {
            h.update(v.to_le_bytes());
        }
    }
    crate::format::hex(&h.finalize()[..16])
}
