#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;

use core::{alloc::Layout, fmt, mem::size_of, ptr::NonNull};

use allocator_core::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, Regions, align_down, checked_align_up,
    realloc_by_copy,
};
use buddy_system_allocator::Heap;

/// How many regions an allocator of this crate can be given; `add_memory` of one more gets
/// [`NoMemory`](AllocError::NoMemory).
pub const MAX_REGIONS: usize = 32;

/// The number of orders of the upstream heap, `Heap<ORDER>`: blocks of `2^0` to
/// `2^(ORDER - 1)` bytes.
const ORDER: usize = 32;

/// The largest block upstream can hold: 2 GiB. A region larger than this is split into
/// blocks of at most this size; larger requests, and larger alignments, can never be met.
const MAX_BLOCK: usize = 1 << (ORDER - 1);

/// The smallest block, and the granularity of regions: upstream keeps a free list link in
/// every free block, so blocks are at least a `usize` and regions are trimmed to multiples
/// of it.
const MIN_BLOCK: usize = size_of::<usize>();

/// A buddy-system byte allocator: `buddy_system_allocator` 0.13 (`Heap<32>`, blocks of 8 bytes
/// to 2 GiB), with the checks it leaves out.
///
/// See the [crate documentation](crate) for when to pick it, its costs and its drawbacks.
///
/// # Regions
///
/// A region `[start, start + size)` is used from its first multiple of `size_of::<usize>()`
/// that is not 0 up to its last multiple of `size_of::<usize>()` (and never the last
/// `size_of::<usize>()` bytes of the address space); the trimmed edges stay unused. A region
/// with nothing left once trimmed gets [`AllocError::InvalidParam`]. Up to [`MAX_REGIONS`]
/// regions are remembered for the overlap check, which compares the regions as given,
/// untrimmed edges included; one more region gets [`AllocError::NoMemory`].
///
/// # Blocks
///
/// A request gets a block of `max(size.next_power_of_two(), align, size_of::<usize>())`
/// bytes, aligned to its own size; a size of 0 gets a block of the smallest size that meets
/// its alignment. Alignments up to 2 GiB are honoured; larger ones get
/// [`AllocError::InvalidParam`]. A size above 2 GiB gets [`AllocError::NoMemory`].
///
/// # Statistics
///
/// [`total_bytes`](ByteAllocator::total_bytes) is the sum of the trimmed regions (all of it
/// can be handed out); [`used_bytes`](ByteAllocator::used_bytes) the sum of the live blocks'
/// power-of-two sizes. Both are upstream's own counters, updated by two additions per call.
///
/// # Examples
///
/// In a `static`, behind a lock:
///
/// ```
/// use allocator_buddy::BuddyByteAllocator;
///
/// static HEAP: spin::Mutex<BuddyByteAllocator> = spin::Mutex::new(BuddyByteAllocator::new());
/// assert_eq!(format!("{:?}", HEAP.lock()), "BuddyByteAllocator { total_bytes: 0, used_bytes: 0, regions: 0 }");
/// ```
pub struct BuddyByteAllocator {
    heap: Heap<ORDER>,
    regions: Regions<MAX_REGIONS>,
}

impl BuddyByteAllocator {
    /// An allocator with no memory: give it some with [`init`](BaseAllocator::init).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            heap: Heap::new(),
            regions: Regions::new(),
        }
    }
}

impl Default for BuddyByteAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BuddyByteAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuddyByteAllocator")
            .field("total_bytes", &self.total_bytes())
            .field("used_bytes", &self.used_bytes())
            .field("regions", &self.regions.len())
            .finish()
    }
}

// SAFETY: the allocator holds addresses and intrusive free-list links into the regions it was
// given; by the contract of `init`/`add_memory` those regions are handed over to it, with no
// tie to the thread that gave them, and it has no thread-local or shared state. Moving it to
// another thread moves sole ownership of the free memory with it.
unsafe impl Send for BuddyByteAllocator {}

impl BaseAllocator for BuddyByteAllocator {
    /// # Errors
    ///
    /// As for the trait; [`AllocError::InvalidParam`] if nothing is left once the region is
    /// trimmed to multiples of `size_of::<usize>()` (see [Regions](Self#regions)).
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if !self.regions.is_empty() {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller keeps the contract of `init`, the same as `add_memory`'s.
        unsafe { self.add_memory(start, size) }
    }

    /// # Errors
    ///
    /// As for the trait; [`AllocError::InvalidParam`] if nothing is left once the region is
    /// trimmed, [`AllocError::NoMemory`] if [`MAX_REGIONS`] regions are held already.
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = self.regions.check(start, size)?;
        let (lo, hi) = usable_part(start, end).ok_or(AllocError::InvalidParam)?;
        self.regions.insert(start, size)?;
        // SAFETY: `[lo, hi)` lies in the region the caller hands over (contract of
        // `add_memory`: valid for reads and writes, used by nothing else, alive as long as the
        // allocator), which is disjoint from every earlier region (checked just above).
        // `usable_part` made it meet upstream's unchecked arithmetic: both ends are multiples
        // of `usize`, `lo` is not 0 and `hi + size_of::<usize>()` does not overflow.
        unsafe { self.heap.add_to_heap(lo, hi) };
        Ok(())
    }
}

// SAFETY: every block is a buddy block carved from the regions given (1), of
// `max(size.next_power_of_two(), align, MIN_BLOCK)` bytes and aligned to that size, so to
// `align` (2); buddy blocks never overlap and each request gets its own, a size-0 one too
// (3, 4); `realloc` allocates, copies `min(old, new)` bytes and frees, and on error has
// changed nothing (5); the statistics are upstream's counts of the
// regions' bytes and of the live blocks' sizes (6).
unsafe impl ByteAllocator for BuddyByteAllocator {
    /// # Errors
    ///
    /// - [`AllocError::NoMemory`]: no free block of the rounded size, or a size above 2 GiB.
    /// - [`AllocError::InvalidParam`]: an alignment above 2 GiB.
    #[inline]
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        // No check is needed before the call: `Layout` keeps `size <= isize::MAX`, so
        // upstream's `size.next_power_of_two()` is at most `isize::MAX + 1` and cannot
        // overflow, and a block above `MAX_BLOCK` has an order of 32 or more, past the last
        // free list, so upstream's search finds nothing and returns `Err` with nothing
        // changed. Only the error kind depends on the layout, and is worked out on failure.
        self.heap.alloc(layout).map_err(|()| alloc_error(layout))
    }

    #[inline]
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: `pos` came from `alloc` (or `realloc`, through `alloc`) of this heap with
        // `layout` and is freed once (the caller's contract of `dealloc`).
        unsafe { self.heap.dealloc(pos, layout) }
    }

    /// Allocates, copies and frees: the trait's provided method, repeated here only so that
    /// it is `#[inline]` and folds into the caller like `alloc` and `dealloc` do.
    ///
    /// (Resizing in place within the same buddy block is not done: upstream's `dealloc`
    /// subtracts the layout's size from a counter that `alloc` added the old size to, so after
    /// growing that counter could underflow, a panic in debug builds.)
    ///
    /// # Errors
    ///
    /// As for the trait.
    #[inline]
    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        // SAFETY: the caller keeps the contract of `realloc`.
        unsafe { realloc_by_copy(self, pos, old, new_size) }
    }

    #[inline]
    fn total_bytes(&self) -> usize {
        self.heap.stats_total_bytes()
    }

    #[inline]
    fn used_bytes(&self) -> usize {
        self.heap.stats_alloc_actual()
    }
}

/// The error for a request upstream could not serve: [`AllocError::InvalidParam`] for an
/// alignment above the largest block, which no memory could ever meet;
/// [`AllocError::NoMemory`] otherwise.
#[cold]
fn alloc_error(layout: Layout) -> AllocError {
    if layout.align() > MAX_BLOCK {
        AllocError::InvalidParam
    } else {
        AllocError::NoMemory
    }
}

/// The part of `[start, end)` that upstream's `add_to_heap` can take, or `None` if there is
/// not one block's worth.
///
/// Upstream rounds the ends itself, but with unchecked arithmetic: `start + 7` overflows at
/// the top of the address space, a block at address 0 (lowest bit of 0) makes it compute
/// `!0 + 1`, and its loop condition `current + size_of::<usize>() <= end` overflows when
/// `end` is within a `usize` of the top. So the start skips address 0 and is aligned up,
/// the end stays a `usize` below the top and is aligned down.
fn usable_part(start: usize, end: usize) -> Option<(usize, usize)> {
    let lo = checked_align_up(start.max(1), MIN_BLOCK)?;
    let hi = align_down(end.min(usize::MAX - MIN_BLOCK), MIN_BLOCK);
    (lo < hi).then_some((lo, hi))
}
