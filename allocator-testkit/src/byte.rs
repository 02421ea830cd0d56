//! Checks for byte allocators ([`ByteAllocator`]).

mod contract;
mod model;
mod ops;
mod runner;

use core::ops::DerefMut;

use allocator_core::ByteAllocator;

pub use model::ByteModel;
pub use ops::{ByteOp, ByteShape};
pub use runner::{ByteRunner, RunStats};

use crate::{
    Owned,
    entropy::TestRng,
    failure::{CheckResult, Failure},
    memory::HostRegion,
};

/// Settings of [`check_byte_allocator`].
///
/// `Default` gives the full suite; under `cfg(miri)` every count and size is scaled down.
/// Change fields on a default value (`let mut c = ByteConfig::default(); c.ops = 10_000;`) or
/// chain the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ByteConfig {
    /// Operations of the random workload: 1,000,000 (Miri: 1,000).
    pub ops: u64,
    /// Seed of the random workload.
    pub seed: u64,
    /// Size of the region of the random workload and of the alignment checks: 128 MiB
    /// (Miri: 1 MiB).
    pub region_size: usize,
    /// Alignment of every region taken from the system allocator: 2 MiB (Miri: 4 KiB).
    pub region_align: usize,
    /// Size of the regions of the exhaustion, overlap and hole checks: 1 MiB (Miri: 128 KiB).
    pub small_region_size: usize,
    /// Largest size of the random workload: 64 KiB (Miri: 4 KiB).
    pub max_size: usize,
    /// Largest alignment of the random workload: 4096.
    pub max_align: usize,
    /// Largest alignment that every request must honour in the alignment check (larger ones
    /// may be refused with `InvalidParam` or `NoMemory`, but never misaligned): 1 MiB (Miri:
    /// 64 KiB).
    pub max_checked_align: usize,
    /// Most live blocks in the random workload: 4,096 (Miri: 32).
    pub max_live: usize,
}

impl Default for ByteConfig {
    fn default() -> Self {
        if cfg!(miri) {
            Self {
                ops: 1_000,
                seed: DEFAULT_SEED,
                region_size: 1 << 20,
                region_align: 4096,
                small_region_size: 128 << 10,
                max_size: 4 << 10,
                max_align: 4096,
                max_checked_align: 64 << 10,
                max_live: 32,
            }
        } else {
            Self {
                ops: 1_000_000,
                seed: DEFAULT_SEED,
                region_size: 128 << 20,
                region_align: 2 << 20,
                small_region_size: 1 << 20,
                max_size: 64 << 10,
                max_align: 4096,
                max_checked_align: 1 << 20,
                max_live: 4096,
            }
        }
    }
}

/// The seed every check uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 0x0a11_0ca7_0b5e_55ed;

impl ByteConfig {
    crate::common::config_setters!();

    /// Sets [`region_size`](Self::region_size).
    #[must_use]
    pub fn with_region_size(mut self, size: usize) -> Self {
        self.region_size = size;
        self
    }

    /// The shape of the random operations.
    #[must_use]
    pub fn shape(&self) -> ByteShape {
        ByteShape {
            max_size: self.max_size,
            max_align: self.max_align,
            max_live: self.max_live,
        }
    }
}

/// Runs every check on byte allocators made by `new`: the contract cases, then the random
/// workload. Each case gets a fresh allocator from `new`, with no memory yet.
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_byte_allocator<A: ByteAllocator>(
    mut new: impl FnMut() -> A,
    config: &ByteConfig,
) -> Result<(), Failure> {
    let mut make = || Owned(new());
    contract::run(&mut make, config)?;
    random(&mut make, config).map(|_| ())
}

/// As [`check_byte_allocator`], for allocators made on the heap (for large ones).
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_byte_allocator_boxed<A: ByteAllocator + ?Sized>(
    mut new: impl FnMut() -> Box<A>,
    config: &ByteConfig,
) -> Result<(), Failure> {
    contract::run(&mut new, config)?;
    random(&mut new, config).map(|_| ())
}

/// Only the contract cases of [`check_byte_allocator`].
///
/// # Errors
///
/// The first [`Failure`], with a check named `contract/...`.
pub fn check_byte_contract<A: ByteAllocator>(
    mut new: impl FnMut() -> A,
    config: &ByteConfig,
) -> Result<(), Failure> {
    contract::run(&mut || Owned(new()), config)
}

/// Only the random workload of [`check_byte_allocator`]: `config.ops` seeded operations in one
/// region of `config.region_size` bytes.
///
/// # Errors
///
/// The first [`Failure`], with a check named `random/<rule>`, the seed and the step.
pub fn check_byte_random<A: ByteAllocator>(
    mut new: impl FnMut() -> A,
    config: &ByteConfig,
) -> Result<RunStats, Failure> {
    random(&mut || Owned(new()), config)
}

fn random<A, H>(new: &mut impl FnMut() -> H, config: &ByteConfig) -> CheckResult<RunStats>
where
    A: ByteAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    let region = HostRegion::new(config.region_size, config.region_align);
    let mut alloc = new();
    // SAFETY: `region` is ours, valid for reads and writes, and outlives `alloc` (declared
    // before it) and every block (all freed by `finish` or leaked into it on failure).
    unsafe { alloc.init(region.start(), region.size()) }.map_err(|e| {
        Failure::new(
            "wrong-result",
            format!("init of a {} byte region failed: {e:?}", region.size()),
        )
        .within("random/init")
    })?;
    let mut model = ByteModel::new();
    model.add_region(region.start(), region.size());
    let shape = config.shape();
    let mut rng = TestRng::new(config.seed);
    let mut runner = ByteRunner::new(&mut *alloc, model, Some(config.seed));
    for _ in 0..config.ops {
        let op = shape.generate(&mut rng, runner.model());
        runner.apply(op)?;
    }
    runner.finish()
}
