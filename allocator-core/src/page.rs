//! Page allocators: runs of fixed-size pages, handed out as addresses.

use crate::{AllocResult, BaseAllocator};

/// An allocator of runs of `PAGE_SIZE`-byte pages.
///
/// # Using
///
/// Pages are addresses, not memory: the allocator never reads or writes them, so allocating
/// and freeing are safe calls. Allocating gives you the pages to use as your own (by unsafe
/// code of yours that turns the address into memory); [`dealloc_pages`](Self::dealloc_pages)
/// gives them back, and you must not use them afterwards. Each page is tracked on its own: a
/// run may be freed in parts.
///
/// Every `align_pow2` is in bytes: a power of two and a multiple of
/// [`PAGE_SIZE`](Self::PAGE_SIZE). No method panics.
///
/// # Implementing
///
/// Check the whole run (range, alignment, every page free or allocated as required) before
/// changing anything, so that a failed call changes nothing. `allocator-testkit` checks every
/// answer and count against a model.
///
/// # Safety
///
/// This is an `unsafe trait` because generic unsafe code (a heap that grows from a page
/// allocator) turns the returned addresses into memory. By implementing it you promise that
/// every run returned by [`alloc_pages`](Self::alloc_pages) or
/// [`alloc_pages_at`](Self::alloc_pages_at) lies inside memory given by
/// [`init`](BaseAllocator::init) or [`add_memory`](BaseAllocator::add_memory), starts at a
/// multiple of `align_pow2`, and shares no page with another allocated run; and that the counts
/// are exact: [`used_pages`](Self::used_pages) is the number of allocated pages and
/// [`total_pages`](Self::total_pages) the number of pages in the regions.
pub unsafe trait PageAllocator: BaseAllocator {
    /// The size of a page in bytes, a power of two.
    const PAGE_SIZE: usize;

    /// Allocates `num_pages` contiguous pages whose first address is a multiple of
    /// `align_pow2`, and returns that address.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `num_pages` is 0, or `align_pow2`
    ///   is not a power of two, not a multiple of `PAGE_SIZE`, or beyond what the backend
    ///   supports.
    /// - [`NoMemory`](crate::AllocError::NoMemory): no free run of that length and alignment.
    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize>;

    /// Allocates the `num_pages` pages starting at `base`, and returns `base`.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `num_pages` is 0, `align_pow2` is
    ///   bad (as for [`alloc_pages`](Self::alloc_pages)), `base` is not a multiple of
    ///   `align_pow2`, or a page of the run lies outside the allocator's regions (or the run's
    ///   end overflows).
    /// - [`NoMemory`](crate::AllocError::NoMemory): a page of the run is already allocated.
    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize>;

    /// Frees the `num_pages` pages starting at `pos`.
    ///
    /// # Errors
    ///
    /// Nothing changes on error: either every page is freed or none is.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `num_pages` is 0, `pos` is not a
    ///   multiple of `PAGE_SIZE`, or a page of the run lies outside the allocator's regions (or
    ///   the run's end overflows).
    /// - [`NotAllocated`](crate::AllocError::NotAllocated): a page of the run is not allocated.
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult;

    /// The number of pages in the allocator's regions.
    fn total_pages(&self) -> usize;

    /// The number of allocated pages.
    fn used_pages(&self) -> usize;

    /// `total_pages() - used_pages()`.
    fn available_pages(&self) -> usize {
        self.total_pages().saturating_sub(self.used_pages())
    }
}

// SAFETY: every method forwards to `T`, which keeps the implementor's promise.
unsafe impl<T: PageAllocator + ?Sized> PageAllocator for &mut T {
    const PAGE_SIZE: usize = T::PAGE_SIZE;

    #[inline]
    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize> {
        T::alloc_pages(self, num_pages, align_pow2)
    }

    #[inline]
    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize> {
        T::alloc_pages_at(self, base, num_pages, align_pow2)
    }

    #[inline]
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        T::dealloc_pages(self, pos, num_pages)
    }

    #[inline]
    fn total_pages(&self) -> usize {
        T::total_pages(self)
    }

    #[inline]
    fn used_pages(&self) -> usize {
        T::used_pages(self)
    }

    #[inline]
    fn available_pages(&self) -> usize {
        T::available_pages(self)
    }
}
