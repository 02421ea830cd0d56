//! What users would pick instead (talc, linked_list_allocator, buddy frames), the hosted
//! reference (the system allocator), the floor (a bump allocator), and a variant of the TLSF
//! backend without its in-place `realloc`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;

use allocator::{AllocResult, BaseAllocator, ByteAllocator};

use crate::heap::{ByteHeap, PageHeap, debug_as_name, realloc_by_copy};
use crate::upstream::PAGE;

/// talc 5: `Talc<Manual, DefaultBinning>` given the region with `claim`; resizes in place
/// when it can, as talc's own `Allocator` impls do.
pub struct TalcHeap(talc::base::Talc<talc::source::Manual, talc::DefaultBinning>);

debug_as_name!(TalcHeap);

impl ByteHeap for TalcHeap {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let mut talc = talc::base::Talc::new(talc::source::Manual);
        // SAFETY: the region is handed over (`new_in`'s contract).
        unsafe { talc.claim(start, size) }.expect("talc refused the region");
        Self(talc)
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the scenarios never ask for 0 bytes (`ByteHeap::alloc`'s contract).
        unsafe { self.0.allocate(layout) }
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is talc's.
        unsafe { self.0.deallocate(ptr.as_ptr(), layout) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: `ptr` came from this heap with `old`; `new_size` is not 0.
        if unsafe { self.0.try_realloc_in_place(ptr.as_ptr(), old, new_size) } {
            return Some(ptr);
        }
        // SAFETY: the caller's contract.
        unsafe { realloc_by_copy(self, ptr, old, new_size) }
    }
}

/// linked_list_allocator 0.10: its `Heap`, first fit; it has no resize of its own.
pub struct LinkedListHeap(linked_list_allocator::Heap);

debug_as_name!(LinkedListHeap);

impl ByteHeap for LinkedListHeap {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let mut heap = linked_list_allocator::Heap::empty();
        // SAFETY: the region is handed over (`new_in`'s contract).
        unsafe { heap.init(start, size) };
        Self(heap)
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate_first_fit(layout).ok()
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is upstream's.
        unsafe { self.0.deallocate(ptr, layout) }
    }
}

/// The system allocator (`std::alloc::System`), the hosted reference. It ignores the region.
#[derive(Debug)]
pub struct SystemHeap;

impl ByteHeap for SystemHeap {
    unsafe fn new_in(_start: *mut u8, _size: usize) -> Self {
        Self
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the scenarios never ask for 0 bytes.
        NonNull::new(unsafe { System.alloc(layout) })
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout` (the caller's contract).
        unsafe { System.dealloc(ptr.as_ptr(), layout) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: `ptr` came from `System` with `old`; `new_size` is not 0 and small.
        NonNull::new(unsafe { System.realloc(ptr.as_ptr(), old, new_size) })
    }
}

/// The floor: a bump allocator. Freeing is a no-op, except that the heap starts over once no
/// block is live; resizing the last block extends it in place.
#[derive(Debug)]
pub struct BumpHeap {
    next: usize,
    start: usize,
    end: usize,
    live: usize,
}

impl ByteHeap for BumpHeap {
    unsafe fn new_in(start: *mut u8, size: usize) -> Self {
        let start = start as usize;
        Self {
            next: start,
            start,
            end: start + size,
            live: 0,
        }
    }

    #[inline]
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let addr = self.next.checked_next_multiple_of(layout.align())?;
        let end = addr.checked_add(layout.size())?;
        if end > self.end {
            return None;
        }
        self.next = end;
        self.live += 1;
        NonNull::new(std::ptr::with_exposed_provenance_mut(addr))
    }

    #[inline]
    unsafe fn dealloc(&mut self, _ptr: NonNull<u8>, _layout: Layout) {
        self.live -= 1;
        if self.live == 0 {
            self.next = self.start;
        }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        let addr = ptr.as_ptr() as usize;
        if addr + old.size() == self.next && addr + new_size <= self.end {
            self.next = addr + new_size;
            return Some(ptr);
        }
        // SAFETY: the caller's contract.
        unsafe { realloc_by_copy(self, ptr, old, new_size) }
    }
}

/// `buddy_system_allocator`'s `FrameAllocator` (a buddy system over frame numbers, in
/// `BTreeSet`s), a page allocator users pick instead of a bitmap. Runs are rounded up to a
/// power of two.
pub struct BuddyFrames(buddy_system_allocator::FrameAllocator<33>);

debug_as_name!(BuddyFrames);

impl PageHeap for BuddyFrames {
    fn new_boxed(start: usize, size: usize) -> Box<Self> {
        let mut frames = Box::new(Self(buddy_system_allocator::FrameAllocator::new()));
        frames.0.add_frame(start / PAGE, (start + size) / PAGE);
        frames
    }

    #[inline]
    fn alloc_pages(&mut self, num_pages: usize, align: usize) -> Option<usize> {
        let layout = Layout::from_size_align(num_pages, align / PAGE).ok()?;
        Some(self.0.alloc_aligned(layout)? * PAGE)
    }

    #[inline]
    fn dealloc_pages(&mut self, pos: usize, num_pages: usize, align: usize) -> bool {
        let Ok(layout) = Layout::from_size_align(num_pages, align / PAGE) else {
            return false;
        };
        self.0.dealloc_aligned(pos / PAGE, layout);
        true
    }
}

/// A backend with the provided `realloc` of `ByteAllocator` (allocate, copy, free) instead of
/// its own: the TLSF row through it shows what in-place resizing gains.
#[derive(Debug, Default)]
pub struct CopyRealloc<A>(pub A);

impl<A: BaseAllocator> BaseAllocator for CopyRealloc<A> {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is the same.
        unsafe { self.0.init(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // SAFETY: the caller's contract is the same.
        unsafe { self.0.add_memory(start, size) }
    }
}

// SAFETY: every method but `realloc` forwards to `A`, which keeps the promise; `realloc` is
// the trait's provided one, built on `A`'s `alloc` and `dealloc`.
unsafe impl<A: ByteAllocator> ByteAllocator for CopyRealloc<A> {
    #[inline]
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        self.0.alloc(layout)
    }

    #[inline]
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract is the same.
        unsafe { self.0.dealloc(pos, layout) }
    }

    fn total_bytes(&self) -> usize {
        self.0.total_bytes()
    }

    fn used_bytes(&self) -> usize {
        self.0.used_bytes()
    }
}
