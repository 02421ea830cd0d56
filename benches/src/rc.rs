//! [`HeapRc`]: the contenders that are not `ByteAllocator`s behind an `Allocator` handle, for
//! the collection workloads.
//!
//! It mirrors `allocator::AllocatorRc` (an `Rc<RefCell<_>>`, zero-size blocks never reach the
//! heap, resizing through the heap's `realloc` when the alignment stays) so that every row of
//! those workloads pays the same handle costs.

use std::alloc::Layout;
use std::cell::RefCell;
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::heap::ByteHeap;

/// A shared handle to a [`ByteHeap`].
pub struct HeapRc<H>(Rc<RefCell<H>>);

impl<H> HeapRc<H> {
    /// Wraps a heap.
    #[must_use]
    pub fn new(heap: H) -> Self {
        Self(Rc::new(RefCell::new(heap)))
    }
}

impl<H> Clone for HeapRc<H> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<H> fmt::Debug for HeapRc<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeapRc")
    }
}

/// A non-null, aligned pointer for a zero-size block.
#[inline]
fn dangling(align: usize) -> NonNull<u8> {
    // `align` is a `Layout`'s, at least 1.
    NonNull::new(std::ptr::without_provenance_mut(align)).unwrap_or(NonNull::dangling())
}

impl<H: ByteHeap> HeapRc<H> {
    #[inline]
    fn allocate_block(&self, layout: Layout) -> Option<NonNull<[u8]>> {
        if layout.size() == 0 {
            return Some(NonNull::slice_from_raw_parts(dangling(layout.align()), 0));
        }
        let ptr = self.0.try_borrow_mut().ok()?.alloc(layout)?;
        Some(NonNull::slice_from_raw_parts(ptr, layout.size()))
    }

    /// # Safety
    ///
    /// `ptr` is live with `layout`.
    #[inline]
    unsafe fn deallocate_block(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        if let Ok(mut heap) = self.0.try_borrow_mut() {
            // SAFETY: the caller's contract.
            unsafe { heap.dealloc(ptr, layout) };
        }
    }

    /// # Safety
    ///
    /// `ptr` is live with `old`.
    #[inline]
    unsafe fn resize_block(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Option<NonNull<[u8]>> {
        if old.size() == 0 {
            return self.allocate_block(new);
        }
        if new.size() == 0 {
            // SAFETY: the caller's contract.
            unsafe { self.deallocate_block(ptr, old) };
            return self.allocate_block(new);
        }
        let mut heap = self.0.try_borrow_mut().ok()?;
        let moved = if new.align() == old.align() {
            // SAFETY: `ptr` is live with `old` (the caller's contract); sizes are non-zero.
            unsafe { heap.realloc(ptr, old, new.size()) }?
        } else {
            let fresh = heap.alloc(new)?;
            // SAFETY: both blocks are live and disjoint, each at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    ptr.as_ptr(),
                    fresh.as_ptr(),
                    old.size().min(new.size()),
                );
            }
            // SAFETY: `ptr` is live with `old`, freed once after the copy.
            unsafe { heap.dealloc(ptr, old) };
            fresh
        };
        Some(NonNull::slice_from_raw_parts(moved, new.size()))
    }
}

/// The methods of an `Allocator` trait (allocator-api2's, or core's with the `nightly`
/// feature), whose error type is `$err`.
macro_rules! allocator_methods {
    ($err:path) => {
        #[inline]
        fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, $err> {
            self.allocate_block(layout).ok_or($err)
        }

        #[inline]
        unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
            // SAFETY: the trait's contract.
            unsafe { self.deallocate_block(ptr, layout) }
        }

        #[inline]
        unsafe fn grow(
            &self,
            ptr: NonNull<u8>,
            old: Layout,
            new: Layout,
        ) -> Result<NonNull<[u8]>, $err> {
            // SAFETY: the trait's contract.
            unsafe { self.resize_block(ptr, old, new) }.ok_or($err)
        }

        #[inline]
        unsafe fn shrink(
            &self,
            ptr: NonNull<u8>,
            old: Layout,
            new: Layout,
        ) -> Result<NonNull<[u8]>, $err> {
            // SAFETY: the trait's contract.
            unsafe { self.resize_block(ptr, old, new) }.ok_or($err)
        }
    };
}

// SAFETY: blocks come from the heap, which hands out disjoint blocks of at least the asked
// size and alignment in memory that outlives the handle (`ByteHeap::new_in`'s contract, kept
// by the workloads, which drop every handle before the region); zero-size blocks are dangling
// and never reach the heap; clones share one heap.
unsafe impl<H: ByteHeap> allocator_api2::alloc::Allocator for HeapRc<H> {
    allocator_methods!(allocator_api2::alloc::AllocError);
}

#[cfg(feature = "nightly")]
// SAFETY: as for the allocator-api2 impl above.
unsafe impl<H: ByteHeap> core::alloc::Allocator for HeapRc<H> {
    allocator_methods!(core::alloc::AllocError);
}
