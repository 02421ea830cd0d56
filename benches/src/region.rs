//! [`Region`]: the memory a contender manages, taken from the system allocator.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::fmt;
use std::ptr::NonNull;

/// Every region starts at a multiple of this (2 MiB): the buddy heaps then see the same large,
/// aligned blocks whatever the system allocator returns, and the runs compare.
pub const REGION_ALIGN: usize = 2 << 20;

/// A block of memory owned by the benchmarks and handed, one contender at a time, to a heap.
///
/// Its pages are written once when it is created, so that the first contender to use it does
/// not pay the page faults the others do not. Scenarios take it by `&mut`: while a heap built
/// over it is alive, nothing else can build another one.
pub struct Region {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Region {
    /// A region of `size` bytes (rounded up to a multiple of 4096), with every page touched.
    ///
    /// # Panics
    ///
    /// If `size` is 0 or too large for a `Layout`; aborts if the system is out of memory.
    #[must_use]
    pub fn new(size: usize) -> Self {
        assert!(size > 0, "a region needs at least one byte");
        let size = size.next_multiple_of(4096);
        let layout = Layout::from_size_align(size, REGION_ALIGN).expect("region too large");
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is valid for writes of `size` bytes, freshly allocated.
        unsafe { ptr.as_ptr().write_bytes(0, size) };
        Self { ptr, layout }
    }

    /// The first byte.
    #[must_use]
    pub fn start(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The size in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.layout.size()
    }

    /// Always false: a region has at least one page.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Region")
            .field("start", &self.ptr)
            .field("len", &self.layout.size())
            .finish()
    }
}
