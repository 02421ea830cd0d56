//! Giving an allocator memory.

use crate::AllocResult;

/// The part every allocator shares: it is given regions to manage.
///
/// # Using
///
/// Give an empty allocator its first region with [`init`](Self::init) and any later ones with
/// [`add_memory`](Self::add_memory). Regions may have holes between them and may come in any
/// order. A backend uses the part of a region it can: it may trim the start up to its alignment
/// and the end down to its granularity, and the trimmed edges stay unused.
///
/// # Implementing
///
/// - Validate everything before changing anything: on error the allocator is exactly as before,
///   and the caller still owns the region.
/// - Refuse a region that overlaps one already added with
///   [`MemoryOverlap`](crate::AllocError::MemoryOverlap); upstream heaps accept such regions and
///   then hand out the same bytes twice.
/// - Do this bookkeeping here, not on the allocation path.
pub trait BaseAllocator {
    /// Gives an empty allocator its first region, `[start, start + size)`.
    ///
    /// # Safety
    ///
    /// - The region belongs to the caller, who hands it over: from this call on, nothing but the
    ///   allocator and the holders of the blocks, pages or IDs it hands out uses it, for as long
    ///   as the allocator or any of those is in use.
    /// - For allocators that write into their memory (every
    ///   [`ByteAllocator`](crate::ByteAllocator)), the region is valid for reads and writes for
    ///   that whole time. Page and ID allocators never touch the region, but what they hand out
    ///   will be used by its holder as owned.
    ///
    /// If the call fails, the region is the caller's again.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `size` is 0, `start + size`
    ///   overflows, nothing usable is left once the region is trimmed to what the backend can
    ///   use, the region lies outside what the backend can represent, or the allocator already
    ///   has memory.
    /// - [`NoMemory`](crate::AllocError::NoMemory): the backend cannot track the region.
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult;

    /// Adds one more region, `[start, start + size)`, to an allocator.
    ///
    /// On an allocator with no memory yet this behaves as [`init`](Self::init).
    ///
    /// # Safety
    ///
    /// As for [`init`](Self::init).
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`InvalidParam`](crate::AllocError::InvalidParam): `size` is 0, `start + size`
    ///   overflows, nothing usable is left once the region is trimmed, or the region lies
    ///   outside what the backend can represent.
    /// - [`MemoryOverlap`](crate::AllocError::MemoryOverlap): the region overlaps one the
    ///   allocator already has.
    /// - [`NoMemory`](crate::AllocError::NoMemory): the backend cannot track another region.
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult;
}

impl<T: BaseAllocator + ?Sized> BaseAllocator for &mut T {
    #[inline]
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller keeps the contract of `init`, which is the same for `T`.
        unsafe { T::init(self, start, size) }
    }

    #[inline]
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller keeps the contract of `add_memory`, which is the same for `T`.
        unsafe { T::add_memory(self, start, size) }
    }
}
