//! The regions an allocator was given, for the checks of `init` and `add_memory`.

use core::ops::Range;

use crate::{AllocError, AllocResult};

/// Up to `N` pairwise disjoint address ranges, in the order they were added: what
/// [`init`](crate::BaseAllocator::init) and [`add_memory`](crate::BaseAllocator::add_memory)
/// check a new region against, so that an overlapping region is refused with
/// [`MemoryOverlap`](AllocError::MemoryOverlap) instead of being handed out twice.
///
/// A fixed array, so it needs no heap and fits in a `const fn new`. Checking costs O(N) and
/// happens when memory is added; the allocation path never needs this list.
///
/// # Examples
///
/// ```
/// use allocator_core::{AllocError, Regions};
///
/// let mut regions = Regions::<4>::new();
/// regions.insert(0x1000, 0x1000)?;
/// assert_eq!(regions.check(0x1800, 0x1000), Err(AllocError::MemoryOverlap));
/// assert_eq!(regions.check(0x2000, 0), Err(AllocError::InvalidParam));
/// assert_eq!(regions.check(0x2000, 0x1000), Ok(0x3000));
/// # Ok::<(), AllocError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Regions<const N: usize> {
    /// `list[..len]` are the ranges as `(start, end)`: non-empty, pairwise disjoint.
    list: [(usize, usize); N],
    len: usize,
}

impl<const N: usize> Regions<N> {
    /// An empty list.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            list: [(0, 0); N],
            len: 0,
        }
    }

    /// The number of ranges held.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no range is held: the allocator has no memory yet.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The ranges held, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.list[..self.len].iter().map(|&(start, end)| start..end)
    }

    /// Checks that `[start, start + size)` could be added, changes nothing, and returns its
    /// end.
    ///
    /// # Errors
    ///
    /// - [`AllocError::InvalidParam`]: `size` is 0 or `start + size` overflows.
    /// - [`AllocError::MemoryOverlap`]: the range overlaps one held.
    /// - [`AllocError::NoMemory`]: `N` ranges are held already.
    pub fn check(&self, start: usize, size: usize) -> AllocResult<usize> {
        let end = match start.checked_add(size) {
            Some(end) if size != 0 => end,
            _ => return Err(AllocError::InvalidParam),
        };
        if self.iter().any(|held| held.start < end && start < held.end) {
            return Err(AllocError::MemoryOverlap);
        }
        if self.len == N {
            return Err(AllocError::NoMemory);
        }
        Ok(end)
    }

    /// Adds `[start, start + size)` if [`check`](Self::check) accepts it.
    ///
    /// # Errors
    ///
    /// As for [`check`](Self::check); nothing changes on error.
    pub fn insert(&mut self, start: usize, size: usize) -> AllocResult {
        let end = self.check(start, size)?;
        self.list[self.len] = (start, end);
        self.len += 1;
        Ok(())
    }
}

impl<const N: usize> Default for Regions<N> {
    fn default() -> Self {
        Self::new()
    }
}
