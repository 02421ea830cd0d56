//! The one error type of every allocator trait.

use core::fmt;

/// Why an allocator refused a request.
///
/// Every fallible method of [`BaseAllocator`](crate::BaseAllocator),
/// [`ByteAllocator`](crate::ByteAllocator), [`PageAllocator`](crate::PageAllocator) and
/// [`IdAllocator`](crate::IdAllocator) returns one of these, and on error it changes nothing:
/// the allocator is exactly as it was before the call.
///
/// The enum is `#[non_exhaustive]`: a later backend may need a cause that none of these names
/// (a hardware fault, say) and adding it must not break callers. Match with a `_` arm, treating
/// unknown causes like [`InvalidParam`](Self::InvalidParam).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum AllocError {
    /// An argument is invalid: a size of zero, a range whose end overflows `usize`, an alignment
    /// that is not a power of two or that the backend cannot honour, an address that is not
    /// aligned or lies outside the memory the allocator was given, a region with nothing usable
    /// left once trimmed, or `init` on an allocator that already has memory.
    ///
    /// Returned by every method of every trait.
    InvalidParam,
    /// The region passed to [`init`](crate::BaseAllocator::init) or
    /// [`add_memory`](crate::BaseAllocator::add_memory) overlaps one the allocator already has.
    MemoryOverlap,
    /// The request is valid but cannot be met now: no free block, run of pages or run of IDs
    /// fits (for the `*_at` and `*_fixed` forms: one of the requested items is taken), or the
    /// backend cannot track another region.
    ///
    /// Returned by the allocation methods and by [`add_memory`](crate::BaseAllocator::add_memory).
    NoMemory,
    /// [`dealloc_pages`](crate::PageAllocator::dealloc_pages) or
    /// [`dealloc_id`](crate::IdAllocator::dealloc_id) named a page or ID that is not allocated;
    /// nothing was freed.
    NotAllocated,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidParam => "invalid allocator parameter",
            Self::MemoryOverlap => "memory region overlaps one already added",
            Self::NoMemory => "out of memory",
            Self::NotAllocated => "not allocated",
        })
    }
}

impl core::error::Error for AllocError {}

/// The result of an allocator operation: `T` on success (nothing by default), an [`AllocError`]
/// otherwise.
pub type AllocResult<T = ()> = Result<T, AllocError>;
