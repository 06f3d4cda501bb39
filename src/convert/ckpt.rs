//! The official SatCLIP Lightning checkpoint (`.ckpt`, a torch zip + pickle): the location
//! encoder's hyper-parameters and its `model.location.*` tensors (f32 or f64). Everything
//! else in the file (the vision tower, optimiser state) is ignored.

use std::collections::HashMap;
use std::path::Path;

use pytorch_reader::{PickleValue, PytorchReader};

use crate::encoder::{Architecture, Encoder, SatClipParams};
use crate::error::{Error, Result};

/// Where the location encoder's weights live in the state dict.
pub const LOCATION_PREFIX: &str = "model.location.nnet.";

/// Reads a SatCLIP checkpoint into an [`Encoder`].
pub fn satclip_checkpoint(path: &Path) -> Result<Encoder> {
    let what = path.display().to_string();
    super::torch::verify(path)?;
    let hp = PytorchReader::read_pickle_data(path, Some("hyper_parameters"))
        .map_err(|e| Error::format(&what, format!("not a SatCLIP checkpoint: {e}")))?;
    let PickleValue::Dict(hp) = hp else {
        return Err(Error::format(&what, "hyper_parameters is not a dictionary"));
    };
    let arch = Architecture::SatClip(satclip_params(&hp, &what)?);

    let weights = super::torch::state_dict(path, Some("state_dict"), LOCATION_PREFIX)?;
    if weights.is_empty() {
        return Err(Error::format(
            &what,
            format!("state_dict has no {LOCATION_PREFIX}* tensors: not a SatCLIP checkpoint"),
        ));
    }
    Encoder::new(arch, weights).map_err(|e| Error::format(&what, e))
}

fn satclip_params(hp: &HashMap<String, PickleValue>, what: &str) -> Result<SatClipParams> {
    let text = |key: &str| match hp.get(key) {
        Some(PickleValue::String(s)) => Ok(s.clone()),
        other => Err(Error::format(
            what,
            format!("hyper-parameter {key:?} is {other:?}, expected a string"),
        )),
    };
    let int = |key: &str| match hp.get(key) {
        Some(PickleValue::Int(v)) if *v > 0 => Ok(*v as usize),
        other => Err(Error::format(
            what,
            format!("hyper-parameter {key:?} is {other:?}, expected a positive integer"),
        )),
    };
    let le_type = text("le_type")?;
    if le_type != "sphericalharmonics" {
        return Err(Error::format(
            what,
            format!("le_type {le_type:?} is not supported (only sphericalharmonics)"),
        ));
    }
    let pe_type = text("pe_type")?;
    if pe_type != "siren" {
        return Err(Error::format(
            what,
            format!("pe_type {pe_type:?} is not supported (only siren)"),
        ));
    }
    Ok(SatClipParams {
        legendre_polys: int("legendre_polys")?,
        harmonics: text("harmonics_calculation")?,
        capacity: int("capacity")?,
        hidden_layers: int("num_hidden_layers")?,
        embed_dim: int("embed_dim")?,
    })
}
