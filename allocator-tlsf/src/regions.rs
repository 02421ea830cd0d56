//! The regions an allocator was given, for the overlap check of `init` and `add_memory`.
//!
//! The allocation path never touches this list.

use allocator_core::{AllocError, AllocResult};

/// How many regions an allocator of this crate can be given; `add_memory` of one more gets
/// [`NoMemory`](allocator_core::AllocError::NoMemory).
pub const MAX_REGIONS: usize = 32;

/// The `[start, end)` ranges given to `init` and `add_memory`, as given (untrimmed), in the
/// order they were added, in a fixed array so that it works without a heap and in a
/// `const fn new`.
///
/// Invariant: `list[..len]` are non-empty and pairwise disjoint.
#[derive(Debug)]
pub(crate) struct RegionList {
    list: [(usize, usize); MAX_REGIONS],
    len: usize,
}

impl RegionList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            list: [(0, 0); MAX_REGIONS],
            len: 0,
        }
    }

    /// The number of regions held.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// Whether `[start, end)` (non-empty) can be added, without changing anything.
    ///
    /// # Errors
    ///
    /// - [`AllocError::MemoryOverlap`]: it overlaps a held range.
    /// - [`AllocError::NoMemory`]: the list is full.
    pub(crate) fn check(&self, start: usize, end: usize) -> AllocResult {
        debug_assert!(start < end);
        if self.list[..self.len]
            .iter()
            .any(|&(s, e)| s < end && start < e)
        {
            return Err(AllocError::MemoryOverlap);
        }
        if self.len == MAX_REGIONS {
            return Err(AllocError::NoMemory);
        }
        Ok(())
    }

    /// Records `[start, end)`, which [`check`](Self::check) accepted with no change since.
    pub(crate) fn push(&mut self, start: usize, end: usize) {
        debug_assert!(self.check(start, end).is_ok());
        self.list[self.len] = (start, end);
        self.len += 1;
    }
}
