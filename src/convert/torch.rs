//! Tensors out of PyTorch files (`torch.save` zip/pickle), through `pytorch-reader`.

use std::path::Path;

use pytorch_reader::{DType, PytorchReader};

use crate::error::{Error, Result};
use crate::format::Stored;
use crate::weights::Weights;

/// The f32/f64 tensors of a state dict (at `top_key` of the pickled dict, or the whole
/// pickle) whose names start with `prefix`, with the prefix removed, as f32.
pub fn state_dict(path: &Path, top_key: Option<&str>, prefix: &str) -> Result<Weights> {
    let what = path.display().to_string();
    if !path.exists() {
        return Err(Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    let reader = match top_key {
        Some(key) => PytorchReader::with_top_level_key(path, key),
        None => PytorchReader::new(path),
    }
    .map_err(|e| Error::format(&what, format!("not a readable PyTorch file: {e}")))?;
    let mut weights = Weights::new();
    for (name, tensor) in reader.tensors() {
        let Some(local) = name.strip_prefix(prefix) else {
            continue;
        };
        let bytes = tensor.read().map_err(|e| Error::format(&what, e))?;
        let data: Vec<f32> = match tensor.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|c| f64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
                .collect(),
            other => {
                return Err(Error::format(
                    &what,
                    format!("tensor {name:?} has dtype {other:?}, expected f32 or f64"),
                ));
            }
        };
        weights.insert(
            local.to_string(),
            Stored {
                shape: tensor.shape().to_vec(),
                data,
            },
        );
    }
    Ok(weights)
}
