#![no_main]
//! Our bank file on arbitrary bytes. An accepted bank must hold what its metadata says and
//! survive a round trip.

use georange::{Bank, StorageDtype};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let bank = match Bank::from_bytes(data, "fuzz") {
        Ok(bank) => bank,
        Err(e) => return common::check_message(&e),
    };
    let n = bank.rows();
    let (keys, values) = (bank.keys.to_f32(), bank.values.to_f32());
    assert_eq!(keys.len(), n * bank.key_dim);
    assert_eq!(values.len(), n * bank.value_dim);
    assert!(bank.locs.iter().chain(&keys).chain(&values).all(|v| v.is_finite()));
    let again = bank.to_bytes(StorageDtype::F32).expect("an accepted bank serialises");
    let back = Bank::from_bytes(&again, "round trip").expect("its own output parses");
    assert_eq!(back.values.to_f32(), values, "an f32 round trip changed the values");
});
