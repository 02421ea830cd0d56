//! [`Locked`]: a byte allocator behind a lock, for `#[global_allocator]` and shared use.

use core::alloc::{GlobalAlloc, Layout};
use core::fmt;
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use allocator_core::{AllocError, AllocResult, ByteAllocator};
pub use lock_api;
use lock_api::{Mutex, MutexGuard, RawMutex};

use crate::HeapStats;

/// The default lock of [`Locked`]: a test-and-set spin lock from the `spin` crate
/// (`spin::mutex::SpinMutex<()>` through its `lock_api` support), which works anywhere,
/// `no_std` included.
///
/// It does not mask interrupts: a kernel that allocates from interrupt handlers needs its own
/// lock (see [`Locked`]).
pub type SpinRawMutex = spin::mutex::SpinMutex<()>;

/// A byte allocator behind a lock: a `#[global_allocator]`, or a heap shared between threads.
///
/// - `Locked::new` is a `const fn`, so it can sit in a `static`; the heap gets its memory later
///   with [`init`](Self::init) (once) and [`add_memory`](Self::add_memory).
/// - It implements [`GlobalAlloc`] (`alloc`, `dealloc`, `alloc_zeroed`, and `realloc` through
///   [`ByteAllocator::realloc`]), returning null on any error, and, for `&Locked`,
///   `allocator_api2::alloc::Allocator` (feature `allocator-api2`) and `core::alloc::Allocator`
///   (feature `allocator_api`, nightly).
/// - Before `init`, every request fails (null or an error) without taking the lock or touching
///   any memory.
/// - Nothing inside the lock panics (the backends promise it, and this wrapper adds no panics),
///   so the lock is never held by an unwinding thread. The lock has no poisoning: a panic in
///   user code, with or without the lock held by [`with`](Self::with) (whose guard unlocks on
///   unwinding), leaves the heap usable.
/// - The statistics ([`stats`](Self::stats), [`used_bytes`](Self::used_bytes), ...) are read
///   without the lock, from a copy refreshed after every operation; they never wait, so an
///   out-of-memory or interrupt handler can read them while another CPU holds the lock.
///
/// ```
/// use allocator::{AllocResult, ByteAllocator, Locked};
///
/// // Any byte allocator with a `const fn new()`, for example `allocator::TlsfByteAllocator`:
/// // #[global_allocator]
/// // static HEAP: Locked<TlsfByteAllocator> = Locked::new(TlsfByteAllocator::new());
///
/// fn heap_figures<A: ByteAllocator>(heap: &Locked<A>) -> (usize, usize) {
///     let stats = heap.stats(); // no lock taken
///     (stats.used_bytes, stats.total_bytes)
/// }
///
/// fn free_space<A: ByteAllocator>(heap: &Locked<A>) -> usize {
///     heap.with(|a| a.available_bytes()) // anything else the backend offers, under the lock
/// }
/// ```
///
/// # A kernel's own lock
///
/// With a plain spin lock, an interrupt handler that allocates while the interrupted code
/// holds the heap's lock on the same CPU spins for ever: the holder cannot run again until the
/// handler returns. A kernel therefore plugs in a lock that masks interrupts while held. Any
/// `lock_api::RawMutex` works (re-exported as [`lock_api`]):
///
/// ```
/// use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
/// use allocator::lock::lock_api::{GuardNoSend, RawMutex};
///
/// // The kernel's interrupt masking; these stand in for, e.g., `pushf; cli` and `popf` on x86.
/// fn irq_save() -> usize { 0 /* read and clear the interrupt flag, return the old flags */ }
/// fn irq_restore(_flags: usize) { /* put the old flags back */ }
///
/// /// A spin lock that keeps interrupts masked on this CPU while it is held.
/// pub struct IrqSpinLock {
///     locked: AtomicBool,
///     saved_flags: AtomicUsize,
/// }
///
/// // SAFETY: `locked` is taken with an Acquire compare-exchange and released with a Release
/// // store, so one holder at a time and its writes are seen by the next; the guard is not
/// // `Send`, since the saved flags belong to the CPU that locked.
/// unsafe impl RawMutex for IrqSpinLock {
///     const INIT: Self = Self { locked: AtomicBool::new(false), saved_flags: AtomicUsize::new(0) };
///     type GuardMarker = GuardNoSend;
///
///     fn lock(&self) {
///         loop {
///             let flags = irq_save(); // mask first: no handler can run on this CPU from here
///             if self.try_lock_with(flags) {
///                 return;
///             }
///             irq_restore(flags); // let interrupts in while we wait
///             while self.locked.load(Ordering::Relaxed) {
///                 core::hint::spin_loop();
///             }
///         }
///     }
///
///     fn try_lock(&self) -> bool {
///         let flags = irq_save();
///         let locked = self.try_lock_with(flags);
///         if !locked {
///             irq_restore(flags);
///         }
///         locked
///     }
///
///     unsafe fn unlock(&self) {
///         let flags = self.saved_flags.load(Ordering::Relaxed);
///         self.locked.store(false, Ordering::Release);
///         irq_restore(flags); // unmask last
///     }
/// }
///
/// impl IrqSpinLock {
///     fn try_lock_with(&self, flags: usize) -> bool {
///         let won = self
///             .locked
///             .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
///             .is_ok();
///         if won {
///             self.saved_flags.store(flags, Ordering::Relaxed);
///         }
///         won
///     }
/// }
///
/// // #[global_allocator]
/// // static HEAP: allocator::Locked<allocator::TlsfByteAllocator, IrqSpinLock> =
/// //     allocator::Locked::new(allocator::TlsfByteAllocator::new());
/// # struct Empty;
/// # impl allocator::BaseAllocator for Empty {
/// #     unsafe fn init(&mut self, _: usize, _: usize) -> allocator::AllocResult { Err(allocator::AllocError::InvalidParam) }
/// #     unsafe fn add_memory(&mut self, _: usize, _: usize) -> allocator::AllocResult { Err(allocator::AllocError::InvalidParam) }
/// # }
/// # // SAFETY: never hands out a block.
/// # unsafe impl allocator::ByteAllocator for Empty {
/// #     fn alloc(&mut self, _: core::alloc::Layout) -> allocator::AllocResult<core::ptr::NonNull<u8>> { Err(allocator::AllocError::NoMemory) }
/// #     unsafe fn dealloc(&mut self, _: core::ptr::NonNull<u8>, _: core::alloc::Layout) {}
/// #     fn total_bytes(&self) -> usize { 0 }
/// #     fn used_bytes(&self) -> usize { 0 }
/// # }
/// static HEAP: allocator::Locked<Empty, IrqSpinLock> = allocator::Locked::new(Empty);
/// assert!(!HEAP.is_initialized());
/// assert_eq!(HEAP.with(|heap| allocator::ByteAllocator::used_bytes(heap)), 0);
/// ```
///
/// Do not allocate from the same `Locked` inside [`with`](Self::with): the lock is held there,
/// and a non-reentrant lock deadlocks.
pub struct Locked<A, R: RawMutex = SpinRawMutex> {
    heap: Mutex<R, A>,
    /// Set once the heap has memory; read without the lock on every request.
    ready: AtomicBool,
    /// Copies of the heap's statistics, written under the lock after every operation.
    total: AtomicUsize,
    used: AtomicUsize,
}

impl<A, R: RawMutex> Locked<A, R> {
    /// Wraps `heap`, which gets its memory later from [`init`](Self::init).
    #[must_use]
    pub const fn new(heap: A) -> Self {
        Self {
            heap: Mutex::const_new(R::INIT, heap),
            ready: AtomicBool::new(false),
            total: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
        }
    }

    /// Unwraps the heap.
    pub fn into_inner(self) -> A {
        self.heap.into_inner()
    }
}

impl<A: ByteAllocator, R: RawMutex> Locked<A, R> {
    /// Gives the heap its first region, `[start, start + size)`; until then every request
    /// fails.
    ///
    /// # Safety
    ///
    /// As for [`BaseAllocator::init`](allocator_core::BaseAllocator::init): the region is
    /// handed over, valid for reads and writes, and used by nothing but this heap and the
    /// holders of its blocks for as long as the heap or any block is in use (for a global
    /// allocator: for the rest of the program).
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](AllocError::InvalidParam): the heap was already initialised, or as
    ///   for the backend's `init` (empty region, overflow, nothing usable).
    /// - [`NoMemory`](AllocError::NoMemory): the backend cannot track the region.
    pub unsafe fn init(&self, start: usize, size: usize) -> AllocResult {
        let mut heap = self.heap.lock();
        if self.ready.load(Ordering::Relaxed) {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller keeps the contract of `init`, restated above.
        let result = unsafe { heap.init(start, size) };
        self.refresh(&heap);
        if result.is_ok() {
            self.ready.store(true, Ordering::Release);
        }
        result
    }

    /// Gives the heap one more region (the first one if it has none yet).
    ///
    /// # Safety
    ///
    /// As for [`init`](Self::init).
    ///
    /// # Errors
    ///
    /// As for [`BaseAllocator::add_memory`](allocator_core::BaseAllocator::add_memory):
    /// [`InvalidParam`](AllocError::InvalidParam), [`MemoryOverlap`](AllocError::MemoryOverlap)
    /// or [`NoMemory`](AllocError::NoMemory); nothing changes on error.
    pub unsafe fn add_memory(&self, start: usize, size: usize) -> AllocResult {
        let mut heap = self.heap.lock();
        // SAFETY: the caller keeps the contract of `add_memory`, restated above.
        let result = unsafe { heap.add_memory(start, size) };
        self.refresh(&heap);
        if result.is_ok() {
            self.ready.store(true, Ordering::Release);
        }
        result
    }

    /// Whether the heap has been given memory.
    pub fn is_initialized(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Locks the heap for direct access; the statistics are refreshed when the guard drops.
    ///
    /// Do not allocate from this `Locked` while holding the guard (deadlock).
    pub fn lock(&self) -> LockedGuard<'_, A, R> {
        LockedGuard {
            owner: self,
            guard: self.heap.lock(),
        }
    }

    /// Runs `f` on the locked heap, and unlocks when `f` returns or unwinds.
    ///
    /// Do not allocate from this `Locked` inside `f` (deadlock).
    pub fn with<T>(&self, f: impl FnOnce(&mut A) -> T) -> T {
        f(&mut self.lock())
    }

    /// The heap's statistics after the latest operation, read without taking the lock.
    ///
    /// Each figure is exact as of a recent operation; for a set taken at one instant, read
    /// them inside [`with`](Self::with).
    pub fn stats(&self) -> HeapStats {
        let total_bytes = self.total_bytes();
        let used_bytes = self.used_bytes();
        HeapStats {
            total_bytes,
            used_bytes,
            available_bytes: total_bytes.saturating_sub(used_bytes),
        }
    }

    /// [`ByteAllocator::total_bytes`] after the latest operation, without taking the lock.
    pub fn total_bytes(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// [`ByteAllocator::used_bytes`] after the latest operation, without taking the lock.
    pub fn used_bytes(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// [`ByteAllocator::available_bytes`] after the latest operation, without taking the lock.
    pub fn available_bytes(&self) -> usize {
        self.stats().available_bytes
    }

    /// Copies the heap's statistics out; called with the lock held.
    #[inline]
    fn refresh(&self, heap: &A) {
        let total = heap.total_bytes();
        self.total.store(total, Ordering::Relaxed);
        self.used.store(heap.used_bytes(), Ordering::Relaxed);
        if total > 0 && !self.ready.load(Ordering::Relaxed) {
            self.ready.store(true, Ordering::Release);
        }
    }

    /// Runs one operation on the heap, if it has memory.
    #[inline]
    fn run<T>(&self, f: impl FnOnce(&mut A) -> AllocResult<T>) -> AllocResult<T> {
        if !self.ready.load(Ordering::Acquire) {
            return Err(AllocError::NoMemory);
        }
        let mut heap = self.heap.lock();
        let result = f(&mut heap);
        self.refresh(&heap);
        result
    }

    /// Allocates a block for `layout` (of any size, 0 included) from the locked heap.
    ///
    /// # Errors
    ///
    /// [`NoMemory`](AllocError::NoMemory) before [`init`](Self::init); otherwise as for
    /// [`ByteAllocator::alloc`].
    pub fn alloc_block(&self, layout: Layout) -> AllocResult<NonNull<u8>> {
        self.run(|heap| heap.alloc(layout))
    }

    /// Frees a block from [`alloc_block`](Self::alloc_block) or
    /// [`realloc_block`](Self::realloc_block).
    ///
    /// # Safety
    ///
    /// As for [`ByteAllocator::dealloc`].
    pub unsafe fn dealloc_block(&self, pos: NonNull<u8>, layout: Layout) {
        // A block exists only if the heap is ready, so `run` always runs `f` here.
        let _ = self.run(|heap| {
            // SAFETY: the caller keeps the contract of `dealloc`.
            unsafe { heap.dealloc(pos, layout) };
            Ok(())
        });
    }

    /// Resizes a block, keeping its alignment, through [`ByteAllocator::realloc`].
    ///
    /// # Safety
    ///
    /// As for [`ByteAllocator::realloc`].
    ///
    /// # Errors
    ///
    /// As for [`ByteAllocator::realloc`]; the old block is untouched on error.
    pub unsafe fn realloc_block(
        &self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        // SAFETY: the caller keeps the contract of `realloc`.
        self.run(|heap| unsafe { heap.realloc(pos, old, new_size) })
    }
}

impl<A: ByteAllocator + Default, R: RawMutex> Default for Locked<A, R> {
    fn default() -> Self {
        Self::new(A::default())
    }
}

impl<A, R: RawMutex> fmt::Debug for Locked<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locked")
            .field("ready", &self.ready.load(Ordering::Relaxed))
            .field("total_bytes", &self.total.load(Ordering::Relaxed))
            .field("used_bytes", &self.used.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The guard of [`Locked::lock`]: the heap, locked; unlocks (after refreshing the statistics)
/// when dropped.
pub struct LockedGuard<'a, A: ByteAllocator, R: RawMutex = SpinRawMutex> {
    owner: &'a Locked<A, R>,
    guard: MutexGuard<'a, R, A>,
}

impl<A: ByteAllocator, R: RawMutex> Deref for LockedGuard<'_, A, R> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.guard
    }
}

impl<A: ByteAllocator, R: RawMutex> DerefMut for LockedGuard<'_, A, R> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.guard
    }
}

impl<A: ByteAllocator, R: RawMutex> Drop for LockedGuard<'_, A, R> {
    fn drop(&mut self) {
        // Still locked here: the inner guard drops after this body.
        self.owner.refresh(&self.guard);
    }
}

impl<A: ByteAllocator, R: RawMutex> fmt::Debug for LockedGuard<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockedGuard")
            .field("stats", &HeapStats::of(&*self.guard))
            .finish()
    }
}

// SAFETY: every block comes from `A`, which promises it lies in the memory given by `init`,
// is aligned, disjoint from other live blocks and of the requested size (`ByteAllocator` rules
// 1 to 5); the lock gives one caller at a time `&mut A`; errors become null; nothing here
// panics or unwinds while the lock is held.
unsafe impl<A: ByteAllocator, R: RawMutex> GlobalAlloc for Locked<A, R> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.alloc_block(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(pos) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `alloc`/`realloc` with `layout` (GlobalAlloc contract),
            // which are `alloc_block`/`realloc_block`.
            unsafe { self.dealloc_block(pos, layout) };
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.alloc_block(layout) {
            Ok(pos) => {
                // SAFETY: a fresh block of at least `layout.size()` bytes, ours alone.
                unsafe { pos.as_ptr().write_bytes(0, layout.size()) };
                pos.as_ptr()
            }
            Err(_) => ptr::null_mut(),
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(pos) = NonNull::new(ptr) else {
            return ptr::null_mut();
        };
        // SAFETY: `ptr` is live with `layout` (GlobalAlloc contract); `realloc` keeps
        // `layout.align()`, as `GlobalAlloc::realloc` requires.
        unsafe { self.realloc_block(pos, layout, new_size) }
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }
}

#[cfg(any(feature = "allocator-api2", feature = "allocator_api"))]
impl<A: ByteAllocator, R: RawMutex> crate::api::HeapAccess for Locked<A, R> {
    type Heap = A;

    #[inline]
    fn with_heap<T>(&self, f: impl FnOnce(&mut A) -> AllocResult<T>) -> AllocResult<T> {
        self.run(f)
    }
}

#[cfg(feature = "allocator-api2")]
#[cfg_attr(docsrs, doc(cfg(feature = "allocator-api2")))]
// SAFETY: blocks come from `A` under the lock, with its promises (`ByteAllocator` rules 1 to 5),
// in memory that outlives the `Locked` (the contract of `init`); zero-size blocks are dangling
// but aligned and never dereferenced; copies of the reference are the same allocator.
unsafe impl<A: ByteAllocator, R: RawMutex> allocator_api2::alloc::Allocator for &Locked<A, R> {
    crate::api::allocator_methods!(allocator_api2::alloc::AllocError);
}

#[cfg(feature = "allocator_api")]
#[cfg_attr(docsrs, doc(cfg(feature = "allocator_api")))]
// SAFETY: as for the `allocator_api2` impl above.
unsafe impl<A: ByteAllocator, R: RawMutex> core::alloc::Allocator for &Locked<A, R> {
    crate::api::allocator_methods!(core::alloc::AllocError);
}
