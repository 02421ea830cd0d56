//! The original benchmarks' four workloads, on collections using an `Allocator` handle.
//!
//! On stable Rust the handle is allocator-api2's `Allocator` (`AllocatorRc` for the workspace's
//! backends, [`HeapRc`](crate::rc::HeapRc) for the others) and the map workload uses
//! hashbrown's `HashMap`, popping the oldest key where the original popped the first; with the
//! `nightly` feature it is `alloc::collections::BTreeMap` with `pop_first`, as in the original.

#[cfg(not(feature = "nightly"))]
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SEED;

/// The `Allocator` traits a handle must implement for the workloads.
#[cfg(not(feature = "nightly"))]
pub trait Api: allocator_api2::alloc::Allocator + Clone {}
#[cfg(not(feature = "nightly"))]
impl<A: allocator_api2::alloc::Allocator + Clone> Api for A {}

/// The `Allocator` traits a handle must implement for the workloads.
#[cfg(feature = "nightly")]
pub trait Api: allocator_api2::alloc::Allocator + core::alloc::Allocator + Clone {}
#[cfg(feature = "nightly")]
impl<A: allocator_api2::alloc::Allocator + core::alloc::Allocator + Clone> Api for A {}

/// One of the four workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `u32`s pushed one by one into a `Vec` growing from empty.
    VecPush,
    /// `Vec<u64>`s of capacity 64 allocated (and filled), then dropped in shuffled order.
    VecRandFree64,
    /// The same with capacity 520.
    VecRandFree520,
    /// Map steps: one in five removes a key, the others insert a `key_N` byte-vector key.
    Map,
}

impl Workload {
    /// All four.
    pub const ALL: [Self; 4] = [
        Self::VecPush,
        Self::VecRandFree64,
        Self::VecRandFree520,
        Self::Map,
    ];

    /// The original's name (at full size).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::VecPush => "vec_push_3M",
            Self::VecRandFree64 => "vec_rand_free_25K_64",
            Self::VecRandFree520 => "vec_rand_free_7500_520",
            Self::Map => "btree_map_50K",
        }
    }
}

/// How large each workload is.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadSizes {
    /// `u32`s pushed (3,000,000 in the original).
    pub push: usize,
    /// Vectors of 64 `u64`s (25,000).
    pub rand_free_64: usize,
    /// Vectors of 520 `u64`s (7,500).
    pub rand_free_520: usize,
    /// Map steps (50,000).
    pub map_steps: usize,
}

impl WorkloadSizes {
    /// The original's sizes.
    pub const FULL: Self = Self {
        push: 3_000_000,
        rand_free_64: 25_000,
        rand_free_520: 7_500,
        map_steps: 50_000,
    };

    /// A hundredth, for test mode.
    pub const TEST: Self = Self {
        push: 30_000,
        rand_free_64: 250,
        rand_free_520: 75,
        map_steps: 500,
    };
}

/// Runs one workload with the handle `a` and returns the time it took (drawing its random
/// choices first, untimed).
///
/// # Panics
///
/// If `sizes.push` is 2^32 or more, or the handle runs out of memory.
pub fn run<A: Api>(a: &A, workload: Workload, sizes: &WorkloadSizes) -> Duration {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    match workload {
        Workload::VecPush => {
            let n = u32::try_from(sizes.push).expect("fewer than 2^32 pushes");
            let start = Instant::now();
            vec_push(a, n);
            start.elapsed()
        }
        Workload::VecRandFree64 => vec_rand_free(a, sizes.rand_free_64, 64, &mut rng),
        Workload::VecRandFree520 => vec_rand_free(a, sizes.rand_free_520, 520, &mut rng),
        Workload::Map => {
            let steps: Vec<(bool, u32)> = (0..sizes.map_steps)
                .map(|_| (rng.random_range(0..5) == 0, rng.random()))
                .collect();
            let start = Instant::now();
            map(a, &steps);
            start.elapsed()
        }
    }
}

fn vec_push<A: Api>(a: &A, n: u32) {
    let mut v = allocator_api2::vec::Vec::new_in(a.clone());
    for i in 0..n {
        v.push(i);
    }
    black_box(&v);
}

fn vec_rand_free<A: Api>(a: &A, count: usize, capacity: usize, rng: &mut ChaCha8Rng) -> Duration {
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(rng);
    let start = Instant::now();
    let mut vectors: Vec<allocator_api2::vec::Vec<u64, A>> = (0..count)
        .map(|_| {
            let mut v = allocator_api2::vec::Vec::with_capacity_in(capacity, a.clone());
            v.resize(capacity, 0);
            v
        })
        .collect();
    for i in order {
        vectors[i] = allocator_api2::vec::Vec::new_in(a.clone());
    }
    let elapsed = start.elapsed();
    black_box(&vectors);
    elapsed
}

/// `key_<n>` as bytes, in a stack buffer.
fn key_bytes(n: u32, buf: &mut [u8; 16]) -> &[u8] {
    buf[..4].copy_from_slice(b"key_");
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut n = n;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (i, d) in digits[..len].iter().rev().enumerate() {
        buf[4 + i] = *d;
    }
    &buf[..4 + len]
}

/// A key in the handle's memory.
#[cfg(not(feature = "nightly"))]
fn key_in<A: Api>(a: &A, n: u32) -> allocator_api2::vec::Vec<u8, A> {
    let mut buf = [0; 16];
    let bytes = key_bytes(n, &mut buf);
    let mut key = allocator_api2::vec::Vec::with_capacity_in(bytes.len(), a.clone());
    key.extend_from_slice(bytes);
    key
}

/// A borrowed key, looked up in a map of `Vec<u8, A>` keys (which hash as their slice).
#[cfg(not(feature = "nightly"))]
#[derive(Hash)]
struct KeyRef<'a>(&'a [u8]);

#[cfg(not(feature = "nightly"))]
impl<A: Api> hashbrown::Equivalent<allocator_api2::vec::Vec<u8, A>> for KeyRef<'_> {
    fn equivalent(&self, key: &allocator_api2::vec::Vec<u8, A>) -> bool {
        self.0 == key.as_slice()
    }
}

#[cfg(not(feature = "nightly"))]
fn map<A: Api>(a: &A, steps: &[(bool, u32)]) {
    type Hasher = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;
    let mut m: hashbrown::HashMap<allocator_api2::vec::Vec<u8, A>, u32, Hasher, A> =
        hashbrown::HashMap::with_hasher_in(Hasher::default(), a.clone());
    let mut order = VecDeque::new();
    for &(pop, value) in steps {
        if pop && !m.is_empty() {
            while let Some(oldest) = order.pop_front() {
                let mut buf = [0; 16];
                if m.remove(&KeyRef(key_bytes(oldest, &mut buf))).is_some() {
                    break;
                }
            }
        } else {
            m.insert(key_in(a, value), value);
            order.push_back(value);
        }
    }
    black_box(&m);
}

#[cfg(feature = "nightly")]
fn map<A: Api>(a: &A, steps: &[(bool, u32)]) {
    let mut m = alloc::collections::BTreeMap::new_in(a.clone());
    for &(pop, value) in steps {
        if pop && !m.is_empty() {
            m.pop_first();
        } else {
            let mut buf = [0; 16];
            let mut key = alloc::vec::Vec::new_in(a.clone());
            key.extend_from_slice(key_bytes(value, &mut buf));
            m.insert(key, value);
        }
    }
    black_box(&m);
}

#[cfg(test)]
mod tests {
    use super::key_bytes;

    #[test]
    fn keys_are_decimal() {
        let mut buf = [0; 16];
        assert_eq!(key_bytes(0, &mut buf), b"key_0");
        assert_eq!(key_bytes(4_294_967_295, &mut buf), b"key_4294967295");
        assert_eq!(key_bytes(1050, &mut buf), b"key_1050");
    }
}
