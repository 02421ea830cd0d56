//! [`AllocatorRc`]: a shared handle to a byte allocator, for collections in a pool of their own.

use alloc::rc::Rc;
use core::cell::RefCell;
use core::fmt;

use allocator_core::{AllocError, AllocResult, ByteAllocator};

use crate::HeapStats;

/// A shared, single-threaded handle (`Rc<RefCell<A>>`) to a byte allocator, implementing
/// `allocator_api2::alloc::Allocator` (feature `allocator-api2`, stable Rust) and
/// `core::alloc::Allocator` (feature `allocator_api`, nightly Rust).
///
/// Clones are the same allocator: a block allocated through one may be freed through another.
///
/// - Zero-size requests get a dangling pointer aligned as asked, without touching the
///   backend; freeing such a block does not touch it either.
/// - `grow` and `shrink` go through [`ByteAllocator::realloc`] when the alignment stays the
///   same, and allocate, copy and free when it changes (`realloc` keeps the alignment).
/// - Nothing panics. If the allocator is reached while it is already borrowed (from inside a
///   closure given to [`with`](Self::with)), the request fails with an allocation error, and
///   a block freed there is leaked instead of freed.
///
/// # Soundness of the pool
///
/// The blocks handed out live in the pool, so the pool must outlive every block and every
/// handle. [`new`](Self::new) therefore takes a `&'static mut [u8]` (from `Box::leak`, a
/// `static`, or a linker-provided region); [`from_raw_region`](Self::from_raw_region) takes an
/// address and a size under an `unsafe` contract; [`from_allocator`](Self::from_allocator)
/// takes an allocator already given its memory (which its `unsafe` `init` already promised).
/// A borrowed pool is rejected at compile time:
///
/// ```compile_fail,E0597
/// use allocator::{AllocatorRc, ByteAllocator};
///
/// fn pool_on_the_stack<A: ByteAllocator>(backend: A) -> AllocatorRc<A> {
///     let mut pool = [0u8; 4096];
///     AllocatorRc::new(backend, &mut pool).unwrap() // `pool` does not live long enough
/// }
/// ```
///
/// The same with a leaked pool compiles:
///
/// ```
/// use allocator::{AllocatorRc, ByteAllocator};
///
/// fn pool_leaked<A: ByteAllocator>(backend: A) -> AllocatorRc<A> {
///     let pool = Box::leak(vec![0u8; 4096].into_boxed_slice());
///     AllocatorRc::new(backend, pool).unwrap()
/// }
/// ```
pub struct AllocatorRc<A: ByteAllocator> {
    heap: Rc<RefCell<A>>,
}

impl<A: ByteAllocator> AllocatorRc<A> {
    /// Gives `allocator` (which must be empty) the whole of `pool` and wraps it.
    ///
    /// # Errors
    ///
    /// The errors of [`BaseAllocator::init`](allocator_core::BaseAllocator::init) for the pool:
    /// [`InvalidParam`](AllocError::InvalidParam) for an empty pool, one the backend cannot use,
    /// or an allocator that already has memory; [`NoMemory`](AllocError::NoMemory) if the
    /// backend cannot track it.
    pub fn new(mut allocator: A, pool: &'static mut [u8]) -> AllocResult<Self> {
        // SAFETY: the pool is `'static` and exclusively borrowed for ever, so it is valid for
        // reads and writes, and used by nothing else, for as long as anything may use it.
        unsafe { allocator.init(pool.as_mut_ptr() as usize, pool.len()) }?;
        Ok(Self::from_allocator(allocator))
    }

    /// Gives `allocator` (which must be empty) the region `[start, start + size)` and wraps it.
    ///
    /// # Safety
    ///
    /// As for [`BaseAllocator::init`](allocator_core::BaseAllocator::init): the region is valid
    /// for reads and writes and used by nothing but this allocator and the holders of its
    /// blocks, for as long as any handle or any block is in use.
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub unsafe fn from_raw_region(
        mut allocator: A,
        start: usize,
        size: usize,
    ) -> AllocResult<Self> {
        // SAFETY: the caller keeps the contract of `init`, restated above.
        unsafe { allocator.init(start, size) }?;
        Ok(Self::from_allocator(allocator))
    }

    /// Wraps an allocator that was already given its memory (or has none yet: then every
    /// request fails until [`add_pool`](Self::add_pool) gives it some).
    ///
    /// This is safe because giving an allocator memory is the `unsafe` step, whose contract
    /// already covers every later use of the blocks.
    #[must_use]
    pub fn from_allocator(allocator: A) -> Self {
        Self {
            heap: Rc::new(RefCell::new(allocator)),
        }
    }

    /// Gives the allocator one more pool, with
    /// [`BaseAllocator::add_memory`](allocator_core::BaseAllocator::add_memory).
    ///
    /// # Errors
    ///
    /// The errors of `add_memory` ([`InvalidParam`](AllocError::InvalidParam),
    /// [`MemoryOverlap`](AllocError::MemoryOverlap), [`NoMemory`](AllocError::NoMemory)), and
    /// [`InvalidParam`](AllocError::InvalidParam) when called from inside [`with`](Self::with).
    pub fn add_pool(&self, pool: &'static mut [u8]) -> AllocResult {
        let mut heap = self
            .heap
            .try_borrow_mut()
            .map_err(|_| AllocError::InvalidParam)?;
        // SAFETY: as in `new`: the pool is `'static` and exclusively ours.
        unsafe { heap.add_memory(pool.as_mut_ptr() as usize, pool.len()) }
    }

    /// Runs `f` on the allocator, for anything the handle does not offer.
    ///
    /// Do not allocate through this handle inside `f`: such requests fail (and blocks freed
    /// there leak), since the allocator is borrowed.
    ///
    /// # Errors
    ///
    /// [`InvalidParam`](AllocError::InvalidParam) when called from inside another `with`
    /// (`f` is not run).
    pub fn with<T>(&self, f: impl FnOnce(&mut A) -> T) -> AllocResult<T> {
        let mut heap = self
            .heap
            .try_borrow_mut()
            .map_err(|_| AllocError::InvalidParam)?;
        Ok(f(&mut heap))
    }

    /// The allocator's statistics now.
    ///
    /// # Errors
    ///
    /// [`InvalidParam`](AllocError::InvalidParam) when called from inside [`with`](Self::with).
    pub fn stats(&self) -> AllocResult<HeapStats> {
        let heap = self
            .heap
            .try_borrow()
            .map_err(|_| AllocError::InvalidParam)?;
        Ok(HeapStats::of(&*heap))
    }
}

impl<A: ByteAllocator> Clone for AllocatorRc<A> {
    fn clone(&self) -> Self {
        Self {
            heap: Rc::clone(&self.heap),
        }
    }
}

impl<A: ByteAllocator> fmt::Debug for AllocatorRc<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AllocatorRc");
        match self.stats() {
            Ok(stats) => d.field("stats", &stats),
            Err(_) => d.field("stats", &"<in use>"),
        };
        d.finish_non_exhaustive()
    }
}

#[cfg(any(feature = "allocator-api2", feature = "allocator_api"))]
impl<A: ByteAllocator> crate::api::HeapAccess for AllocatorRc<A> {
    type Heap = A;

    #[inline]
    fn with_heap<T>(&self, f: impl FnOnce(&mut A) -> AllocResult<T>) -> AllocResult<T> {
        // A heap already borrowed means re-entrancy from `with`: an error, never a panic.
        let mut heap = self
            .heap
            .try_borrow_mut()
            .map_err(|_| AllocError::InvalidParam)?;
        f(&mut heap)
    }
}

#[cfg(feature = "allocator-api2")]
#[cfg_attr(docsrs, doc(cfg(feature = "allocator-api2")))]
// SAFETY: blocks come from `A`, which promises they are valid, aligned, disjoint and of the
// requested size (`ByteAllocator` rules 1 to 5) in memory that outlives every handle (the
// constructors' contracts); zero-size blocks are dangling but aligned and never dereferenced;
// clones share one `A`, so a block may be freed through any clone.
unsafe impl<A: ByteAllocator> allocator_api2::alloc::Allocator for AllocatorRc<A> {
    crate::api::allocator_methods!(allocator_api2::alloc::AllocError);
}

#[cfg(feature = "allocator_api")]
#[cfg_attr(docsrs, doc(cfg(feature = "allocator_api")))]
// SAFETY: as for the `allocator_api2` impl above.
unsafe impl<A: ByteAllocator> core::alloc::Allocator for AllocatorRc<A> {
    crate::api::allocator_methods!(core::alloc::AllocError);
}
