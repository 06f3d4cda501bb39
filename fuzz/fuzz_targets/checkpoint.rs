#![no_main]
//! PyTorch files (zip + pickle, or a legacy pickle) through both converters: the SatCLIP
//! Lightning checkpoint and GeoCLIP's state dict.

use georange::convert::{ckpt::satclip_checkpoint, geoclip::geoclip_weights};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("checkpoint", data);
    for result in [satclip_checkpoint(&path), geoclip_weights(&path)] {
        match result {
            Ok(enc) => assert!(enc.weights.values().all(|t| t.data.iter().all(|v| v.is_finite()))),
            Err(e) => common::check_message(&e),
        }
    }
});
