//! Memory regions taken from the system allocator, to hand to the allocator under test.

use core::{alloc::Layout, ptr::NonNull};

/// A zeroed block of host memory from the system allocator, freed on drop.
///
/// Give it to a byte allocator with `init(region.start(), region.size())`, and drop the
/// allocator (and stop using its blocks) before the region.
#[derive(Debug)]
pub struct HostRegion {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl HostRegion {
    /// Takes `size` bytes aligned to `align` from the system allocator.
    ///
    /// # Panics
    ///
    /// If `size` is 0, `align` is not a power of two, the layout is invalid, or the system is
    /// out of memory.
    #[must_use]
    pub fn new(size: usize, align: usize) -> Self {
        assert!(size > 0, "a host region needs a size");
        let layout = Layout::from_size_align(size, align).expect("valid region layout");
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            std::alloc::handle_alloc_error(layout)
        };
        Self { ptr, layout }
    }

    /// The first address. The `as` cast exposes the pointer's provenance, so that an allocator
    /// that turns addresses back into pointers stays sound under Miri.
    #[must_use]
    pub fn start(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// The size in bytes.
    #[must_use]
    pub fn size(&self) -> usize {
        self.layout.size()
    }

    /// A pointer to the first byte, valid for reads and writes of [`size`](Self::size) bytes.
    #[must_use]
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Fills `[offset, offset + len)` with `byte`.
    ///
    /// # Panics
    ///
    /// If the range is not inside the region.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) {
        assert!(
            offset
                .checked_add(len)
                .is_some_and(|end| end <= self.size())
        );
        // SAFETY: the range lies inside the region (asserted), which this value owns.
        unsafe { self.ptr.as_ptr().add(offset).write_bytes(byte, len) };
    }

    /// The offset of the first byte in `[offset, offset + len)` that is not `byte`.
    ///
    /// # Panics
    ///
    /// If the range is not inside the region.
    #[must_use]
    pub fn find_not(&self, offset: usize, len: usize, byte: u8) -> Option<usize> {
        assert!(
            offset
                .checked_add(len)
                .is_some_and(|end| end <= self.size())
        );
        // SAFETY: the range lies inside the region, zeroed at creation and so initialised.
        let bytes = unsafe { core::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len) };
        // Compare in chunks (a `memcmp` each, fast even under Miri), then find the byte.
        let expected = [byte; 4096];
        let mut start = 0;
        for chunk in bytes.chunks(expected.len()) {
            if chunk != &expected[..chunk.len()] {
                let i = chunk.iter().position(|&b| b != byte).unwrap_or(0);
                return Some(offset + start + i);
            }
            start += chunk.len();
        }
        None
    }
}

impl Drop for HostRegion {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}
