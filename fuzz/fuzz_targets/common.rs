//! What the fuzz targets share.

use std::path::PathBuf;

#[allow(dead_code)]
/// Writes `data` to this process's scratch file (`tag` keeps targets apart) and returns its
/// path: the PyTorch and NumPy readers take paths, as the CLI calls them.
pub fn scratch_file(tag: &str, data: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("georange-fuzz-{tag}-{}", std::process::id()));
    std::fs::write(&path, data).expect("the scratch file must be writable");
    path
}

#[allow(dead_code)]
/// Every error is one line: the CLI prints it as is and JS receives it as `Error.message`.
pub fn check_message(e: &georange::Error) {
    let text = e.to_string();
    assert!(!text.is_empty() && !text.contains('\n'), "error message {text:?}");
}
