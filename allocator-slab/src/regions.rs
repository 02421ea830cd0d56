//! The regions an allocator was given, for the overlap check of `init` and `add_memory`.
//!
//! Only those two calls touch this list; the allocation path never does.

use allocator_core::{AllocError, AllocResult};

/// How many separate regions a [`SlabByteAllocator`](crate::SlabByteAllocator) remembers for
/// its overlap check; `add_memory` of one more gets
/// [`NoMemory`](allocator_core::AllocError::NoMemory). A region that touches one already held
/// (`end == start` on either side) is merged with it and takes no new entry.
pub const MAX_REGIONS: usize = 32;

/// Where a new region goes, as decided by [`RegionList::check`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    /// Index of the first held region that lies after the new one.
    index: usize,
    /// The held region at `index - 1` ends where the new one starts.
    merge_left: bool,
    /// The held region at `index` starts where the new one ends.
    merge_right: bool,
}

/// A sorted list of disjoint, non-touching `[start, end)` ranges, in a fixed array so that it
/// works without a heap and in a `const fn new`.
///
/// Invariant: `list[..len]` is sorted by start, each range is non-empty, and for consecutive
/// ranges `a.end < b.start` (touching ranges are merged).
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

    /// The number of separate ranges held (touching regions count once).
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// Decides where the non-empty range `[start, end)` would go, without changing anything.
    ///
    /// # Errors
    ///
    /// - [`AllocError::MemoryOverlap`]: it overlaps a held range.
    /// - [`AllocError::NoMemory`]: it needs a new entry and the list is full.
    pub(crate) fn check(&self, start: usize, end: usize) -> AllocResult<Slot> {
        debug_assert!(start < end);
        let held = &self.list[..self.len];
        // Ranges wholly before the new one form a prefix, since the list is sorted and disjoint.
        let index = held.partition_point(|&(_, e)| e <= start);
        if index < held.len() && held[index].0 < end {
            return Err(AllocError::MemoryOverlap);
        }
        let merge_left = index > 0 && held[index - 1].1 == start;
        let merge_right = index < held.len() && held[index].0 == end;
        if !merge_left && !merge_right && self.len == MAX_REGIONS {
            return Err(AllocError::NoMemory);
        }
        Ok(Slot {
            index,
            merge_left,
            merge_right,
        })
    }

    /// Records `[start, end)` at the place `check` returned for it (with no change in between).
    pub(crate) fn insert(&mut self, slot: Slot, start: usize, end: usize) {
        let Slot {
            index,
            merge_left,
            merge_right,
        } = slot;
        match (merge_left, merge_right) {
            (true, true) => {
                // The new range fills the hole between two held ones: join all three.
                self.list[index - 1].1 = self.list[index].1;
                self.list.copy_within(index + 1..self.len, index);
                self.len -= 1;
            }
            (true, false) => self.list[index - 1].1 = end,
            (false, true) => self.list[index].0 = start,
            (false, false) => {
                self.list.copy_within(index..self.len, index + 1);
                self.list[index] = (start, end);
                self.len += 1;
            }
        }
        debug_assert!(
            self.list[..self.len]
                .windows(2)
                .all(|w| w[0].0 < w[0].1 && w[0].1 < w[1].0),
            "region list out of order"
        );
    }
}
