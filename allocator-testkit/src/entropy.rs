//! Where the random operations come from: a seeded generator, or a fuzzer's bytes.

/// A source of choices for the operation generators.
///
/// [`TestRng`] makes a reproducible stream from a seed; [`FuzzInput`] reads a fuzzer's bytes, so
/// that the fuzzer's mutations map to nearby operation sequences.
pub trait Entropy {
    /// A number in `0..n`, or 0 if `n` is 0.
    fn below(&mut self, n: u64) -> u64;

    /// Whether the source has run out (a [`FuzzInput`] at its end); generators stop then.
    fn is_exhausted(&self) -> bool {
        false
    }

    /// A number in `0..n` as a `usize`, or 0 if `n` is 0.
    fn below_usize(&mut self, n: usize) -> usize {
        narrow(self.below(n as u64))
    }

    /// A number in `lo..=hi` (requires `lo <= hi`).
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + narrow(self.below((hi - lo) as u64 + 1))
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// Narrows a value known to be below some `usize` bound.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn narrow(value: u64) -> usize {
    // Every caller passes a value below a bound that came from a `usize`, so it fits.
    value as usize
}

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same operations on
/// every platform.
#[derive(Debug, Clone)]
pub struct TestRng {
    state: u64,
}

impl TestRng {
    /// A generator for `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Entropy for TestRng {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// Reads choices from a fuzzer's bytes: each choice takes as few bytes as its range needs
/// (one byte for a range up to 256), little-endian; past the end every choice is 0 and
/// [`is_exhausted`](Entropy::is_exhausted) is true.
#[derive(Debug, Clone)]
pub struct FuzzInput<'a> {
    data: &'a [u8],
}

impl<'a> FuzzInput<'a> {
    /// A reader over `data`.
    #[must_use]
    pub const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }
}

impl Entropy for FuzzInput<'_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let bits = 64 - (n - 1).leading_zeros();
        let bytes = bits.div_ceil(8) as usize;
        let take = bytes.min(self.data.len());
        let mut value = 0u64;
        for (i, byte) in self.data[..take].iter().enumerate() {
            value |= u64::from(*byte) << (8 * i);
        }
        self.data = &self.data[take..];
        value % n
    }

    fn is_exhausted(&self) -> bool {
        self.data.is_empty()
    }
}
