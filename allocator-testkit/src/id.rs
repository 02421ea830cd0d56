//! Checks for ID allocators ([`IdAllocator`]).

use core::ops::DerefMut;

use allocator_core::{AllocResult, IdAllocator};

use crate::{
    Owned,
    byte::{DEFAULT_SEED, RunStats},
    failure::Failure,
    units::{self, Setup, UnitModel, UnitRunner, runner::Target},
};

/// Settings of [`check_id_allocator`]. All sizes are counts of IDs.
///
/// The window is the range of IDs the allocator can represent once its first range starts at
/// `window_start`; the checks give ranges inside it and expect ranges reaching outside it to be
/// refused with `InvalidParam` (unless `check_window_limit` is off). The default suits
/// `allocator_bitmap::BitmapIdAllocator` with its default capacity: IDs `0..4096`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdConfig {
    /// Operations of the random workload: 100,000 (Miri: 500).
    pub ops: u64,
    /// Seed of the random workload.
    pub seed: u64,
    /// First ID of the window: 0.
    pub window_start: usize,
    /// IDs in the window: 4,096.
    pub window_size: usize,
    /// IDs given in the alignment and exhaustion cases: 4,096 (Miri: 256). A multiple of 4.
    pub contract_size: usize,
    /// IDs over which the ranges of the random workload spread: 4,096 (Miri: 256).
    pub random_size: usize,
    /// The largest alignment the allocator honours; larger ones must give `InvalidParam`. By
    /// default every power of two (`1 << (usize::BITS - 1)`): an alignment with no aligned
    /// free run gives `NoMemory`.
    pub max_align: usize,
    /// The largest alignment of the random workload: 64 (Miri: 16).
    pub random_max_align: usize,
    /// The longest run of the random workload: 64 IDs (Miri: 16).
    pub max_run: usize,
    /// Whether ranges reaching outside the window must be refused (`true`).
    pub check_window_limit: bool,
}

impl Default for IdConfig {
    fn default() -> Self {
        let miri = cfg!(miri);
        Self {
            ops: if miri { 500 } else { 100_000 },
            seed: DEFAULT_SEED,
            window_start: 0,
            window_size: 4096,
            contract_size: if miri { 256 } else { 4096 },
            random_size: if miri { 256 } else { 4096 },
            max_align: 1 << (usize::BITS - 1),
            random_max_align: if miri { 16 } else { 64 },
            max_run: if miri { 16 } else { 64 },
            check_window_limit: true,
        }
    }
}

impl IdConfig {
    crate::common::config_setters!(window);

    fn setup(&self) -> Setup {
        Setup {
            base: self.window_start,
            window: self.window_size,
            scale: 1,
            max_align: self.max_align,
            contract_size: self.contract_size,
            random_size: self.random_size,
            check_window_limit: self.check_window_limit,
            ids: true,
            max_run: self.max_run,
            random_max_align: self.random_max_align,
        }
    }
}

/// An ID allocator seen through the common [`Target`] calls.
struct Ids<H>(H);

impl<A: IdAllocator + ?Sized, H: DerefMut<Target = A>> Target for Ids<H> {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is `init`'s.
        unsafe { self.0.init(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is `add_memory`'s.
        unsafe { self.0.add_memory(start, size) }
    }

    fn alloc(&mut self, count: usize, align: usize) -> AllocResult<usize> {
        self.0.alloc_id(count, align)
    }

    fn alloc_at(&mut self, at: usize, _count: usize, _align: usize) -> AllocResult<usize> {
        self.0.alloc_fixed_id(at).map(|()| at)
    }

    fn dealloc(&mut self, at: usize, count: usize) -> AllocResult {
        self.0.dealloc_id(at, count)
    }

    fn query(&self, at: usize) -> Option<bool> {
        Some(self.0.is_allocated(at))
    }

    fn counts(&self) -> (usize, usize, usize) {
        (self.0.size(), self.0.used(), self.0.available())
    }
}

impl<H> core::fmt::Debug for Ids<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ids")
    }
}

/// Runs every check on ID allocators made by `new`: the contract cases (each on a fresh
/// allocator), then the random workload, every answer and count judged by an exact model.
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_id_allocator<A: IdAllocator>(
    mut new: impl FnMut() -> A,
    config: &IdConfig,
) -> Result<(), Failure> {
    check_id_allocator_boxed(|| Owned(new()), config)
}

/// As [`check_id_allocator`], for allocators too large for the stack: `new` returns anything
/// that derefs to the allocator, such as a `Box`.
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_id_allocator_boxed<A, H>(
    mut new: impl FnMut() -> H,
    config: &IdConfig,
) -> Result<(), Failure>
where
    A: IdAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    units::check(|| Ids(new()), &config.setup(), config.ops, config.seed)
}

/// Only the contract cases of [`check_id_allocator`].
///
/// # Errors
///
/// The first [`Failure`], with a check named `contract/...`.
pub fn check_id_contract<A: IdAllocator>(
    mut new: impl FnMut() -> A,
    config: &IdConfig,
) -> Result<(), Failure> {
    units::contract::run(&mut || Ids(Owned(new())), &config.setup())
}

/// Only the random workload of [`check_id_allocator`].
///
/// # Errors
///
/// The first [`Failure`], with a check named `random/<rule>`, the seed and the step.
pub fn check_id_random<A: IdAllocator>(
    mut new: impl FnMut() -> A,
    config: &IdConfig,
) -> Result<RunStats, Failure> {
    units::random(Ids(Owned(new())), &config.setup(), config.ops, config.seed)
}

/// Runs ID operations decoded from a fuzzer's bytes on a fresh allocator from `new`, in the
/// ranges of the random workload of `config`, then frees everything.
///
/// # Errors
///
/// The first [`Failure`] (with the step; no seed).
pub fn fuzz_id_allocator<A: IdAllocator + ?Sized, H: DerefMut<Target = A>>(
    new: impl FnOnce() -> H,
    config: &IdConfig,
    data: &[u8],
) -> Result<RunStats, Failure> {
    units::fuzz(Ids(new()), &config.setup(), data)
}

/// Applies [`UnitOp`](crate::UnitOp)s to an ID allocator, judging every answer and count with a
/// [`UnitModel`] (values are IDs; `AllocAt` is `alloc_fixed_id`, `Query` is `is_allocated`).
#[derive(Debug)]
pub struct IdRunner<'a, A: IdAllocator + ?Sized> {
    inner: UnitRunner<Ids<&'a mut A>>,
}

impl<'a, A: IdAllocator + ?Sized> IdRunner<'a, A> {
    /// A runner for `alloc` in the state `model` describes (typically both without IDs; a
    /// model from `UnitModel::new(window_start, 1, ids, max_align)`).
    pub fn new(alloc: &'a mut A, model: UnitModel, seed: Option<u64>) -> Self {
        Self {
            inner: UnitRunner::new(Ids(alloc), model, seed),
        }
    }

    crate::common::unit_runner_methods!();
}
