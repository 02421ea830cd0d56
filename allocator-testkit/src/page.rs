//! Checks for page allocators ([`PageAllocator`]).

use core::ops::DerefMut;

use allocator_core::{AllocResult, PageAllocator};

use crate::{
    Owned,
    byte::{DEFAULT_SEED, RunStats},
    failure::Failure,
    units::{self, Setup, UnitModel, UnitRunner, runner::Target},
};

/// Settings of [`check_page_allocator`]. All sizes are in bytes.
///
/// The window is the range of addresses the allocator can represent once its first region
/// starts at `window_start`; the checks give regions inside it, and expect regions reaching
/// outside it to be refused with `InvalidParam` (unless `check_window_limit` is off). The
/// default suits `allocator_bitmap::BitmapPageAllocator<4096>` with its default capacity: a
/// 256 MiB window at 1 GiB.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageConfig {
    /// Operations of the random workload: 100,000 (Miri: 500).
    pub ops: u64,
    /// Seed of the random workload.
    pub seed: u64,
    /// Start of the window: `0x4000_0000` (1 GiB, so that every alignment up to 1 GiB fits).
    pub window_start: usize,
    /// Size of the window: 256 MiB.
    pub window_size: usize,
    /// Bytes given to the allocator in the alignment and exhaustion cases: 256 MiB (Miri:
    /// 2 MiB). Must be a multiple of four pages.
    pub contract_size: usize,
    /// Bytes over which the regions of the random workload spread: 16 MiB (Miri: 1 MiB).
    pub random_size: usize,
    /// The largest alignment the allocator honours: 1 GiB. Larger ones must give
    /// `InvalidParam`.
    pub max_align: usize,
    /// The largest alignment of the random workload: 4 MiB (Miri: 64 KiB).
    pub random_max_align: usize,
    /// The longest run of the random workload: 256 pages (Miri: 16).
    pub max_run: usize,
    /// Whether regions reaching outside the window must be refused (`true`).
    pub check_window_limit: bool,
}

impl Default for PageConfig {
    fn default() -> Self {
        let miri = cfg!(miri);
        Self {
            ops: if miri { 500 } else { 100_000 },
            seed: DEFAULT_SEED,
            window_start: 0x4000_0000,
            window_size: 256 << 20,
            contract_size: if miri { 2 << 20 } else { 256 << 20 },
            random_size: if miri { 1 << 20 } else { 16 << 20 },
            max_align: 1 << 30,
            random_max_align: if miri { 64 << 10 } else { 4 << 20 },
            max_run: if miri { 16 } else { 256 },
            check_window_limit: true,
        }
    }
}

impl PageConfig {
    crate::common::config_setters!(window);

    fn setup(&self, page_size: usize) -> Setup {
        Setup {
            base: self.window_start,
            window: self.window_size,
            scale: page_size,
            max_align: self.max_align,
            contract_size: self.contract_size,
            random_size: self.random_size,
            check_window_limit: self.check_window_limit,
            ids: false,
            max_run: self.max_run,
            random_max_align: self.random_max_align,
        }
    }
}

/// A page allocator seen through the common [`Target`] calls.
struct Pages<H>(H);

impl<A: PageAllocator + ?Sized, H: DerefMut<Target = A>> Target for Pages<H> {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is `init`'s.
        unsafe { self.0.init(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is `add_memory`'s.
        unsafe { self.0.add_memory(start, size) }
    }

    fn alloc(&mut self, count: usize, align: usize) -> AllocResult<usize> {
        self.0.alloc_pages(count, align)
    }

    fn alloc_at(&mut self, at: usize, count: usize, align: usize) -> AllocResult<usize> {
        self.0.alloc_pages_at(at, count, align)
    }

    fn dealloc(&mut self, at: usize, count: usize) -> AllocResult {
        self.0.dealloc_pages(at, count)
    }

    fn query(&self, _: usize) -> Option<bool> {
        None
    }

    fn counts(&self) -> (usize, usize, usize) {
        (
            self.0.total_pages(),
            self.0.used_pages(),
            self.0.available_pages(),
        )
    }
}

impl<H> core::fmt::Debug for Pages<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pages")
    }
}

/// Runs every check on page allocators made by `new`: the contract cases (each on a fresh
/// allocator), then the random workload, every answer and count judged by an exact model.
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_page_allocator<A: PageAllocator>(
    mut new: impl FnMut() -> A,
    config: &PageConfig,
) -> Result<(), Failure> {
    check_page_allocator_boxed(|| Owned(new()), config)
}

/// As [`check_page_allocator`], for allocators too large for the stack: `new` returns anything
/// that derefs to the allocator, such as a `Box` (make it with `Box::new_uninit` or a `static`
/// slot rather than `Box::new(T::new())`, which builds the value on the stack first).
///
/// # Errors
///
/// The first [`Failure`].
pub fn check_page_allocator_boxed<A, H>(
    mut new: impl FnMut() -> H,
    config: &PageConfig,
) -> Result<(), Failure>
where
    A: PageAllocator + ?Sized,
    H: DerefMut<Target = A>,
{
    let setup = config.setup(A::PAGE_SIZE);
    units::check(|| Pages(new()), &setup, config.ops, config.seed)
}

/// Only the contract cases of [`check_page_allocator`].
///
/// # Errors
///
/// The first [`Failure`], with a check named `contract/...`.
pub fn check_page_contract<A: PageAllocator>(
    mut new: impl FnMut() -> A,
    config: &PageConfig,
) -> Result<(), Failure> {
    units::contract::run(&mut || Pages(Owned(new())), &config.setup(A::PAGE_SIZE))
}

/// Only the random workload of [`check_page_allocator`].
///
/// # Errors
///
/// The first [`Failure`], with a check named `random/<rule>`, the seed and the step.
pub fn check_page_random<A: PageAllocator>(
    mut new: impl FnMut() -> A,
    config: &PageConfig,
) -> Result<RunStats, Failure> {
    units::random(
        Pages(Owned(new())),
        &config.setup(A::PAGE_SIZE),
        config.ops,
        config.seed,
    )
}

/// Runs page operations decoded from a fuzzer's bytes on a fresh allocator from `new`, in the
/// regions of the random workload of `config`, then frees everything.
///
/// # Errors
///
/// The first [`Failure`] (with the step; no seed).
pub fn fuzz_page_allocator<A: PageAllocator + ?Sized, H: DerefMut<Target = A>>(
    new: impl FnOnce() -> H,
    config: &PageConfig,
    data: &[u8],
) -> Result<RunStats, Failure> {
    units::fuzz(Pages(new()), &config.setup(A::PAGE_SIZE), data)
}

/// Applies [`UnitOp`](crate::UnitOp)s to a page allocator, judging every answer and count with a
/// [`UnitModel`] (values are addresses, counts pages, alignments bytes).
#[derive(Debug)]
pub struct PageRunner<'a, A: PageAllocator + ?Sized> {
    inner: UnitRunner<Pages<&'a mut A>>,
}

impl<'a, A: PageAllocator + ?Sized> PageRunner<'a, A> {
    /// A runner for `alloc` in the state `model` describes (typically both without memory; a
    /// model from `UnitModel::new(window_start, A::PAGE_SIZE, pages, max_align)`).
    pub fn new(alloc: &'a mut A, model: UnitModel, seed: Option<u64>) -> Self {
        Self {
            inner: UnitRunner::new(Pages(alloc), model, seed),
        }
    }

    crate::common::unit_runner_methods!();
}
