#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests;

use core::{alloc::Layout, fmt, ptr::NonNull};

use allocator_core::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, Regions, align_down, checked_align_up,
    realloc_by_copy,
};
use ax_slab_allocator::Heap;

/// How many regions an allocator of this crate can be given; `add_memory` of one more gets
/// [`NoMemory`](AllocError::NoMemory).
pub const MAX_REGIONS: usize = 32;

/// The granularity of the upstream heap: region starts must be multiples of it (asserted by
/// `Heap::new` and `Heap::add_memory`), region sizes too (`Heap::add_memory`), and every slab
/// takes its memory from the buddy part aligned to it.
const PAGE: usize = 4096;

/// The smallest first region `Heap::new` accepts; its size must also be a multiple of this
/// (`MIN_HEAP_SIZE` upstream, private there).
const MIN_HEAP: usize = 32 * 1024;

/// The most memory the trimmed regions may add up to. Upstream's `used_bytes` and
/// `total_bytes` count the slabs' memory twice (at most the regions' total each time), and
/// [`used_bytes`](SlabByteAllocator::used_bytes) reads them: with at most half the address
/// space in the regions, neither can overflow.
const MAX_TOTAL: usize = usize::MAX / 2;

/// The smallest size class.
const MIN_CLASS: usize = 64;

/// The largest size class; larger requests go to the buddy part.
const MAX_CLASS: usize = 4096;

/// The largest block of the upstream buddy part, `buddy_system_allocator::Heap<32>`: orders
/// 0 to 31, so 2 GiB. Larger requests, and larger alignments, can never be met.
const MAX_BLOCK: usize = 1 << 31;

/// A slab byte allocator: `ax_slab_allocator` 0.4 (seven size classes of 64 to 4096 bytes,
/// and a `buddy_system_allocator` 0.12 buddy heap of order 32 for larger blocks and for the
/// slabs' own memory), with the checks it leaves out.
///
/// See the [crate documentation](crate) for when to pick it, its costs and its drawbacks.
///
/// # Regions
///
/// A region `[start, start + size)` is used from its first multiple of 4096 that is not 0 up
/// to its last multiple of 4096; the trimmed edges stay unused. The first region (given by
/// [`init`](BaseAllocator::init), or by [`add_memory`](BaseAllocator::add_memory) on an
/// allocator with no memory) must keep at least 32 KiB once trimmed; later ones at least
/// 4 KiB. Up to [`MAX_REGIONS`] regions are remembered, for the overlap check and for the
/// reset below; one more gets [`AllocError::NoMemory`]. The overlap check compares the
/// regions as given, untrimmed edges included. The trimmed regions may add up to at most half
/// the address space (`usize::MAX / 2` bytes: a limit only a 32-bit target can reach); a
/// region beyond it gets [`AllocError::NoMemory`], because upstream's counters, which count
/// slab memory twice, must not overflow.
///
/// # Where a block comes from
///
/// Every request is served by a block of `max(size.next_power_of_two(), align, 64)` bytes,
/// aligned to its own size:
/// - up to 4096 bytes, from the slab of that size class (a free list of equal blocks; a slab
///   that runs out takes 64 blocks' worth of memory from the buddy part);
/// - above 4096 bytes, from the buddy part. This includes small requests with an alignment
///   above 4096, which upstream would put in the 4096-byte slab, aligned to 4096 only: the
///   wrapper sends them to the buddy part as a request of 4097 bytes with that alignment,
///   whose block is exactly `align` bytes.
///
/// Alignments up to 2 GiB are honoured; larger ones get [`AllocError::InvalidParam`], and a
/// block of more than 2 GiB gets [`AllocError::NoMemory`].
///
/// # Memory kept by the slabs, and the reset
///
/// Upstream never gives a slab's memory back to the buddy part: once a size class has grown,
/// that memory serves only that class, even when all its blocks are freed. While any block is
/// live this stays so. But when a request fails and no block at all is live, the wrapper
/// replaces the upstream heap by a fresh one over the same regions (all their memory is free
/// then) and tries once more. So after everything is freed, any request that fits in the
/// regions succeeds again, whatever was allocated before.
///
/// # Statistics
///
/// - [`total_bytes`](ByteAllocator::total_bytes) is the sum of the trimmed regions: every
///   byte the buddy part was given.
/// - [`used_bytes`](ByteAllocator::used_bytes) is the sum of the block sizes above over the
///   live blocks: the size class for a slab block, the power-of-two block for a buddy block.
///   It goes up by that size on `alloc` and down by it on `dealloc`, so it returns exactly to
///   its earlier value when blocks are freed, and is 0 when none is live.
///
/// Memory a slab took from the buddy part but has not handed out is not counted as used,
/// although only that slab's size class can use it while any block is live. So
/// [`available_bytes`](ByteAllocator::available_bytes) is an upper bound: a request may get
/// [`AllocError::NoMemory`] while it reports more bytes free (see the crate's "Drawbacks").
///
/// Both are worked out when asked (a few additions and multiplications), from counters
/// upstream keeps anyway, so `alloc` and `dealloc` keep none of their own. Upstream's
/// `used_bytes` and `total_bytes` each count the memory of the slabs twice (as slab blocks
/// and as the buddy blocks the slabs took); the difference of the two cancels that out (see
/// [`used_bytes`](Self::used_bytes)).
///
/// # Examples
///
/// A heap in a `static`, behind a lock (here `spin`'s; `Send` is what makes the lock `Sync`):
///
/// ```
/// use allocator_slab::SlabByteAllocator;
///
/// static HEAP: spin::Mutex<SlabByteAllocator> = spin::Mutex::new(SlabByteAllocator::new());
/// ```
pub struct SlabByteAllocator {
    /// The upstream heap, created by the first region (it has no `const` constructor).
    heap: Option<Heap>,
    /// The largest alignment [`alloc`](ByteAllocator::alloc)'s fast path takes: 0 while
    /// `heap` is `None`, [`MAX_CLASS`] once it is `Some` (it is never `None` again). One
    /// comparison with it checks both that there is a heap and that the layout goes upstream
    /// as it is (see [`routed`]); anything else takes the cold path.
    fast_align: usize,
    /// The regions as given, for the overlap check.
    regions: Regions<MAX_REGIONS>,
    /// Sum of the trimmed region sizes: what the upstream buddy part was given.
    total: usize,
}

impl SlabByteAllocator {
    /// An allocator with no memory; give it some with [`init`](BaseAllocator::init).
    ///
    /// Until then every `alloc` returns [`AllocError::NoMemory`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            heap: None,
            fast_align: 0,
            regions: Regions::new(),
            total: 0,
        }
    }

    /// Creates the upstream heap from the first region.
    ///
    /// # Safety
    ///
    /// As for [`BaseAllocator::init`]; `self.heap` is `None`.
    unsafe fn add_first(&mut self, start: usize, size: usize) -> AllocResult {
        debug_assert!(self.heap.is_none());
        let end = region_end(start, size)?;
        let (first, last) = usable(start, end)?;
        if last - first < MIN_HEAP {
            return Err(AllocError::InvalidParam);
        }
        let total = checked_total(0, last - first)?;
        self.regions.insert(start, size)?;
        // SAFETY: `[first, last)` lies inside the region, which the caller hands over, valid
        // for reads and writes (`init`'s contract); there is no other region yet. It is at
        // least 32 KiB long and `first` is a non-zero multiple of 4096 (`usable`).
        self.heap = Some(unsafe { new_heap(first, last) });
        self.fast_align = MAX_CLASS;
        self.total = total;
        Ok(())
    }

    /// Called when the current heap had no block for `up` (a layout as [`routed`] passes it
    /// upstream): the error if no block could ever serve it, or else a block of a fresh heap,
    /// if no block is live.
    #[cold]
    fn alloc_failed(&mut self, up: Layout) -> AllocResult<usize> {
        // `block_size(up)` is that of the layout asked for, with the same alignment: `routed`
        // changes only sizes of up to 4096 with an alignment `a > 4096`, into 4097, and both
        // give blocks of `a` bytes.
        if block_size(up) > MAX_BLOCK {
            // The buddy part has no larger block (its orders stop at 31); a fresh heap would
            // not help.
            return Err(if up.align() > MAX_BLOCK {
                AllocError::InvalidParam
            } else {
                AllocError::NoMemory
            });
        }
        self.alloc_from_fresh_heap(up)
    }

    /// [`alloc`](ByteAllocator::alloc) of a layout its fast path does not take: with no heap
    /// yet, or with an alignment above 4096.
    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self, layout: Layout) -> ColdResult {
        let Some(heap) = self.heap.as_mut() else {
            return ColdResult::err(AllocError::NoMemory);
        };
        let Some(up) = routed(layout) else {
            return ColdResult::err(AllocError::InvalidParam);
        };
        // No size check is needed first, as in `alloc`.
        let result = match heap.allocate(up) {
            Ok(addr) => Ok(addr),
            Err(_) => self.alloc_failed(up),
        };
        // SAFETY: an `Ok` address is a block upstream (or `alloc_failed`, from upstream)
        // handed out for `routed(layout)`.
        unsafe { ColdResult::new(result, layout) }
    }

    /// [`alloc`](ByteAllocator::alloc) of a layout its fast path took (a heap exists, and the
    /// alignment is at most 4096), after upstream found no block for it.
    #[cold]
    #[inline(never)]
    fn alloc_fast_failed(&mut self, layout: Layout) -> ColdResult {
        // The alignment is at most 4096, so `routed(layout)` is `layout`.
        // SAFETY: an `Ok` address is a block `alloc_failed` had upstream hand out for
        // `layout`, which is `routed(layout)` here.
        unsafe { ColdResult::new(self.alloc_failed(layout), layout) }
    }

    /// [`dealloc`](ByteAllocator::dealloc) of a block with an alignment above 4096, out of
    /// line: its layout goes upstream as [`routed`] rewrites it.
    ///
    /// # Safety
    ///
    /// As for [`ByteAllocator::dealloc`].
    #[cold]
    #[inline(never)]
    unsafe fn dealloc_large_align(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: `pos` came from `alloc` (`dealloc`'s contract), which hands out blocks only
        // once the heap exists, and it is never removed (only replaced).
        let heap = unsafe { self.heap.as_mut().unwrap_unchecked() };
        // SAFETY: `layout` is one `alloc` accepted (`dealloc`'s contract), and `alloc` accepts
        // only layouts for which `routed` is `Some`.
        let up = unsafe { routed(layout).unwrap_unchecked() };
        // SAFETY: `pos` came from `alloc` (or `realloc`) with `layout`, and `alloc` passed
        // `routed(layout)` upstream, so upstream gets back its own block with its own layout;
        // the caller no longer uses it (`dealloc`'s contract).
        unsafe { heap.deallocate(pos.as_ptr() as usize, up) };
    }

    /// [`realloc`](ByteAllocator::realloc) of a block that does not stay in place: allocate,
    /// copy, free. Kept out of line so that the in-place check, inlined, stays small.
    ///
    /// # Safety
    ///
    /// As for [`ByteAllocator::realloc`].
    #[inline(never)]
    unsafe fn realloc_moving(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        // SAFETY: the caller keeps the contract of `realloc`.
        unsafe { realloc_by_copy(self, pos, old, new_size) }
    }

    /// Allocates `up` from a fresh upstream heap over the same regions, if no block is live;
    /// called when the current heap has no block for it.
    ///
    /// Upstream never gives memory back from a slab to the buddy part, so after many small
    /// blocks have come and gone, a larger request (or one of another size class) can fail
    /// although nothing is allocated. With no live block all of the regions' memory is free,
    /// and a fresh heap has it all in the buddy part again.
    ///
    /// Runs only on this failure path: O(regions), plus upstream's O(log size) per region.
    #[cold]
    fn alloc_from_fresh_heap(&mut self, up: Layout) -> AllocResult<usize> {
        if self.used_bytes() != 0 {
            return Err(AllocError::NoMemory);
        }
        // Every held region passed `usable` when it was added.
        let mut regions = self
            .regions
            .iter()
            .filter_map(|r| usable(r.start, r.end).ok());
        let Some((first, last)) = regions.next() else {
            return Err(AllocError::NoMemory);
        };
        // SAFETY: `used_bytes` is 0 and every live block adds at least 64 to it, so no block
        // is live and all the memory of the trimmed regions is the allocator's, as when it was
        // added (valid for reads and writes, used by nothing else: `init`'s contract). The
        // old heap, which held pointers into it, is dropped below without being used again.
        // The regions are pairwise disjoint (`Regions`). The first one held is the first
        // region added, which kept at least 32 KiB (`add_first`); each start is a non-zero
        // multiple of 4096 and each size a non-zero multiple of 4096 (`usable`).
        let mut heap = unsafe { new_heap(first, last) };
        for (first, last) in regions {
            // SAFETY: as above.
            unsafe { heap.add_memory(first, last - first) };
        }
        let result = heap.allocate(up);
        self.heap = Some(heap);
        result.map_err(|_| AllocError::NoMemory)
    }
}

impl Default for SlabByteAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SlabByteAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlabByteAllocator")
            .field("total_bytes", &self.total)
            .field("used_bytes", &self.used_bytes())
            .field("regions", &self.regions.len())
            .finish()
    }
}

// SAFETY: the allocator owns its regions (`init`'s contract: nothing but it and the holders
// of its blocks uses them) and the upstream heap's pointers point only into them; no method
// depends on the thread it runs on, and nothing is shared with another value. Moving it to
// another thread moves that ownership along.
unsafe impl Send for SlabByteAllocator {}

impl BaseAllocator for SlabByteAllocator {
    /// Gives the allocator its first region.
    ///
    /// The region is trimmed to 4096-byte boundaries (and page 0 is never used); at least
    /// 32 KiB must be left, or the result is [`AllocError::InvalidParam`].
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if self.heap.is_some() {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: `init`'s contract is the caller's, and there is no heap yet.
        unsafe { self.add_first(start, size) }
    }

    /// Adds a region; on an allocator without memory this is [`init`](BaseAllocator::init).
    ///
    /// The region is trimmed to 4096-byte boundaries (and page 0 is never used); at least
    /// 4 KiB must be left (32 KiB for a first region), or the result is
    /// [`AllocError::InvalidParam`].
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let Some(heap) = self.heap.as_mut() else {
            // SAFETY: `add_memory`'s contract is `init`'s, and there is no heap yet.
            return unsafe { self.add_first(start, size) };
        };
        let end = region_end(start, size)?;
        let (first, last) = usable(start, end)?;
        // An overlap is reported as such, before the limit on the total.
        self.regions.check(start, size)?;
        let total = checked_total(self.total, last - first)?;
        self.regions.insert(start, size)?;
        // SAFETY: `[first, last)` lies inside the region, which the caller hands over, valid
        // for reads and writes (`add_memory`'s contract); `insert` proved it disjoint from every
        // region added before. `first` and `last - first` are non-zero multiples of 4096, so
        // the upstream assertions hold.
        unsafe { heap.add_memory(first, last - first) };
        self.total = total;
        Ok(())
    }
}

// SAFETY: every block comes from the upstream heap, which hands out only memory of the
// regions given to it (all from `init`/`add_memory`, never overlapping: `Regions`), each
// block at most once until it is freed, and blocks of `block_size(layout)` bytes aligned to
// that size (slab blocks: a slab is a 4096-aligned buddy block cut into blocks of its class;
// buddy blocks: aligned to their size), which is at least `layout.size()` and a multiple of
// `layout.align()`. `routed` sends every request a slab could not align to the buddy part.
// `used_bytes` is exactly the sum of `block_size` over the live blocks (see its comment), and
// the blocks of live requests are disjoint parts of the trimmed regions, so it is at most
// `total`.
unsafe impl ByteAllocator for SlabByteAllocator {
    /// Allocates a block of `max(size.next_power_of_two(), align, 64)` bytes.
    ///
    /// # Time complexity
    ///
    /// Up to 4096 bytes (and alignment up to 4096): O(1) from a slab's free list; when the
    /// slab is empty, one buddy allocation of 64 blocks, which are then threaded onto its
    /// free list (64 writes). Larger: a buddy allocation, O(number of orders) = O(32). A
    /// request that fails with no block live rebuilds the heap first: O(regions × 32).
    #[inline]
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        // The fast path: a heap exists and `routed(layout)` is `layout` itself (one
        // comparison for both, see `fast_align`). The rest is out of line.
        let cold = if layout.align() > self.fast_align {
            self.alloc_slow(layout)
        } else {
            // SAFETY: `fast_align` is not 0 (`layout.align()` is at least 1), so the heap
            // exists.
            let heap = unsafe { self.heap.as_mut().unwrap_unchecked() };
            // No size check is needed first: a block above `MAX_BLOCK` has a buddy order of 32
            // or more (`Layout` keeps `size <= isize::MAX`, so rounding it up cannot
            // overflow), past the buddy part's last free list, so upstream fails with nothing
            // changed.
            match heap.allocate(layout) {
                // SAFETY: upstream just handed out `addr` for `layout`.
                Ok(addr) => return Ok(unsafe { block_ptr(addr, layout) }),
                Err(_) => self.alloc_fast_failed(layout),
            }
        };
        cold.get()
    }

    /// Frees a block.
    ///
    /// # Time complexity
    ///
    /// Up to 4096 bytes: O(1), a push on the slab's free list (slab memory is never given
    /// back to the buddy part). Larger: a buddy free, which looks for the free buddy in the
    /// list of its order at each order it merges into: O(free blocks of those orders).
    #[inline]
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        if layout.align() > MAX_CLASS {
            // SAFETY: the caller's contract of `dealloc`.
            return unsafe { self.dealloc_large_align(pos, layout) };
        }
        // SAFETY: `pos` came from `alloc` (`dealloc`'s contract), which hands out blocks only
        // once the heap exists, and it is never removed (only replaced).
        let heap = unsafe { self.heap.as_mut().unwrap_unchecked() };
        // SAFETY: `pos` came from `alloc` (or `realloc`) with `layout`, and `alloc` passed
        // `routed(layout)`, which is `layout` for an alignment of at most 4096, upstream, so
        // upstream gets back its own block with its own layout; the caller no longer uses it
        // (`dealloc`'s contract).
        unsafe { heap.deallocate(pos.as_ptr() as usize, layout) };
    }

    /// Resizes a block; a slab block whose new size keeps its size class stays in place.
    ///
    /// Otherwise it allocates, copies and frees, as the provided method does.
    ///
    /// # Time complexity
    ///
    /// O(1) in place; otherwise that of `alloc` plus a copy plus `dealloc`.
    #[inline]
    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        let old_block = block_size(old);
        // Only slab blocks stay: upstream's slab free ignores the layout, while its buddy free
        // subtracts the layout's size from a counter that the alloc added the old size to.
        if old_block <= MAX_CLASS
            && new_size <= old_block
            && new_size.next_power_of_two().max(old.align()).max(MIN_CLASS) == old_block
        {
            return Ok(pos);
        }
        // SAFETY: the caller's contract of `realloc`.
        unsafe { self.realloc_moving(pos, old, new_size) }
    }

    #[inline]
    fn total_bytes(&self) -> usize {
        self.total
    }

    /// The sum of the live blocks' sizes, from upstream's counters.
    ///
    /// # Time complexity
    ///
    /// O(1): seven multiplications and a few additions.
    #[inline]
    fn used_bytes(&self) -> usize {
        let Some(heap) = self.heap.as_ref() else {
            return 0;
        };
        // Upstream's counters, with `S` the memory of all slabs (each slab's blocks times its
        // class), `U` the live slab blocks times their classes, and `B` the buddy blocks
        // handed out, each counted as `max(size.next_power_of_two(), align, 8)` of the layout
        // passed upstream:
        // - `heap.total_bytes()` = `S` + the buddy part's total, which is `self.total`: the
        //   trimmed regions are multiples of 4096, and `add_to_heap` counts every byte of them;
        // - `heap.used_bytes()` = `U` + the buddy part's allocated bytes, which are `B` plus
        //   the slabs' own buddy blocks: a slab of class `c` takes a buddy block of
        //   `64 * c` bytes (a power of two of at least 4096) with alignment 4096, counted as
        //   exactly `64 * c`, so those add up to `S`.
        // So `used - (total_bytes - total)` = `U + S + B - S` = `U + B`, with no overflow:
        // `U + S + B` and `S + total` are bytes of the regions counted at most twice, and the
        // regions add up to at most `MAX_TOTAL`, half the address space (`checked_total`). `U` is the sum of
        // `block_size` over live slab blocks (upstream's class is the smallest of 64..=4096
        // that holds both size and alignment). For a buddy block, `block_size` is the same as
        // upstream's count: the size passed upstream is above 4096, so the 64 and 8 floors do
        // not matter, and a request `routed` to 4097 bytes with alignment `a > 4096` counts
        // `max(8192, a) = a = block_size`.
        heap.used_bytes() - (heap.total_bytes() - self.total)
    }
}

/// The size of the block that serves `layout`: its size class for a slab block, its
/// power-of-two block for a buddy block. A multiple of `layout.align()`.
#[inline]
fn block_size(layout: Layout) -> usize {
    // `Layout` keeps `size <= isize::MAX`, so `next_power_of_two` cannot overflow.
    layout
        .size()
        .next_power_of_two()
        .max(layout.align())
        .max(MIN_CLASS)
}

/// An [`AllocResult`]`<NonNull<u8>>` as the cold paths of [`alloc`](ByteAllocator::alloc)
/// return it: two scalars, which come back in two registers, where the `AllocResult` (a tag,
/// an error and a pointer) would come back through memory. Inlined into the caller, the
/// conversion back costs nothing on the fast path: the block is the same pointer either way.
#[derive(Clone, Copy)]
struct ColdResult {
    /// The block, or `None` on failure.
    block: Option<NonNull<u8>>,
    /// The error, if `block` is `None`.
    error: AllocError,
}

impl ColdResult {
    /// `result`: an address upstream handed out for `layout` (or for `routed(layout)`), or an
    /// error.
    ///
    /// # Safety
    ///
    /// An `Ok` address is one upstream handed out, as for [`block_ptr`].
    #[inline]
    unsafe fn new(result: AllocResult<usize>, layout: Layout) -> Self {
        match result {
            Ok(addr) => Self {
                // SAFETY: the caller's contract.
                block: Some(unsafe { block_ptr(addr, layout) }),
                error: AllocError::NoMemory,
            },
            Err(error) => Self::err(error),
        }
    }

    /// A failure with `error`.
    #[inline]
    fn err(error: AllocError) -> Self {
        Self { block: None, error }
    }

    /// The result again.
    #[inline]
    fn get(self) -> AllocResult<NonNull<u8>> {
        self.block.ok_or(self.error)
    }
}

/// The pointer to the block at `addr`, which upstream handed out for `layout` (or for
/// `routed(layout)`, whose block has the same size).
///
/// # Safety
///
/// `addr` is a block upstream's heap of this allocator handed out, so not 0.
#[inline]
unsafe fn block_ptr(addr: usize, layout: Layout) -> NonNull<u8> {
    debug_assert!(
        addr >= PAGE && addr % block_size(layout) == 0,
        "upstream block misplaced"
    );
    // SAFETY: every block lies inside a trimmed region, all of whose addresses are at least
    // `PAGE` (page 0 is excluded by `usable`), so `addr` is not 0.
    unsafe { NonNull::new_unchecked(core::ptr::with_exposed_provenance_mut(addr)) }
}

/// The layout to pass upstream for `layout`, or `None` if it cannot be formed.
///
/// Upstream picks the slab or buddy part from the layout alone, on `deallocate` as on
/// `allocate`, so the same rewrite is applied on both.
#[inline]
fn routed(layout: Layout) -> Option<Layout> {
    // One comparison on the common path; alignments above 4096 are rare.
    if layout.align() <= MAX_CLASS {
        Some(layout)
    } else {
        routed_large_align(layout)
    }
}

/// [`routed`] for an alignment above 4096.
#[cold]
#[inline(never)]
fn routed_large_align(layout: Layout) -> Option<Layout> {
    if layout.size() <= MAX_CLASS {
        // Upstream would serve this from the 4096-byte slab, aligned to 4096 only. A size
        // above 4096 sends it to the buddy part, whose block of
        // `max(4097.next_power_of_two(), align) = align` bytes is aligned to `align`.
        Layout::from_size_align(MAX_CLASS + 1, layout.align()).ok()
    } else {
        Some(layout)
    }
}

/// An upstream heap over the trimmed region `[first, last)`.
///
/// `Heap::new` wants a multiple of 32 KiB; the rest goes in through `Heap::add_memory`, which
/// wants a multiple of 4096 only, so nothing of the region is lost.
///
/// # Safety
///
/// The memory of `[first, last)` is handed over to the heap: valid for reads and writes, used
/// by nothing else while the heap or its blocks are in use. `first` is a non-zero multiple of
/// 4096, and `last - first` a multiple of 4096 of at least 32 KiB.
unsafe fn new_heap(first: usize, last: usize) -> Heap {
    let len = last - first;
    let heap_len = align_down(len, MIN_HEAP);
    // SAFETY: `[first, first + heap_len)` is part of the region handed over (the caller's
    // contract); `first` is a multiple of 4096 and `heap_len` a non-zero multiple of 32 KiB,
    // as the upstream assertions want.
    let mut heap = unsafe { Heap::new(first, heap_len) };
    if heap_len < len {
        // SAFETY: the rest of the region, disjoint from the first part; its start and size
        // are multiples of 4096, as the upstream assertions want.
        unsafe { heap.add_memory(first + heap_len, len - heap_len) };
    }
    heap
}

/// `total + len` if it is at most [`MAX_TOTAL`], or [`AllocError::NoMemory`].
fn checked_total(total: usize, len: usize) -> AllocResult<usize> {
    total
        .checked_add(len)
        .filter(|&t| t <= MAX_TOTAL)
        .ok_or(AllocError::NoMemory)
}

/// `start + size`, or [`AllocError::InvalidParam`] if `size` is 0 or the sum overflows.
fn region_end(start: usize, size: usize) -> AllocResult<usize> {
    if size == 0 {
        return Err(AllocError::InvalidParam);
    }
    start.checked_add(size).ok_or(AllocError::InvalidParam)
}

/// The part of `[start, end)` upstream can use: from the first non-zero multiple of 4096 to
/// the last multiple of 4096, or [`AllocError::InvalidParam`] if that is empty.
///
/// Page 0 is left out because the buddy part cannot handle address 0 (it computes the lowest
/// set bit of the address as `addr & (!addr + 1)`, which overflows for 0) and a block there
/// would be a null pointer.
fn usable(start: usize, end: usize) -> AllocResult<(usize, usize)> {
    let first = checked_align_up(start.max(PAGE), PAGE).ok_or(AllocError::InvalidParam)?;
    let last = align_down(end, PAGE);
    if first >= last {
        return Err(AllocError::InvalidParam);
    }
    Ok((first, last))
}
