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
    assert_eq!(bank.keys.len(), n * bank.key_dim);
    assert_eq!(bank.values.len(), n * bank.value_dim);
    assert!(bank.locs.iter().chain(&bank.keys).chain(&bank.values).all(|v| v.is_finite()));
    let again = bank.to_bytes(StorageDtype::F32).expect("an accepted bank serialises");
    let back = Bank::from_bytes(&again, "round trip").expect("its own output parses");
    assert_eq!(back.values, bank.values, "an f32 round trip changed the values");
});
