//! The logic shared by the `Allocator` impls of [`AllocatorRc`](crate::AllocatorRc) and
//! [`&Locked`](crate::Locked): zero-size requests, alignment changes, zeroing.
//!
//! Every function reaches the heap through [`HeapAccess::with_heap`] only when the request
//! needs it: zero-size blocks are dangling, well-aligned pointers that never reach the backend.

use core::{alloc::Layout, ptr::NonNull};

use allocator_core::{AllocError, AllocResult, ByteAllocator};

/// A handle through which the heap is reached for one operation at a time.
pub(crate) trait HeapAccess {
    /// The byte allocator behind the handle.
    type Heap: ByteAllocator;

    /// Runs `f` on the heap, or fails without running it if the heap cannot be reached now
    /// (borrowed, not initialised).
    fn with_heap<T>(&self, f: impl FnOnce(&mut Self::Heap) -> AllocResult<T>) -> AllocResult<T>;
}

impl<H: HeapAccess + ?Sized> HeapAccess for &H {
    type Heap = H::Heap;

    #[inline]
    fn with_heap<T>(&self, f: impl FnOnce(&mut Self::Heap) -> AllocResult<T>) -> AllocResult<T> {
        H::with_heap(self, f)
    }
}

/// A non-null pointer aligned to `align` for a zero-size block; it is never dereferenced.
#[inline]
fn dangling(align: usize) -> AllocResult<NonNull<u8>> {
    // `align` is a `Layout`'s alignment, hence at least 1: the pointer is never null.
    NonNull::new(core::ptr::without_provenance_mut(align)).ok_or(AllocError::InvalidParam)
}

#[inline]
fn slice(ptr: NonNull<u8>, len: usize) -> NonNull<[u8]> {
    NonNull::slice_from_raw_parts(ptr, len)
}

/// `Allocator::allocate`.
pub(crate) fn allocate<H: HeapAccess>(h: &H, layout: Layout) -> AllocResult<NonNull<[u8]>> {
    if layout.size() == 0 {
        return Ok(slice(dangling(layout.align())?, 0));
    }
    let ptr = h.with_heap(|heap| heap.alloc(layout))?;
    Ok(slice(ptr, layout.size()))
}

/// `Allocator::allocate_zeroed`.
pub(crate) fn allocate_zeroed<H: HeapAccess>(h: &H, layout: Layout) -> AllocResult<NonNull<[u8]>> {
    let block = allocate(h, layout)?;
    // SAFETY: the block is fresh and at least `layout.size()` bytes long (rule 4 of the
    // `ByteAllocator` promise); for size 0 nothing is written.
    unsafe { block.cast::<u8>().as_ptr().write_bytes(0, layout.size()) };
    Ok(block)
}

/// `Allocator::deallocate`.
///
/// # Safety
///
/// As for `Allocator::deallocate`: `ptr` is a block of this heap currently allocated with
/// `layout` (the handles report exactly `layout.size()` bytes, so the size is exact).
pub(crate) unsafe fn deallocate<H: HeapAccess>(h: &H, ptr: NonNull<u8>, layout: Layout) {
    if layout.size() == 0 {
        return;
    }
    // If the heap cannot be reached (a `RefCell` borrowed by the caller's own closure), the
    // block is leaked: safe, and the only way to report nothing from `deallocate`.
    let _ = h.with_heap(|heap| {
        // SAFETY: `ptr` came from `heap` with `layout` (caller's contract).
        unsafe { heap.dealloc(ptr, layout) };
        Ok(())
    });
}

/// Moves a non-empty block to a fresh one of layout `new`, copying `min(old, new)` bytes.
///
/// # Safety
///
/// `ptr` is live in `heap` with layout `old`, `old.size() > 0`.
unsafe fn move_block<A: ByteAllocator>(
    heap: &mut A,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> AllocResult<NonNull<u8>> {
    let fresh = heap.alloc(new)?;
    // SAFETY: `ptr` is live for `old.size()` bytes (caller), `fresh` for `new.size()` bytes,
    // and live blocks never overlap (rule 3 of the `ByteAllocator` promise).
    unsafe {
        core::ptr::copy_nonoverlapping(ptr.as_ptr(), fresh.as_ptr(), old.size().min(new.size()))
    };
    // SAFETY: `ptr` and `old` are as allocated (caller), freed once, after the copy.
    unsafe { heap.dealloc(ptr, old) };
    Ok(fresh)
}

/// Resizes a non-empty block to `new` (of non-zero size) inside the heap: through
/// `ByteAllocator::realloc` when the alignment stays, by moving it otherwise (`realloc` keeps
/// the old alignment, and the block must later be freed with the new one).
///
/// # Safety
///
/// `ptr` is live in the heap with layout `old`, `old.size() > 0`, `new.size() > 0`.
unsafe fn resize<H: HeapAccess>(
    h: &H,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> AllocResult<NonNull<u8>> {
    h.with_heap(|heap| {
        if new.align() == old.align() {
            // SAFETY: `ptr` is live with `old` (caller); the block keeps `old.align()`, which
            // is `new.align()`.
            unsafe { heap.realloc(ptr, old, new.size()) }
        } else {
            // SAFETY: as required by `move_block` (caller).
            unsafe { move_block(heap, ptr, old, new) }
        }
    })
}

/// `Allocator::grow` (`zeroed: false`) and `Allocator::grow_zeroed` (`zeroed: true`).
///
/// # Safety
///
/// As for `Allocator::grow`: `ptr` is currently allocated with `old`, and
/// `new.size() >= old.size()`.
pub(crate) unsafe fn grow<H: HeapAccess>(
    h: &H,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
    zeroed: bool,
) -> AllocResult<NonNull<[u8]>> {
    debug_assert!(new.size() >= old.size(), "grow to a smaller size");
    if old.size() == 0 {
        // A dangling block: nothing to copy or free.
        return if zeroed {
            allocate_zeroed(h, new)
        } else {
            allocate(h, new)
        };
    }
    // SAFETY: `ptr` is live with `old` (caller), `old.size() > 0`, and
    // `new.size() >= old.size() > 0`.
    let moved = unsafe { resize(h, ptr, old, new) }?;
    if zeroed {
        let tail = new.size().saturating_sub(old.size());
        // SAFETY: the block has `new.size()` bytes; the tail past the old size is written.
        unsafe { moved.as_ptr().add(old.size()).write_bytes(0, tail) };
    }
    Ok(slice(moved, new.size()))
}

/// `Allocator::shrink`.
///
/// # Safety
///
/// As for `Allocator::shrink`: `ptr` is currently allocated with `old`, and
/// `new.size() <= old.size()`.
pub(crate) unsafe fn shrink<H: HeapAccess>(
    h: &H,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> AllocResult<NonNull<[u8]>> {
    debug_assert!(new.size() <= old.size(), "shrink to a larger size");
    if new.size() == 0 {
        let block = slice(dangling(new.align())?, 0);
        // SAFETY: `ptr` is allocated with `old` (caller) and not used again.
        unsafe { deallocate(h, ptr, old) };
        return Ok(block);
    }
    // SAFETY: `ptr` is live with `old` (caller), and `old.size() >= new.size() > 0`.
    let moved = unsafe { resize(h, ptr, old, new) }?;
    Ok(slice(moved, new.size()))
}

/// The methods of an `Allocator` trait (core's or allocator-api2's, whose error type is `$err`)
/// for a type implementing [`HeapAccess`].
macro_rules! allocator_methods {
    ($err:path) => {
        #[inline]
        fn allocate(&self, layout: core::alloc::Layout) -> Result<core::ptr::NonNull<[u8]>, $err> {
            crate::api::allocate(self, layout).map_err(|_| $err)
        }

        #[inline]
        fn allocate_zeroed(
            &self,
            layout: core::alloc::Layout,
        ) -> Result<core::ptr::NonNull<[u8]>, $err> {
            crate::api::allocate_zeroed(self, layout).map_err(|_| $err)
        }

        #[inline]
        unsafe fn deallocate(&self, ptr: core::ptr::NonNull<u8>, layout: core::alloc::Layout) {
            // SAFETY: the caller keeps the contract of `Allocator::deallocate`.
            unsafe { crate::api::deallocate(self, ptr, layout) }
        }

        #[inline]
        unsafe fn grow(
            &self,
            ptr: core::ptr::NonNull<u8>,
            old_layout: core::alloc::Layout,
            new_layout: core::alloc::Layout,
        ) -> Result<core::ptr::NonNull<[u8]>, $err> {
            // SAFETY: the caller keeps the contract of `Allocator::grow`.
            unsafe { crate::api::grow(self, ptr, old_layout, new_layout, false) }.map_err(|_| $err)
        }

        #[inline]
        unsafe fn grow_zeroed(
            &self,
            ptr: core::ptr::NonNull<u8>,
            old_layout: core::alloc::Layout,
            new_layout: core::alloc::Layout,
        ) -> Result<core::ptr::NonNull<[u8]>, $err> {
            // SAFETY: the caller keeps the contract of `Allocator::grow_zeroed`.
            unsafe { crate::api::grow(self, ptr, old_layout, new_layout, true) }.map_err(|_| $err)
        }

        #[inline]
        unsafe fn shrink(
            &self,
            ptr: core::ptr::NonNull<u8>,
            old_layout: core::alloc::Layout,
            new_layout: core::alloc::Layout,
        ) -> Result<core::ptr::NonNull<[u8]>, $err> {
            // SAFETY: the caller keeps the contract of `Allocator::shrink`.
            unsafe { crate::api::shrink(self, ptr, old_layout, new_layout) }.map_err(|_| $err)
        }
    };
}
pub(crate) use allocator_methods;
