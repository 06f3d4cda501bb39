#![no_main]
//! NumPy files: a `.npy` matrix (the CLI's `--values`) and a RANGE database `.npz` checked
//! against a fixed 4-d encoder (the one tools/fixtures/make_fuzz_seeds.py made the seeds for).

use georange::Encoder;
use georange::convert::{npy::read_npy, range_database};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static ENCODER: std::sync::LazyLock<Encoder> = std::sync::LazyLock::new(|| {
    Encoder::from_bytes(include_bytes!("satclip_l2.safetensors"), "satclip_l2").expect("the seed encoder parses")
});

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("numpy", data);
    match read_npy(&path) {
        Ok(m) => assert_eq!(m.data.len(), m.rows * m.cols),
        Err(e) => common::check_message(&e),
    }
    match range_database(&path, &ENCODER) {
        Ok(bank) => assert_eq!(bank.key_dim, ENCODER.embed_dim()),
        Err(e) => common::check_message(&e),
    }
});
