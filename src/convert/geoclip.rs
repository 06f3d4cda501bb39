//! GeoCLIP's `location_encoder_weights.pth` (shipped inside the `geoclip` PyPI package): a
//! plain state dict of `LocEnc{i}.capsule.0.b` (Fourier matrices), `LocEnc{i}.capsule.{1,3,5}`
//! and `LocEnc{i}.head.0` (dense layers). The hyper-parameters are read off the shapes.

use std::path::Path;

use crate::encoder::weights::Weights;
use crate::encoder::{Architecture, Encoder, GeoClipParams};
use crate::error::{Error, Result};

/// Reads GeoCLIP's location encoder weights into an [`Encoder`].
pub fn geoclip_weights(path: &Path) -> Result<Encoder> {
    let what = path.display().to_string();
    super::torch::verify(path)?;
    let weights = super::torch::state_dict(path, None, "")?;
    let params = infer_params(&weights)
        .map_err(|reason| Error::format(&what, format!("not GeoCLIP location encoder weights: {reason}")))?;
    Encoder::new(Architecture::GeoClip(params), weights).map_err(|e| Error::format(&what, e))
}

fn infer_params(w: &Weights) -> std::result::Result<GeoClipParams, String> {
    let shape = |name: &str| {
        w.get(name)
            .map(|t| t.shape.clone())
            .ok_or_else(|| format!("no tensor {name:?}"))
    };
    let branches = (0..)
        .take_while(|i| w.contains_key(&format!("LocEnc{i}.capsule.0.b")))
        .count();
    if branches == 0 {
        return Err("no LocEnc0.capsule.0.b tensor".into());
    }
    let b = shape("LocEnc0.capsule.0.b")?;
    if b.len() != 2 || b[1] != 2 {
        return Err(format!("LocEnc0.capsule.0.b has shape {b:?}, expected [features, 2]"));
    }
    let rows = |name: &str| {
        shape(name)?
            .first()
            .copied()
            .ok_or_else(|| format!("{name:?} is a scalar"))
    };
    let hidden = rows("LocEnc0.capsule.1.weight")?;
    let hidden_layers = (0..)
        .take_while(|k| w.contains_key(&format!("LocEnc0.capsule.{}.weight", 2 * k + 1)))
        .count();
    let embed_dim = rows("LocEnc0.head.0.weight")?;
    Ok(GeoClipParams {
        branches,
        rff_features: b[0],
        hidden,
        hidden_layers,
        embed_dim,
    })
}
