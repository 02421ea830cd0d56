//! `BitmapIdAllocator` and its capacities.

use crate::window::{Window, region_end};
use allocator_core::{AllocError, AllocResult, BaseAllocator, IdAllocator};
use core::fmt;

/// How many ranges (after merging adjacent ones) one ID allocator can hold.
const ID_REGIONS: usize = 8;

mod sealed {
    /// Maps a capacity marker to its bitmap; not nameable outside the crate, so the set of
    /// capacities is closed and bitmap-allocator stays out of the public API.
    pub trait Sealed {
        type Bits: bitmap_allocator::BitAlloc;
    }
}

/// The capacity of a [`BitmapIdAllocator`]: one of [`Ids16`], [`Ids256`], [`Ids4K`],
/// [`Ids64K`], [`Ids1M`], [`Ids16M`], [`Ids256M`].
///
/// This trait is sealed: the capacities are those of the bitmaps underneath.
pub trait IdCapacity: sealed::Sealed {
    /// The number of IDs the bitmap covers.
    const CAPACITY: usize;
}

macro_rules! capacities {
    ($($name:ident = $bits:ident, $cap:literal, $size:literal;)*) => {$(
        #[doc = concat!(
            "Capacity of ", $cap, " IDs for a [`BitmapIdAllocator`], which then takes ",
            $size, " on 64-bit targets."
        )]
        #[derive(Debug)]
        pub enum $name {}

        impl sealed::Sealed for $name {
            type Bits = bitmap_allocator::$bits;
        }

        impl IdCapacity for $name {
            const CAPACITY: usize = <bitmap_allocator::$bits as bitmap_allocator::BitAlloc>::CAP;
        }
    )*};
}

capacities! {
    Ids16 = BitAlloc16, "16", "184 bytes";
    Ids256 = BitAlloc256, "256", "216 bytes";
    Ids4K = BitAlloc4K, "4,096", "728 bytes";
    Ids64K = BitAlloc64K, "65,536", "8,920 bytes (8.7 KiB)";
    Ids1M = BitAlloc1M, "1,048,576", "139,992 bytes (137 KiB)";
    Ids16M = BitAlloc16M, "16,777,216", "2,237,144 bytes (2.1 MiB)";
    Ids256M = BitAlloc256M, "268,435,456", "35,791,576 bytes (34 MiB)";
}

/// An ID allocator keeping one bit per ID, over [bitmap-allocator] 0.4.
///
/// `C` is its capacity, one of the [`IdCapacity`] markers (4,096 IDs by default):
/// `BitmapIdAllocator<Ids64K>` tracks up to 65,536 IDs.
///
/// # The window
///
/// The IDs it can hold lie in one block of `C::CAPACITY` IDs starting at a multiple of
/// `C::CAPACITY`: the block holding the first range given ([`init`](BaseAllocator::init), or
/// [`add_memory`](BaseAllocator::add_memory) on an empty allocator). With [`Ids4K`] and a first
/// range `1..4096`, that is IDs `0..4096`; a range reaching outside the block is refused with
/// [`InvalidParam`](AllocError::InvalidParam). Ranges may have holes between them (at most 8
/// separate ranges; adjacent ones merge). Any power-of-two alignment is possible, counted in
/// IDs from 0: an alignment larger than the capacity only fits the block's first ID.
///
/// # Cost
///
/// `alloc_id(1, 1)`, `dealloc_id(_, 1)`, `alloc_fixed_id` and `is_allocated`: O(log n) in the
/// capacity. Runs and aligned IDs: a first-fit scan, up to the capacity when fragmented.
/// The size is fixed by the capacity: one bit per ID plus a summary bit per 16, plus about 180
/// bytes (see each marker; on 64-bit targets). `new` is `const` and all zero bytes: large ones
/// belong in a `static`, which then lands in `.bss`.
///
/// # Example
///
/// ```
/// use allocator_bitmap::{BitmapIdAllocator, Ids4K};
/// use allocator_core::{AllocError, BaseAllocator, IdAllocator};
///
/// let mut pids = BitmapIdAllocator::<Ids4K>::new();
/// // SAFETY: these IDs belong to no one else.
/// unsafe { pids.init(1, 4095) }.unwrap(); // PIDs 1..4096
/// assert_eq!(pids.alloc_id(1, 1), Ok(1));
/// pids.alloc_fixed_id(100).unwrap();
/// assert_eq!(pids.alloc_fixed_id(100), Err(AllocError::NoMemory));
/// assert_eq!(pids.alloc_id(4, 4), Ok(4));
/// assert_eq!(pids.used(), 6);
/// pids.dealloc_id(4, 4).unwrap();
/// assert!(!pids.is_allocated(5));
/// assert_eq!(pids.dealloc_id(5, 1), Err(AllocError::NotAllocated));
/// ```
///
/// [bitmap-allocator]: https://docs.rs/bitmap-allocator/0.4
pub struct BitmapIdAllocator<C: IdCapacity = Ids4K> {
    window: Window<<C as sealed::Sealed>::Bits, ID_REGIONS>,
}

impl<C: IdCapacity> BitmapIdAllocator<C> {
    /// The number of IDs the bitmap covers.
    pub const CAPACITY: usize = C::CAPACITY;

    /// Creates an allocator with no IDs.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            window: Window::new(),
        }
    }

    /// The IDs the bitmap covers, `(first, count)`: known once a range has been given.
    #[must_use]
    pub const fn window(&self) -> Option<(usize, usize)> {
        match self.window.base() {
            Some(base) => Some((base, C::CAPACITY)),
            None => None,
        }
    }
}

impl<C: IdCapacity> Default for BitmapIdAllocator<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: IdCapacity> fmt::Debug for BitmapIdAllocator<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitmapIdAllocator")
            .field("capacity", &C::CAPACITY)
            .field("window_start", &self.window.base())
            .field("ranges", &self.window.regions())
            .field("size", &self.window.total())
            .field("used", &self.window.used())
            .finish()
    }
}

impl<C: IdCapacity> BaseAllocator for BitmapIdAllocator<C> {
    /// Fixes the window (see the type's docs).
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        self.window.check_init()?;
        // SAFETY: the caller keeps `init`'s contract, which is `add_memory`'s.
        unsafe { self.add_memory(start, size) }
    }

    /// The range must lie in the window (see the type's docs).
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = region_end(start, size)?;
        self.window.add(start, end, C::CAPACITY)
    }
}

impl<C: IdCapacity> IdAllocator for BitmapIdAllocator<C> {
    #[inline]
    fn alloc_id(&mut self, count: usize, align_pow2: usize) -> AllocResult<usize> {
        // One ID: straight down the bitmap, inlined; the rest out of line.
        if count == 1 && align_pow2 == 1 {
            return self.window.alloc_one();
        }
        if !align_pow2.is_power_of_two() {
            return Err(AllocError::InvalidParam);
        }
        // Every power of two is honoured: those beyond the capacity fit only the window's
        // first ID, which `Window::alloc` handles when `base_align` is the whole window.
        self.window
            .alloc(count, align_pow2, align_pow2.max(C::CAPACITY))
    }

    #[inline]
    fn dealloc_id(&mut self, start_id: usize, count: usize) -> AllocResult {
        self.window.dealloc(start_id, count)
    }

    #[inline]
    fn is_allocated(&self, id: usize) -> bool {
        self.window.is_allocated(id)
    }

    fn alloc_fixed_id(&mut self, id: usize) -> AllocResult {
        self.window.alloc_at(id, 1)
    }

    #[inline]
    fn size(&self) -> usize {
        self.window.total()
    }

    #[inline]
    fn used(&self) -> usize {
        self.window.used()
    }

    #[inline]
    fn available(&self) -> usize {
        self.window.total() - self.window.used()
    }
}
