//! What a scenario needs from a contender: [`ByteHeap`], [`PageHeap`] and [`IdHeap`].
//!
//! Every allocator of the workspace (anything implementing allocator-core's `ByteAllocator`,
//! `PageAllocator` or `IdAllocator`, with `Default`) is one through the blanket impls here,
//! which forward each call to the trait method and nothing else. The upstream crates and the
//! peers are given the same three calls by the thin adapters of [`upstream`](crate::upstream)
//! and [`peers`](crate::peers), without the statistics and checks allocator-core's traits
//! promise: that difference is exactly what the wrapper rows cost.

use std::alloc::Layout;
use std::ptr::NonNull;

use allocator::{ByteAllocator, IdAllocator, PageAllocator};

/// A byte heap as the scenarios drive it.
pub trait ByteHeap {
    /// A heap over `[start, start + size)`.
    ///
    /// # Safety
    ///
    /// The region is valid for reads and writes and used by nothing else while the heap, or
    /// any block it handed out, is in use.
    ///
    /// # Panics
    ///
    /// If the heap refuses the region (the scenarios give every heap a large, 2 MiB-aligned
    /// region).
    unsafe fn new_in(start: *mut u8, size: usize) -> Self;

    /// A block for `layout` (whose size is not 0), or `None`.
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>>;

    /// Frees a block.
    ///
    /// # Safety
    ///
    /// `ptr` came from this heap with `layout` and is not used afterwards.
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout);

    /// Resizes a block to `new_size` (not 0) bytes, keeping its alignment; `None` leaves the
    /// old block intact. The provided one allocates, copies and frees, for heaps with no
    /// resize of their own.
    ///
    /// # Safety
    ///
    /// As for [`dealloc`](Self::dealloc); on success only the returned block may be used.
    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: the caller's contract is the same.
        unsafe { realloc_by_copy(self, ptr, old, new_size) }
    }
}

/// Allocate, copy, free: the resize of a heap that has no better one.
///
/// # Safety
///
/// As for [`ByteHeap::realloc`].
#[inline]
pub(crate) unsafe fn realloc_by_copy<H: ByteHeap + ?Sized>(
    heap: &mut H,
    ptr: NonNull<u8>,
    old: Layout,
    new_size: usize,
) -> Option<NonNull<u8>> {
    // SAFETY: `old.align()` is valid and the scenarios keep sizes far below `isize::MAX`.
    let new = unsafe { Layout::from_size_align_unchecked(new_size, old.align()) };
    let new_ptr = heap.alloc(new)?;
    // SAFETY: both blocks are live, disjoint and at least this long.
    unsafe {
        std::ptr::copy_nonoverlapping(ptr.as_ptr(), new_ptr.as_ptr(), old.size().min(new_size))
    };
    // SAFETY: `ptr` with `old` is the caller's live block, freed once.
    unsafe { heap.dealloc(ptr, old) };
    Some(new_ptr)
}

/// A `Debug` impl that prints only the type's name, for the adapters of
/// [`upstream`](crate::upstream) and [`peers`](crate::peers): their upstream internals are not
/// worth printing.
macro_rules! debug_as_name {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($ty))
            }
        }
    };
}
pub(crate) use debug_as_name;

impl<A: ByteAllocator + Default> ByteHeap for A {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let mut heap = A::default();
        // SAFETY: the caller hands the region over (`new_in`'s contract is `init`'s).
        unsafe { heap.init(start as usize, size) }.expect("the heap refused the region");
        heap
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        ByteAllocator::alloc(self, layout).ok()
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is the trait's.
        unsafe { ByteAllocator::dealloc(self, ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: the caller's contract is the trait's.
        unsafe { ByteAllocator::realloc(self, ptr, old, new_size) }.ok()
    }
}

/// A page allocator as the scenarios drive it: pages are addresses, never dereferenced.
pub trait PageHeap {
    /// An allocator (on the heap: bitmaps are large) of the pages of `[start, start + size)`.
    ///
    /// # Panics
    ///
    /// If the allocator refuses the range.
    fn new_boxed(start: usize, size: usize) -> Box<Self>;

    /// `num_pages` pages at a multiple of `align` bytes.
    fn alloc_pages(&mut self, num_pages: usize, align: usize) -> Option<usize>;

    /// Frees a run allocated with these arguments. Returns whether the allocator took it.
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize, align: usize) -> bool;
}

impl<P: PageAllocator + Default> PageHeap for P {
    fn new_boxed(start: usize, size: usize) -> Box<Self> {
        let mut pages = Box::<P>::default();
        // SAFETY: the scenarios never turn a page address into memory: no page of the range
        // is ever read or written, so no one else's memory is used as owned.
        unsafe { pages.init(start, size) }.expect("the page allocator refused the range");
        pages
    }

    #[inline]
    fn alloc_pages(&mut self, num_pages: usize, align: usize) -> Option<usize> {
        PageAllocator::alloc_pages(self, num_pages, align).ok()
    }

    #[inline]
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize, _align: usize) -> bool {
        PageAllocator::dealloc_pages(self, pos, num_pages).is_ok()
    }
}

/// An ID allocator as the scenarios drive it.
pub trait IdHeap {
    /// An allocator (on the heap) of the IDs `[start, start + count)`.
    ///
    /// # Panics
    ///
    /// If the allocator refuses the range.
    fn new_boxed(start: usize, count: usize) -> Box<Self>;

    /// `count` consecutive IDs, the first a multiple of `align`.
    fn alloc_id(&mut self, count: usize, align: usize) -> Option<usize>;

    /// Frees a run allocated with these arguments. Returns whether the allocator took it.
    fn dealloc_id(&mut self, start: usize, count: usize) -> bool;
}

impl<I: IdAllocator + Default> IdHeap for I {
    fn new_boxed(start: usize, count: usize) -> Box<Self> {
        let mut ids = Box::<I>::default();
        // SAFETY: IDs are plain numbers here, owned by no one else.
        unsafe { ids.init(start, count) }.expect("the ID allocator refused the range");
        ids
    }

    #[inline]
    fn alloc_id(&mut self, count: usize, align: usize) -> Option<usize> {
        IdAllocator::alloc_id(self, count, align).ok()
    }

    #[inline]
    fn dealloc_id(&mut self, start: usize, count: usize) -> bool {
        IdAllocator::dealloc_id(self, start, count).is_ok()
    }
}
