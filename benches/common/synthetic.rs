//! The synthetic model and bank of the benches: SatCLIP's released shapes (L = 40, 1600 → 512
//! → 512 → 256) with random weights, and a bank of random 256-d keys and 1024-d values at
//! random points, optionally read back from a file of another precision, as a bank file is;
//! and the benches' settings from the environment.

use georange::encoder::weights::Weights;
use georange::encoder::{Architecture, SatClipParams};
use georange::format::Stored;
use georange::{Bank, Encoder, StorageDtype};

/// Deterministic uniform numbers in [−1, 1) (xorshift64*).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.next() * scale).collect()
    }
}

pub fn synthetic_encoder(rng: &mut Rng) -> Encoder {
    let arch = Architecture::SatClip(SatClipParams {
        legendre_polys: 40,
        harmonics: "analytic".into(),
        capacity: 512,
        hidden_layers: 2,
        embed_dim: 256,
    });
    let mut w = Weights::new();
    for l in arch.layers() {
        let s = 1.0 / l.inputs as f32;
        w.insert(
            format!("{}.weight", l.name),
            Stored {
                shape: vec![l.outputs, l.inputs],
                data: rng.vec(l.outputs * l.inputs, s),
            },
        );
        w.insert(
            format!("{}.bias", l.name),
            Stored {
                shape: vec![l.outputs],
                data: rng.vec(l.outputs, s),
            },
        );
    }
    Encoder::new(arch, w).expect("synthetic encoder")
}

pub fn synthetic_bank(rng: &mut Rng, rows: usize, enc: &Encoder) -> Bank {
    let locs: Vec<f32> = (0..rows)
        .flat_map(|_| [rng.next() * 180.0, (rng.next()).asin().to_degrees()])
        .collect();
    Bank::new(
        locs,
        rng.vec(rows * 256, 1.0),
        rng.vec(rows * 1024, 1.0),
        256,
        1024,
        &enc.id,
    )
    .expect("synthetic bank")
}

/// `bank` written in `dtype` ("f32", "f16" or "int8") and read back, as a bank file is loaded.
pub fn stored_as(bank: Bank, dtype: &str) -> Bank {
    if dtype == "f32" {
        return bank;
    }
    let dtype = StorageDtype::parse(dtype).expect("a bank precision: f32, f16 or int8");
    Bank::from_bytes(&bank.to_bytes(dtype).expect("bank file"), "bank").expect("bank read back")
}

/// `n` random points spread evenly over the sphere, as [lon, lat, …] in degrees.
pub fn points(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|_| [rng.next() as f64 * 180.0, (rng.next() as f64).asin().to_degrees()])
        .collect()
}

/// A comma-separated environment list, or `default`.
pub fn env_list<T: std::str::FromStr>(name: &str, default: Vec<T>) -> Vec<T> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or(default)
}
