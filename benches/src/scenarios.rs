//! The scenarios, each generic over the traits of [`heap`](crate::heap), with fixed seeds.
//!
//! Each scenario draws its whole script of requests from a seeded `ChaCha8Rng` before any
//! timing starts, so every contender answers the same requests and the timed loop holds only
//! the allocator calls and the bookkeeping of the live blocks.

pub mod actions;
pub mod efficiency;
pub mod pages;
pub mod workloads;

use std::alloc::Layout;

use rand::Rng;

/// The seed of every script: the runs compare across contenders and machines.
pub const SEED: u64 = 0x5EED_A110C;

/// A request size biased toward small ones: a power of two `2^e` with `e` uniform in
/// `2..=max_log2`, then uniform in `[2^e, 2^(e+1))`. With `max_log2 = 10`: 4 bytes to 2 KiB,
/// half of them under 64 bytes.
pub fn random_size(rng: &mut impl Rng, max_log2: u32) -> usize {
    let e = rng.random_range(2..=max_log2);
    rng.random_range(1usize << e..2usize << e)
}

/// An alignment: 8 seven times in eight, else one of 16, 32, 64, 128 or 256.
pub fn random_align(rng: &mut impl Rng) -> usize {
    if rng.random_range(0..8) != 0 {
        8
    } else {
        1 << rng.random_range(4..=8)
    }
}

/// A random layout of [`random_size`] and [`random_align`].
///
/// # Panics
///
/// If `max_log2` is below 2 or so large that the size overflows a `Layout`.
pub fn random_layout(rng: &mut impl Rng, max_log2: u32) -> Layout {
    let size = random_size(rng, max_log2);
    let align = random_align(rng);
    Layout::from_size_align(size, align).expect("small sizes and alignments are valid")
}
