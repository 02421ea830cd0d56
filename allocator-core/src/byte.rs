//! Byte allocators: the heaps that `Box`, `Vec` and `String` live on.

use core::{alloc::Layout, ptr::NonNull};

use crate::{AllocError, AllocResult, BaseAllocator};

/// A heap that hands out blocks of bytes described by a [`Layout`].
///
/// # Using
///
/// - [`alloc`](Self::alloc) returns a block of at least `layout.size()` bytes, aligned to
///   `layout.align()`, that is yours until you give it back with [`dealloc`](Self::dealloc) or
///   resize it with [`realloc`](Self::realloc). A size of 0 is a valid request: you get a unique
///   block and free it like any other.
/// - No method panics on an input its signature and safety contract let through; a request the
///   allocator cannot serve is an [`AllocError`].
/// - [`used_bytes`](Self::used_bytes) counts every byte that live blocks withhold from other
///   requests, the backend's rounding included, so it is at least the sum of the live layout
///   sizes, at most [`total_bytes`](Self::total_bytes), and returns exactly to its earlier
///   value once the blocks allocated since are freed.
///
/// # Implementing
///
/// Validate a request before touching the heap, map the backend's failures to a specific
/// [`AllocError`], and keep the statistics updates on the allocation path to a few additions.
/// `allocator-testkit` checks each rule below against a shadow model.
///
/// # Safety
///
/// This is an `unsafe trait` because generic unsafe code (a `#[global_allocator]` adapter, an
/// `Allocator` handle) hands your blocks to safe code as owned memory. By implementing it you
/// promise, for every block that [`alloc`](Self::alloc) or [`realloc`](Self::realloc) returns:
///
/// 1. it lies wholly inside memory given by [`init`](BaseAllocator::init) or
///    [`add_memory`](BaseAllocator::add_memory);
/// 2. its address is a multiple of `layout.align()`, for every power-of-two alignment; an
///    alignment you cannot honour gets [`AllocError::InvalidParam`], never a misaligned block;
/// 3. it overlaps no other live block, including blocks of size 0;
/// 4. it stays valid, and you do not touch its bytes, until it is freed or resized;
/// 5. `realloc` preserves the first `min(old size, new size)` bytes and, on error, leaves the
///    old block untouched and still the caller's;
/// 6. the statistics keep the bounds stated above after every call.
///
/// # Examples
///
/// A function generic over the trait also accepts `&mut heap`:
///
/// ```
/// use allocator_core::{AllocResult, ByteAllocator};
/// use core::alloc::Layout;
///
/// fn alloc_and_free<A: ByteAllocator>(mut heap: A) -> AllocResult {
///     let layout = Layout::from_size_align(64, 16).unwrap();
///     let block = heap.alloc(layout)?;
///     assert_eq!(block.as_ptr() as usize % 16, 0);
///     // SAFETY: `block` came from this heap with `layout` and is freed once.
///     unsafe { heap.dealloc(block, layout) };
///     Ok(())
/// }
/// ```
pub unsafe trait ByteAllocator: BaseAllocator {
    /// Allocates a block for `layout`.
    ///
    /// # Errors
    ///
    /// Nothing changes on error.
    /// - [`NoMemory`](AllocError::NoMemory): no free block fits.
    /// - [`InvalidParam`](AllocError::InvalidParam): the backend cannot honour this alignment,
    ///   or the size overflows once rounded up to the backend's granularity.
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>>;

    /// Frees a block.
    ///
    /// # Safety
    ///
    /// - `pos` was returned by [`alloc`](Self::alloc) or [`realloc`](Self::realloc) of this
    ///   same allocator and has not been freed or resized since;
    /// - `layout` is the layout it was allocated with (for a block from `realloc`: the old
    ///   alignment and the new size);
    /// - nothing uses the block after this call.
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout);

    /// Resizes a block to `new_size` bytes, keeping its alignment, and returns where it is now.
    ///
    /// The first `min(old.size(), new_size)` bytes are preserved. The default allocates a new
    /// block, copies and frees the old one; backends that can resize in place override it.
    ///
    /// # Safety
    ///
    /// - `pos` and `old` are as for [`dealloc`](Self::dealloc);
    /// - on success the old block is freed: only the returned one may be used.
    ///
    /// # Errors
    ///
    /// On error the old block is untouched and still the caller's, and nothing changes.
    /// - [`InvalidParam`](AllocError::InvalidParam): `new_size` rounded up to `old.align()`
    ///   overflows `isize`, or as for [`alloc`](Self::alloc).
    /// - [`NoMemory`](AllocError::NoMemory): no block of the new size fits.
    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        // SAFETY: the caller keeps the contract of `realloc`, which is that of `realloc_by_copy`.
        unsafe { realloc_by_copy(self, pos, old, new_size) }
    }

    /// The number of bytes this allocator can hand out from its regions.
    fn total_bytes(&self) -> usize;

    /// The number of bytes live blocks withhold from other requests, rounding included.
    fn used_bytes(&self) -> usize;

    /// `total_bytes() - used_bytes()`: an upper bound on what can still be allocated (smaller
    /// in practice because of fragmentation and rounding).
    fn available_bytes(&self) -> usize {
        self.total_bytes().saturating_sub(self.used_bytes())
    }
}

// SAFETY: every method forwards to `T`, which keeps the implementor's promise.
unsafe impl<T: ByteAllocator + ?Sized> ByteAllocator for &mut T {
    #[inline]
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        T::alloc(self, layout)
    }

    #[inline]
    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller keeps the contract of `dealloc`, the same for `T`.
        unsafe { T::dealloc(self, pos, layout) }
    }

    #[inline]
    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        // SAFETY: the caller keeps the contract of `realloc`, the same for `T`.
        unsafe { T::realloc(self, pos, old, new_size) }
    }

    #[inline]
    fn total_bytes(&self) -> usize {
        T::total_bytes(self)
    }

    #[inline]
    fn used_bytes(&self) -> usize {
        T::used_bytes(self)
    }

    #[inline]
    fn available_bytes(&self) -> usize {
        T::available_bytes(self)
    }
}

/// `old` with its size replaced by `new_size`: the layout a [`ByteAllocator::realloc`] asks
/// for.
///
/// One comparison, where `Layout::from_size_align` would check the alignment again (it is
/// `old`'s, valid already) besides the size.
///
/// # Errors
///
/// [`AllocError::InvalidParam`] if `new_size` rounded up to `old.align()` exceeds
/// `isize::MAX`, which no `Layout` may have.
///
/// # Examples
///
/// ```
/// use core::alloc::Layout;
/// use allocator_core::{AllocError, resized};
///
/// let old = Layout::from_size_align(24, 16).unwrap();
/// assert_eq!(resized(old, 100), Ok(Layout::from_size_align(100, 16).unwrap()));
/// // The largest size that, rounded up to 16, still fits in `isize`; one more does not.
/// let largest = isize::MAX as usize - 15;
/// assert_eq!(resized(old, largest).map(|l| l.size()), Ok(largest));
/// assert_eq!(resized(old, largest + 1), Err(AllocError::InvalidParam));
/// ```
#[inline]
pub fn resized(old: Layout, new_size: usize) -> AllocResult<Layout> {
    if new_size > isize::MAX as usize - (old.align() - 1) {
        return Err(AllocError::InvalidParam);
    }
    // SAFETY: `old.align()` is a power of two (it comes from a `Layout`), and `new_size`
    // rounded up to it does not exceed `isize::MAX` (checked just above).
    Ok(unsafe { Layout::from_size_align_unchecked(new_size, old.align()) })
}

/// Resizes a block by allocating a new one, copying `min(old.size(), new_size)` bytes and
/// freeing the old one: the provided [`ByteAllocator::realloc`], for implementations that
/// override `realloc` to resize in place when they can and fall back to this otherwise.
///
/// # Safety
///
/// As for [`ByteAllocator::realloc`]: `pos` and `old` are as allocated by `heap` and not yet
/// freed; on success the old block is freed and only the returned one may be used.
///
/// # Errors
///
/// As for [`ByteAllocator::realloc`]; on error the old block is untouched and still the
/// caller's.
#[inline]
pub unsafe fn realloc_by_copy<A: ByteAllocator + ?Sized>(
    heap: &mut A,
    pos: NonNull<u8>,
    old: Layout,
    new_size: usize,
) -> AllocResult<NonNull<u8>> {
    let new = resized(old, new_size)?;
    let new_pos = heap.alloc(new)?;
    // SAFETY: `pos` is live for `old.size()` bytes (caller's contract), `new_pos` is a fresh
    // block of at least `new_size` bytes, and live blocks never overlap (rule 3 of the
    // implementor's promise).
    unsafe {
        core::ptr::copy_nonoverlapping(pos.as_ptr(), new_pos.as_ptr(), old.size().min(new_size));
    }
    // SAFETY: `pos` and `old` are as allocated (caller's contract), freed once here.
    unsafe { heap.dealloc(pos, old) };
    Ok(new_pos)
}
