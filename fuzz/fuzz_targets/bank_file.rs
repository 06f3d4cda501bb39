#![no_main]
//! Our bank file on arbitrary bytes. An accepted bank must hold what its metadata says and
//! survive a round trip; the file taken over (`Bank::from_owned_bytes`, int8 codes kept in
//! place) must give the same bank, or the same error.

use georange::{Bank, StorageDtype};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let owned = Bank::from_owned_bytes(data.to_vec(), "fuzz");
    let bank = match Bank::from_bytes(data, "fuzz") {
        Ok(bank) => bank,
        Err(e) => {
            let other = owned.err().map(|e| e.to_string());
            assert_eq!(
                other.as_deref(),
                Some(e.to_string().as_str()),
                "the owned parse differs"
            );
            return common::check_message(&e);
        }
    };
    assert!(owned.is_ok_and(|o| o == bank), "the owned parse gives another bank");
    let n = bank.rows();
    let (keys, values) = (bank.keys.to_f32(), bank.values.to_f32());
    assert_eq!(keys.len(), n * bank.key_dim);
    assert_eq!(values.len(), n * bank.value_dim);
    assert!(bank.locs.iter().chain(&keys).chain(&values).all(|v| v.is_finite()));
    let again = bank.to_bytes(StorageDtype::F32).expect("an accepted bank serialises");
    let back = Bank::from_bytes(&again, "round trip").expect("its own output parses");
    assert_eq!(back.values.to_f32(), values, "an f32 round trip changed the values");
});
