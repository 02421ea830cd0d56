//! `BitmapPageAllocator`: one bit per page.

use crate::window::{Window, region_end};
use allocator_core::{AllocError, AllocResult, BaseAllocator, PageAllocator, checked_align_up};
use core::fmt;

/// The bitmap the enabled `page-alloc-*` features select: the largest wins.
#[cfg(feature = "page-alloc-1t")]
type PageBits = bitmap_allocator::BitAlloc256M;
#[cfg(all(feature = "page-alloc-64g", not(feature = "page-alloc-1t")))]
type PageBits = bitmap_allocator::BitAlloc16M;
#[cfg(all(
    feature = "page-alloc-4g",
    not(any(feature = "page-alloc-64g", feature = "page-alloc-1t"))
))]
type PageBits = bitmap_allocator::BitAlloc1M;
#[cfg(not(any(
    feature = "page-alloc-4g",
    feature = "page-alloc-64g",
    feature = "page-alloc-1t"
)))]
type PageBits = bitmap_allocator::BitAlloc64K;

/// How many regions (after merging adjacent ones) one page allocator can hold.
const PAGE_REGIONS: usize = 32;

/// The largest alignment `alloc_pages` honours: 1 GiB, a huge page on x86-64, AArch64 and
/// RISC-V Sv39/Sv48.
const MAX_ALIGN: usize = 1 << 30;

/// A page allocator keeping one bit per page, over [bitmap-allocator] 0.4.
///
/// # When to pick it
///
/// For physical page frames in a kernel or hypervisor: its state is a fixed-size bitmap with no
/// pointers and no heap, so it works before any heap exists and can sit in a `static`. Single
/// pages come and go in O(log n); runs of pages aligned up to 1 GiB (huge pages) are possible.
///
/// # The window
///
/// The bitmap covers a window of [`CAPACITY`](Self::CAPACITY) pages. The first region given
/// ([`init`](BaseAllocator::init), or [`add_memory`](BaseAllocator::add_memory) on an empty
/// allocator) fixes its start: that region's start rounded down to 1 GiB, or to the window's
/// length when that is shorter. This is what lets a run be aligned to anything up to 1 GiB.
/// Later regions may lie anywhere in the window, with holes between them, in any order; a
/// region (trimmed to whole pages) reaching outside the window is refused with
/// [`InvalidParam`](AllocError::InvalidParam). With the default capacity (256 MiB of 4 KiB
/// pages) and a first region at `0x8020_0000`, the window is `0x8000_0000..0x9000_0000`.
///
/// # Capacity and size
///
/// One feature picks the capacity (with several on, the largest wins). The allocator holds its
/// whole bitmap inline, so its size is fixed by the capacity, whatever memory it is given
/// (sizes on 64-bit targets; 4 KiB pages):
///
/// | Feature                     | Pages (`CAPACITY`) | Window (4 KiB pages) | `size_of` the allocator |
/// |-----------------------------|--------------------|----------------------|-------------------------|
/// | `page-alloc-256m` (default) | 64 Ki              | 256 MiB              | 9,304 B (9.1 KiB)       |
/// | `page-alloc-4g`             | 1 Mi               | 4 GiB                | 140,376 B (137 KiB)     |
/// | `page-alloc-64g`            | 16 Mi              | 64 GiB               | 2,237,528 B (2.1 MiB)   |
/// | `page-alloc-1t`             | 256 Mi             | 1 TiB                | 35,791,960 B (34 MiB)   |
///
/// That is one bit per page (1/32768 of the memory covered with 4 KiB pages), plus a summary
/// bit per 16, plus 560 bytes of counters and region list. Put the allocator in a `static`
/// ([`new`](Self::new) is `const` and all zero bytes, so the allocator lands in `.bss`: no room
/// in the image, nothing to build at boot) or on the heap; never on a stack, where even the 4 GiB one is too large for many kernels and
/// the larger ones overflow any usual stack.
///
/// # Cost
///
/// - `alloc_pages(1, PAGE_SIZE)` and `dealloc_pages(_, 1)`: O(log n) in the capacity, a walk
///   down a 16-ary tree of summary bits (4 levels for 64 Ki pages, 7 for 256 Mi). The free
///   checks its address is page-aligned and in a region in one comparison while there is one
///   region, by a binary search of the (at most 32) regions otherwise.
/// - Runs and aligned single pages (`alloc_pages(n, align)`): a first-fit search from the
///   start of the window. It jumps over allocated stretches through the summary bits but tries
///   each aligned start among free pages in turn, so it is O(pages looked at × log n): up to
///   the window's length when free pages are scattered in short runs.
/// - `alloc_pages_at`: O(num_pages · log n). `dealloc_pages` of a run: O(num_pages / 16 +
///   log n).
/// - `init`/`add_memory`: O(pages added / 16 + regions).
///
/// # Drawbacks
///
/// - The size above is paid in full even for a small memory; the capacity is a build-time
///   choice for every allocator of the build.
/// - Multi-page and aligned allocations are linear scans; under fragmentation they slow down.
/// - All memory must fit in one window; at most 32 separate regions (adjacent ones merge).
///
/// A `PAGE_SIZE` that is not a power of two, or above 1 GiB, does not compile once the
/// allocator is built:
///
/// ```compile_fail
/// static PAGES: allocator_bitmap::BitmapPageAllocator<3000> =
///     allocator_bitmap::BitmapPageAllocator::new();
/// ```
///
/// [bitmap-allocator]: https://docs.rs/bitmap-allocator/0.4
pub struct BitmapPageAllocator<const PAGE_SIZE: usize> {
    window: Window<PageBits, PAGE_REGIONS>,
}

impl<const PAGE_SIZE: usize> BitmapPageAllocator<PAGE_SIZE> {
    /// The number of pages the bitmap covers, set by the `page-alloc-*` features.
    pub const CAPACITY: usize = Window::<PageBits, PAGE_REGIONS>::CAP;

    /// Evaluated by [`new`](Self::new): the page size must be a power of two, at most 1 GiB.
    const PAGE_SIZE_OK: () = assert!(
        PAGE_SIZE.is_power_of_two() && PAGE_SIZE <= MAX_ALIGN,
        "BitmapPageAllocator: PAGE_SIZE must be a power of two no larger than 1 GiB"
    );

    /// The largest alignment, in pages.
    const MAX_ALIGN_PAGES: usize = MAX_ALIGN / PAGE_SIZE;

    /// `log2(PAGE_SIZE)`: page number to address and back.
    const SHIFT: u32 = PAGE_SIZE.trailing_zeros();

    /// Creates an allocator with no memory.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::PAGE_SIZE_OK;
        Self {
            window: Window::new(),
        }
    }

    /// The address range the bitmap covers, `(start, pages)`: known once a region has been
    /// given.
    #[must_use]
    pub const fn window(&self) -> Option<(usize, usize)> {
        match self.window.base() {
            Some(base) => Some((base << Self::SHIFT, Self::CAPACITY)),
            None => None,
        }
    }

    /// `dealloc_pages` without its one-page shortcut (right for any run), out of line so that
    /// the one-page path stays small enough to inline into its callers.
    #[inline(never)]
    fn dealloc_run(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        if pos & (PAGE_SIZE - 1) != 0 {
            return Err(AllocError::InvalidParam);
        }
        self.window.dealloc_run(pos >> Self::SHIFT, num_pages)
    }

    /// Checks `align_pow2` (bytes) and returns it in pages.
    #[inline]
    fn align_in_pages(align_pow2: usize) -> AllocResult<usize> {
        if align_pow2.is_power_of_two() && align_pow2 >= PAGE_SIZE && align_pow2 <= MAX_ALIGN {
            Ok(align_pow2 >> Self::SHIFT)
        } else {
            Err(AllocError::InvalidParam)
        }
    }
}

impl<const PAGE_SIZE: usize> Default for BitmapPageAllocator<PAGE_SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const PAGE_SIZE: usize> fmt::Debug for BitmapPageAllocator<PAGE_SIZE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitmapPageAllocator")
            .field("page_size", &PAGE_SIZE)
            .field("capacity_pages", &Self::CAPACITY)
            .field("window_start", &self.window().map(|(start, _)| start))
            .field("regions", &self.window.regions())
            .field("total_pages", &self.window.total())
            .field("used_pages", &self.window.used())
            .finish()
    }
}

impl<const PAGE_SIZE: usize> BaseAllocator for BitmapPageAllocator<PAGE_SIZE> {
    /// Trims the region to whole pages and fixes the window (see the type's docs).
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        self.window.check_init()?;
        // SAFETY: the caller keeps `init`'s contract, which is `add_memory`'s.
        unsafe { self.add_memory(start, size) }
    }

    /// Trims the region to whole pages; it must lie in the window (see the type's docs).
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = region_end(start, size)?;
        let first = checked_align_up(start, PAGE_SIZE).ok_or(AllocError::InvalidParam)?;
        // `add` refuses an empty span, which is what remains when no whole page fits.
        self.window.add(
            first >> Self::SHIFT,
            end >> Self::SHIFT,
            Self::MAX_ALIGN_PAGES,
        )
    }
}

// SAFETY: the window hands out only units inside the added regions (the region list decides
// every `alloc_at`/`dealloc`; `alloc` takes set bits, which exist only inside regions), a unit at
// most once until it is freed (a bit is cleared on allocation and set only by a checked free),
// at multiples of the alignment (bit 0 is at a multiple of it: see `Window::alloc`), and counts
// exactly: `total` grows by each region's pages and `used` by each allocated or freed run.
// Page `u` is address `u * PAGE_SIZE`, with no overflow as it lies inside a region's addresses.
unsafe impl<const PAGE_SIZE: usize> PageAllocator for BitmapPageAllocator<PAGE_SIZE> {
    const PAGE_SIZE: usize = PAGE_SIZE;

    #[inline]
    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize> {
        if num_pages == 1 && align_pow2 == PAGE_SIZE {
            let page = self.window.alloc_one()?;
            return Ok(page << Self::SHIFT);
        }
        // The rest is out of line (`Window::alloc`): callers inline only the one-page path.
        let align = Self::align_in_pages(align_pow2)?;
        let page = self.window.alloc(num_pages, align, Self::MAX_ALIGN_PAGES)?;
        Ok(page << Self::SHIFT)
    }

    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize> {
        Self::align_in_pages(align_pow2)?;
        if base & (align_pow2 - 1) != 0 {
            return Err(AllocError::InvalidParam);
        }
        self.window.alloc_at(base >> Self::SHIFT, num_pages)?;
        Ok(base)
    }

    #[inline]
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        if num_pages == 1 {
            // The alignment check rides on the range check: rotating moves the offset into the
            // page to the top bits, so an unaligned `pos` becomes a unit of at least
            // `2^(usize::BITS - SHIFT)`, above every unit of every region (a region's units
            // are addresses shifted right by `SHIFT`), and `dealloc_one` refuses it with
            // `InvalidParam`. An aligned `pos` becomes its page number.
            return self.window.dealloc_one(pos.rotate_right(Self::SHIFT));
        }
        self.dealloc_run(pos, num_pages)
    }

    #[inline]
    fn total_pages(&self) -> usize {
        self.window.total()
    }

    #[inline]
    fn used_pages(&self) -> usize {
        self.window.used()
    }

    #[inline]
    fn available_pages(&self) -> usize {
        self.window.total() - self.window.used()
    }
}
