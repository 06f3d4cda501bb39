//! Seeded pseudo-random numbers, the same on every platform: SplitMix64 (Steele, Lea and Flood
//! 2014), whose output function is also a well-mixed hash. The folds of cross-validation
//! (`probe::cv`) and the samples of a polygon (`geo::polygon`) come from it, and the scripts
//! that check them against scikit-learn write it out the same way.

/// SplitMix64's output function: a well-mixed hash of `x`.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Numbers uniform in [0, 1) from `seed`: the `k`-th is `splitmix64(seed + k)`'s top 53 bits.
pub struct Uniform {
    state: u64,
}

impl Uniform {
    pub fn new(seed: u64) -> Self {
        Uniform { state: seed }
    }

    pub fn next_f64(&mut self) -> f64 {
        self.state = self.state.wrapping_add(1);
        (splitmix64(self.state) >> 11) as f64 / (1u64 << 53) as f64
    }
}
