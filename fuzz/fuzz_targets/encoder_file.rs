#![no_main]
//! Our encoder file (safetensors + metadata) on arbitrary bytes. An accepted file must
//! survive a round trip and run on one point without panicking.

use georange::{Backend, Encoder, Model, StorageDtype, Variant};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let enc = match Encoder::from_bytes(data, "fuzz") {
        Ok(enc) => enc,
        Err(e) => return common::check_message(&e),
    };
    let again = enc.to_bytes(StorageDtype::F32).expect("an accepted encoder serialises");
    let back = Encoder::from_bytes(&again, "round trip").expect("its own output parses");
    assert_eq!(back.weights, enc.weights, "an f32 round trip changed the weights");
    let (device, dtype) = Backend::Cpu.device().expect("the CPU device exists");
    if let Ok(model) = Model::new(&enc, None, &device, dtype) {
        if let Err(e) = model.embed(&[12.5, -33.0], Variant::Encoder, 1, &mut |_| {}) {
            common::check_message(&e);
        }
    }
});
