//! Tensors out of PyTorch files (`torch.save` zip/pickle), through `pytorch-reader`.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use pytorch_reader::{DType, PytorchReader};

use crate::encoder::weights::Weights;
use crate::error::{Error, Result};
use crate::format::Stored;

/// Checks that `path` exists and, if it is a zip (every `torch.save` since PyTorch 1.6), that
/// each entry matches its CRC-32: the tensor reader does not check, and a damaged byte in a
/// tensor would otherwise convert into silently wrong weights. Legacy pickle files carry no
/// checksum.
pub fn verify(path: &Path) -> Result<()> {
    let what = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 4];
    let is_zip = file.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04";
    if !is_zip {
        return Ok(());
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| Error::format(&what, format!("not a readable PyTorch file: damaged zip ({e})")))?;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::format(&what, format!("not a readable PyTorch file: damaged zip ({e})")))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_else(|_| format!("#{i}"));
        std::io::copy(&mut entry, &mut std::io::sink()).map_err(|e| {
            Error::format(
                &what,
                format!("not a readable PyTorch file: entry {name:?} is damaged ({e})"),
            )
        })?;
    }
    Ok(())
}

/// The f32/f64 tensors of a state dict (at `top_key` of the pickled dict, or the whole
/// pickle) whose names start with `prefix`, with the prefix removed, as f32.
/// Call [`verify`] first.
pub fn state_dict(path: &Path, top_key: Option<&str>, prefix: &str) -> Result<Weights> {
    let what = path.display().to_string();
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
