//! The upstream crates the backends wrap, called directly through adapters as thin as the
//! scenarios allow: each method is one upstream call plus the conversion of its result.
//!
//! They skip everything the wrappers add (region checks, trimming, statistics, error
//! mapping), so a wrapper row against its upstream row shows what the wrapper costs. They are
//! only sound for what the scenarios do: large, aligned regions, one per heap, valid layouts.

use std::alloc::Layout;
use std::fmt;
use std::ptr::NonNull;

use bitmap_allocator::BitAlloc;

use crate::heap::{ByteHeap, IdHeap, PageHeap, debug_as_name};

/// First-level length of the TLSF: the same as `allocator-tlsf` uses on 64-bit targets.
pub const TLSF_FLLEN: usize = 29;
/// Second-level length of the TLSF: the same as `allocator-tlsf` uses.
pub const TLSF_SLLEN: usize = 32;

/// `rlsf::Tlsf` with the parameters of `allocator-tlsf`.
type Tlsf = rlsf::Tlsf<'static, u32, u32, TLSF_FLLEN, TLSF_SLLEN>;

/// `rlsf` 0.2 raw: `Tlsf<'static, u32, u32, 29, 32>` given the whole region as one pool.
pub struct RawTlsf(Tlsf);

debug_as_name!(RawTlsf);

impl ByteHeap for RawTlsf {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let mut tlsf = Tlsf::new();
        let pool =
            NonNull::slice_from_raw_parts(NonNull::new(start).expect("region at null"), size);
        // SAFETY: the region is handed over (`new_in`'s contract) and outlives the heap.
        unsafe { tlsf.insert_free_block_ptr(pool) }.expect("pool too small");
        Self(tlsf)
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate(layout)
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: `ptr` came from this TLSF with `layout.align()` (the caller's contract).
        unsafe { self.0.deallocate(ptr, layout.align()) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: `old.align()` is a valid alignment and the scenarios keep sizes far below
        // `isize::MAX`; `ptr` came from this TLSF with that alignment (the caller's contract).
        unsafe {
            let new = Layout::from_size_align_unchecked(new_size, old.align());
            self.0.reallocate(ptr, new)
        }
    }
}

/// `buddy_system_allocator` 0.13 raw: `Heap<32>`.
pub struct RawBuddy(buddy_system_allocator::Heap<32>);

debug_as_name!(RawBuddy);

impl ByteHeap for RawBuddy {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let mut heap = buddy_system_allocator::Heap::<32>::new();
        // SAFETY: the region is handed over (`new_in`'s contract).
        unsafe { heap.init(start as usize, size) };
        Self(heap)
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.alloc(layout).ok()
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is upstream's.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}

/// `ax_slab_allocator` 0.4 raw: its `Heap` over the region (4096-aligned, a multiple of
/// 32 KiB, as upstream asserts).
pub struct RawSlab(ax_slab_allocator::Heap);

debug_as_name!(RawSlab);

impl ByteHeap for RawSlab {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let first = (start as usize).next_multiple_of(4096);
        let len = (size - (first - start as usize)) / (32 << 10) * (32 << 10);
        // SAFETY: `[first, first + len)` lies in the region handed over, 4096-aligned, a
        // non-zero multiple of 32 KiB for the regions the scenarios use.
        Self(unsafe { ax_slab_allocator::Heap::new(first, len) })
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let addr = self.0.allocate(layout).ok()?;
        NonNull::new(addr as *mut u8)
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is upstream's.
        unsafe { self.0.deallocate(ptr.as_ptr() as usize, layout) }
    }
}

/// The size of a page in the page scenarios.
pub const PAGE: usize = 4096;

/// `bitmap-allocator` 0.4 raw as a page allocator: `BitAlloc1M` (4 GiB of 4 KiB pages), bit
/// `i` being page `base + i`.
pub struct RawBitmapPages {
    bits: bitmap_allocator::BitAlloc1M,
    base: usize,
}

impl fmt::Debug for RawBitmapPages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBitmapPages")
            .field("base", &self.base)
            .finish()
    }
}

impl PageHeap for RawBitmapPages {
    fn new_boxed(start: usize, size: usize) -> Box<Self> {
        let mut pages = Box::new(Self {
            bits: bitmap_allocator::BitAlloc1M::DEFAULT,
            base: start / PAGE,
        });
        pages.bits.insert(0..size / PAGE);
        pages
    }

    #[inline]
    fn alloc_pages(&mut self, num_pages: usize, align: usize) -> Option<usize> {
        let idx = if num_pages == 1 && align == PAGE {
            self.bits.alloc()?
        } else {
            let align_log2 = (align / PAGE).trailing_zeros() as usize;
            self.bits.alloc_contiguous(None, num_pages, align_log2)?
        };
        Some((self.base + idx) * PAGE)
    }

    #[inline]
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize, _align: usize) -> bool {
        let idx = pos / PAGE - self.base;
        if num_pages == 1 {
            self.bits.dealloc(idx)
        } else {
            self.bits.dealloc_contiguous(idx, num_pages)
        }
    }
}

/// `bitmap-allocator` 0.4 raw as an ID allocator: `BitAlloc64K`, bit `i` being ID `i`.
pub struct RawBitmapIds(bitmap_allocator::BitAlloc64K);

debug_as_name!(RawBitmapIds);

impl IdHeap for RawBitmapIds {
    fn new_boxed(start: usize, count: usize) -> Box<Self> {
        let mut ids = Box::new(Self(bitmap_allocator::BitAlloc64K::DEFAULT));
        ids.0.insert(start..start + count);
        ids
    }

    #[inline]
    fn alloc_id(&mut self, count: usize, align: usize) -> Option<usize> {
        if count == 1 && align == 1 {
            self.0.alloc()
        } else {
            self.0
                .alloc_contiguous(None, count, align.trailing_zeros() as usize)
        }
    }

    #[inline]
    fn dealloc_id(&mut self, start: usize, count: usize) -> bool {
        if count == 1 {
            self.0.dealloc(start)
        } else {
            self.0.dealloc_contiguous(start, count)
        }
    }
}
