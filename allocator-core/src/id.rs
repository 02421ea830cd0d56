//! ID allocators: small integers such as PIDs, IRQ vectors and ASIDs.

use crate::{AllocResult, BaseAllocator};

/// An allocator of integer IDs, singly or in aligned runs.
///
/// # Using
///
/// [`init`](BaseAllocator::init) and [`add_memory`](BaseAllocator::add_memory) give the IDs
/// `[start, start + size)`; there may be holes between such ranges. Alignments are counted in
/// IDs and must be powers of two (1 for none). Each ID is tracked on its own: a run may be
/// freed in parts. No method panics.
///
/// # Implementing
///
/// Every answer must match a plain set of allocated IDs: a run is handed out only if each of
/// its IDs is free and inside the given ranges, and the counts are exact.
pub trait IdAllocator: BaseAllocator {
    /// Allocates `count` consecutive IDs whose first is a multiple of `align_pow2`, and returns
    /// the first.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `count` is 0, or `align_pow2` is
    ///   not a power of two or beyond what the backend supports.
    /// - [`NoMemory`](crate::AllocError::NoMemory): no free run of that length and alignment.
    fn alloc_id(&mut self, count: usize, align_pow2: usize) -> AllocResult<usize>;

    /// Frees the `count` IDs starting at `start_id`.
    ///
    /// # Errors
    ///
    /// Nothing changes on error: either every ID is freed or none is.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `count` is 0, or an ID of the run
    ///   lies outside the allocator's ranges (or the run's end overflows).
    /// - [`NotAllocated`](crate::AllocError::NotAllocated): an ID of the run is not allocated.
    fn dealloc_id(&mut self, start_id: usize, count: usize) -> AllocResult;

    /// Whether `id` is allocated; `false` for IDs outside the allocator's ranges.
    fn is_allocated(&self, id: usize) -> bool;

    /// Allocates the single ID `id`.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `id` lies outside the allocator's
    ///   ranges.
    /// - [`NoMemory`](crate::AllocError::NoMemory): `id` is already allocated.
    fn alloc_fixed_id(&mut self, id: usize) -> AllocResult;

    /// The number of IDs in the allocator's ranges.
    fn size(&self) -> usize;

    /// The number of allocated IDs.
    fn used(&self) -> usize;

    /// `size() - used()`.
    fn available(&self) -> usize {
        self.size().saturating_sub(self.used())
    }
}

impl<T: IdAllocator + ?Sized> IdAllocator for &mut T {
    #[inline]
    fn alloc_id(&mut self, count: usize, align_pow2: usize) -> AllocResult<usize> {
        T::alloc_id(self, count, align_pow2)
    }

    #[inline]
    fn dealloc_id(&mut self, start_id: usize, count: usize) -> AllocResult {
        T::dealloc_id(self, start_id, count)
    }

    #[inline]
    fn is_allocated(&self, id: usize) -> bool {
        T::is_allocated(self, id)
    }

    #[inline]
    fn alloc_fixed_id(&mut self, id: usize) -> AllocResult {
        T::alloc_fixed_id(self, id)
    }

    #[inline]
    fn size(&self) -> usize {
        T::size(self)
    }

    #[inline]
    fn used(&self) -> usize {
        T::used(self)
    }

    #[inline]
    fn available(&self) -> usize {
        T::available(self)
    }
}
