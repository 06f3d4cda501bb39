//! What the examples share: random points spread evenly over the sphere, the same sequence on
//! every run (xorshift), and the spread of a measurement.

pub struct Points(u64);

impl Points {
    pub fn new() -> Self {
        Self(0x9E37_79B9_7F4A_7C15)
    }

    /// The next point, `(lon, lat)` in degrees.
    pub fn next_point(&mut self) -> (f64, f64) {
        let lon = self.uniform() * 360.0 - 180.0;
        (lon, (self.uniform() * 2.0 - 1.0).asin().to_degrees())
    }

    /// A uniform number in [0, 1).
    fn uniform(&mut self) -> f64 {
        let s = &mut self.0;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The smallest, median and largest of `v` (sorted here; `v` must not be empty).
pub fn spread(v: &mut [f64]) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [v[0], v[v.len() / 2], v[v.len() - 1]]
}
