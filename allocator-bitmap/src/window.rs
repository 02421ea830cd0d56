//! The machinery both allocators share: a bitmap over a window of units (pages or IDs), the list
//! of regions given to it, and the counts.
//!
//! Everything here is counted in units. A unit `u` of the window is bit `u - base` of the bitmap.
//! bitmap-allocator keeps one bit per unit, set when the unit is free; a unit that is allocated
//! and a unit in a hole (never added) both read as clear, so the region list is what tells them
//! apart.
//!
//! Invariants (checked by `debug_assert!` where they are relied on):
//! - `regions[..len]` is sorted, its spans are non-empty, disjoint and not adjacent (adjacent
//!   spans are merged when added), and each lies inside `[base, base + B::CAP)`.
//! - A bit is set only for units inside a region; `used` counts the clear bits inside regions,
//!   `total` the units inside regions.
//! - `base` is a multiple of `base_align(max_align)`, fixed by the first region; `max_align` is
//!   the owner's constant, passed to every call that needs it.
//!
//! A new window is all zero bytes, so that a `static` allocator lands in `.bss` rather than
//! taking its bitmap's size in the image: the owner's limits are arguments, not fields.
//! - `fast_lo..fast_lo + fast_len` is the one region in bits when `len == 1`, else empty.

use allocator_core::{AllocError, AllocResult};
use bitmap_allocator::BitAlloc;
use core::fmt;

/// The end of the region `[start, start + size)` given to `add_memory`, in bytes or IDs:
/// `InvalidParam` if the region is empty or its end overflows.
#[inline]
pub(crate) const fn region_end(start: usize, size: usize) -> AllocResult<usize> {
    match start.checked_add(size) {
        Some(end) if size > 0 => Ok(end),
        _ => Err(AllocError::InvalidParam),
    }
}

/// A half-open span of units, `[start, end)`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    const EMPTY: Self = Self { start: 0, end: 0 };
}

/// A bitmap of `B::CAP` units starting at unit `base`, with at most `R` regions.
pub(crate) struct Window<B: BitAlloc, const R: usize> {
    bits: B,
    /// The unit of bit 0; meaningful once `len > 0`.
    base: usize,
    regions: [Span; R],
    len: usize,
    /// The one region as bits `fast_lo..fast_lo + fast_len` while there is exactly one, else
    /// an empty span: the hot free checks it in one comparison.
    fast_lo: usize,
    fast_len: usize,
    total: usize,
    used: usize,
}

impl<B: BitAlloc, const R: usize> Window<B, R> {
    /// The number of units the bitmap covers.
    pub(crate) const CAP: usize = B::CAP;

    /// An empty window: all zero bytes.
    pub(crate) const fn new() -> Self {
        Self {
            bits: B::DEFAULT,
            base: 0,
            regions: [Span::EMPTY; R],
            len: 0,
            fast_lo: 0,
            fast_len: 0,
            total: 0,
            used: 0,
        }
    }

    /// What `base` is rounded down to from the first region's start, for an owner honouring
    /// alignments up to `max_align` units (a power of two): a power of two, at most `B::CAP`.
    /// Every alignment up to it is possible anywhere in the window.
    #[inline]
    const fn base_align(max_align: usize) -> usize {
        debug_assert!(max_align.is_power_of_two());
        if max_align < B::CAP {
            max_align
        } else {
            B::CAP
        }
    }

    /// The number of units in the regions.
    #[inline]
    pub(crate) const fn total(&self) -> usize {
        self.total
    }

    /// The number of allocated units.
    #[inline]
    pub(crate) const fn used(&self) -> usize {
        self.used
    }

    /// What `init` checks before adding its region: `InvalidParam` once any region has been
    /// added.
    #[inline]
    pub(crate) const fn check_init(&self) -> AllocResult {
        if self.len > 0 {
            Err(AllocError::InvalidParam)
        } else {
            Ok(())
        }
    }

    /// The first unit of the window, once a region fixed it.
    #[inline]
    pub(crate) const fn base(&self) -> Option<usize> {
        if self.len > 0 { Some(self.base) } else { None }
    }

    /// The number of regions (adjacent ones merged).
    #[inline]
    pub(crate) const fn regions(&self) -> usize {
        self.len
    }

    /// Adds the units `[start, end)` as free; the first span fixes the window's base from
    /// `max_align` (see [`base_align`](Self::base_align)).
    ///
    /// Errors: `InvalidParam` if the span is empty or outside the window (the first span fixes
    /// the window), `MemoryOverlap` if it overlaps a span already added, `NoMemory` if it needs
    /// a new slot and all `R` are taken. Nothing changes on error.
    pub(crate) fn add(&mut self, start: usize, end: usize, max_align: usize) -> AllocResult {
        if start >= end {
            return Err(AllocError::InvalidParam);
        }
        let base = if self.len == 0 {
            start & !(Self::base_align(max_align) - 1)
        } else {
            self.base
        };
        // `start >= base`, so this only fails for a span starting below an existing window.
        let (Some(lo), Some(hi)) = (start.checked_sub(base), end.checked_sub(base)) else {
            return Err(AllocError::InvalidParam);
        };
        if hi > B::CAP {
            return Err(AllocError::InvalidParam);
        }

        // Where the span goes: `pos` regions start before it.
        let pos = self.regions[..self.len].partition_point(|r| r.start < start);
        let merge_prev = pos > 0 && {
            let prev = self.regions[pos - 1];
            if prev.end > start {
                return Err(AllocError::MemoryOverlap);
            }
            prev.end == start
        };
        let merge_next = pos < self.len && {
            let next = self.regions[pos];
            if next.start < end {
                return Err(AllocError::MemoryOverlap);
            }
            next.start == end
        };
        if !merge_prev && !merge_next && self.len == R {
            return Err(AllocError::NoMemory);
        }

        // Validated: from here on nothing fails.
        match (merge_prev, merge_next) {
            (true, true) => {
                self.regions[pos - 1].end = self.regions[pos].end;
                self.regions.copy_within(pos + 1..self.len, pos);
                self.len -= 1;
            }
            (true, false) => self.regions[pos - 1].end = end,
            (false, true) => self.regions[pos].start = start,
            (false, false) => {
                self.regions.copy_within(pos..self.len, pos + 1);
                self.regions[pos] = Span { start, end };
                self.len += 1;
            }
        }
        self.base = base;
        (self.fast_lo, self.fast_len) = if self.len == 1 {
            (
                self.regions[0].start - base,
                self.regions[0].end - self.regions[0].start,
            )
        } else {
            (0, 0)
        };
        self.bits.insert(lo..hi);
        self.total += end - start;
        Ok(())
    }

    /// Whether `[start, end)` lies inside one region (with `start < end`).
    #[inline]
    fn contains(&self, start: usize, end: usize) -> bool {
        if self.len == 1 {
            // The common case, kept off the binary search: one region.
            let r = self.regions[0];
            return r.start <= start && end <= r.end;
        }
        let regions = &self.regions[..self.len];
        let pos = regions.partition_point(|r| r.start <= start);
        pos > 0 && end <= regions[pos - 1].end
    }

    /// Whether the unit of bit `idx` (`base + idx`, wrapping) lies in a region: the search
    /// `dealloc_one` falls back on when there is not exactly one region, out of line to keep
    /// the hot path small.
    #[inline(never)]
    fn contains_bit(&self, idx: usize) -> bool {
        let unit = idx.wrapping_add(self.base);
        // `unit + 1` cannot overflow for a unit inside a region, whose end is larger.
        unit != usize::MAX && self.contains(unit, unit + 1)
    }

    /// The bit of unit `start` after checking that `count` units from it lie in the regions.
    #[inline]
    fn index_of_run(&self, start: usize, count: usize) -> AllocResult<usize> {
        if count == 0 {
            return Err(AllocError::InvalidParam);
        }
        match start.checked_add(count) {
            Some(end) if self.contains(start, end) => Ok(start - self.base),
            _ => Err(AllocError::InvalidParam),
        }
    }

    /// Allocates any one free unit: the hot path, one call down the bitmap.
    #[inline]
    pub(crate) fn alloc_one(&mut self) -> AllocResult<usize> {
        match self.bits.alloc() {
            Some(idx) => {
                debug_assert!(self.contains(self.base + idx, self.base + idx + 1));
                self.used += 1;
                Ok(self.base + idx)
            }
            None => Err(AllocError::NoMemory),
        }
    }

    /// Frees the one unit `unit`: the hot path, a range check and one call down the bitmap.
    ///
    /// Errors: `InvalidParam` if the unit lies outside the regions, `NotAllocated` if it is
    /// free.
    #[inline]
    pub(crate) fn dealloc_one(&mut self, unit: usize) -> AllocResult {
        let idx = unit.wrapping_sub(self.base);
        // One region: inside it exactly when this holds. Otherwise (`fast_len == 0`) search.
        if idx.wrapping_sub(self.fast_lo) >= self.fast_len && !self.contains_bit(idx) {
            return Err(AllocError::InvalidParam);
        }
        debug_assert!(self.contains(unit, unit + 1));
        // `idx < B::CAP` (the regions lie in the window), so the mask changes nothing; it
        // shows the compiler the bound, which drops bitmap-allocator's own bounds check.
        let idx = if B::CAP.is_power_of_two() {
            idx & (B::CAP - 1)
        } else {
            idx
        };
        // On a free bit `dealloc` changes nothing and returns false: the bit is set already
        // and so is its summary bit at every level (a summary bit is set exactly when its
        // subtree has a free bit).
        let freed = self.bits.dealloc(idx);
        debug_assert!(!freed || self.used >= 1);
        // Without a branch: a refused free subtracts 0.
        self.used -= usize::from(freed);
        if freed {
            Ok(())
        } else {
            Err(AllocError::NotAllocated)
        }
    }

    /// Allocates `count` free units whose first is a multiple of `align` (a power of two) and
    /// returns that first unit.
    ///
    /// The caller keeps `align` at most `max_align`, the value it gives [`add`](Self::add).
    ///
    /// Errors: `InvalidParam` if `count` is 0, `NoMemory` if no such run is free.
    ///
    /// Out of line: callers take [`alloc_one`](Self::alloc_one) for one unit at alignment 1
    /// (the same result: the bitmap is empty exactly when `total == used`), which keeps what
    /// they inline small.
    #[inline(never)]
    pub(crate) fn alloc(
        &mut self,
        count: usize,
        align: usize,
        max_align: usize,
    ) -> AllocResult<usize> {
        debug_assert!(align.is_power_of_two() && align <= max_align);
        let base_align = Self::base_align(max_align);
        if count == 0 {
            return Err(AllocError::InvalidParam);
        }
        if count > self.total - self.used {
            return Err(AllocError::NoMemory);
        }
        let idx = {
            let align_log2 = if align <= base_align {
                align.trailing_zeros() as usize
            } else if self.base & (align - 1) == 0 {
                // `align > base_align` happens only when `base_align == B::CAP`: `base` and
                // `align` are multiples of `CAP`, so bit 0 is the one unit of the window that
                // may be a multiple of `align`. Asking bitmap-allocator for `CAP` alignment (a power of
                // two, as `CAP` is `16^k`) allows exactly bit 0.
                B::CAP.trailing_zeros() as usize
            } else {
                return Err(AllocError::NoMemory);
            };
            self.bits.alloc_contiguous(None, count, align_log2)
        };
        let idx = idx.ok_or(AllocError::NoMemory)?;
        debug_assert!(self.contains(self.base + idx, self.base + idx + count));
        self.used += count;
        Ok(self.base + idx)
    }

    /// Allocates the `count` units starting at `start`, which the caller has checked to be
    /// aligned as requested.
    ///
    /// Errors: `InvalidParam` if `count` is 0 or a unit lies outside the regions, `NoMemory` if
    /// a unit is allocated.
    pub(crate) fn alloc_at(&mut self, start: usize, count: usize) -> AllocResult {
        let idx = self.index_of_run(start, count)?;
        if count > self.total - self.used {
            return Err(AllocError::NoMemory);
        }
        // Alignment 1 (`align_log2 == 0`): the caller checked the real one. bitmap-allocator
        // checks that every bit of the run is free before clearing any.
        match self.bits.alloc_contiguous(Some(idx), count, 0) {
            Some(got) => {
                debug_assert_eq!(got, idx);
                self.used += count;
                Ok(())
            }
            None => Err(AllocError::NoMemory),
        }
    }

    /// Frees the `count` units starting at `start`.
    ///
    /// Errors: `InvalidParam` if `count` is 0 or a unit lies outside the regions,
    /// `NotAllocated` if a unit is free (and then nothing is freed).
    #[inline]
    pub(crate) fn dealloc(&mut self, start: usize, count: usize) -> AllocResult {
        if count == 1 {
            return self.dealloc_one(start);
        }
        self.dealloc_run(start, count)
    }

    /// [`dealloc`](Self::dealloc) without its one-unit shortcut (right for any run), out of
    /// line so that the one-unit path stays small enough to inline into its callers.
    #[inline(never)]
    pub(crate) fn dealloc_run(&mut self, start: usize, count: usize) -> AllocResult {
        let idx = self.index_of_run(start, count)?;
        // Every unit of the run is allocated exactly when no bit in it is set.
        if self.bits.next(idx).is_some_and(|free| free < idx + count) {
            return Err(AllocError::NotAllocated);
        }
        self.bits.insert(idx..idx + count);
        debug_assert!(self.used >= count);
        self.used -= count;
        Ok(())
    }

    /// Whether unit `unit` is allocated; false outside the regions.
    #[inline]
    pub(crate) fn is_allocated(&self, unit: usize) -> bool {
        match self.index_of_run(unit, 1) {
            Ok(idx) => !self.bits.test(idx),
            Err(_) => false,
        }
    }
}

impl<B: BitAlloc, const R: usize> fmt::Debug for Window<B, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Window")
            .field("base", &self.base())
            .field("capacity", &B::CAP)
            .field("regions", &self.len)
            .field("total", &self.total)
            .field("used", &self.used)
            .finish()
    }
}
