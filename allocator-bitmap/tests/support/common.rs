//! What the integration tests share: the page allocator they test, run on a thread whose stack
//! holds it, its counts, and the overlap cases of their two-region fixtures.

// Each test binary uses part of this.
#![allow(dead_code, unreachable_pub)]

use allocator_bitmap::BitmapPageAllocator;
use allocator_core::PageAllocator;

/// The page size of the page tests.
pub const PS: usize = 0x1000;
pub type Pages = BitmapPageAllocator<PS>;

/// Runs `f` on a new allocator, in a thread whose stack holds it whatever the capacity.
pub fn with_pages(f: impl FnOnce(&mut Pages) + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(4 * size_of::<Pages>() + (1 << 20))
        .spawn(move || f(&mut Pages::new()))
        .unwrap()
        .join()
        .unwrap();
}

pub fn assert_counts(a: &Pages, total: usize, used: usize) {
    assert_eq!(a.total_pages(), total, "total_pages");
    assert_eq!(a.used_pages(), used, "used_pages");
    assert_eq!(a.available_pages(), total - used, "available_pages");
}

/// `(start, len)` in units, each overlapping regions at units 16..32 and 48..64: the same,
/// inside, around, either edge, spanning both.
pub const OVERLAPS: [(usize, usize); 7] = [
    (16, 16),
    (20, 1),
    (10, 30),
    (10, 7),
    (31, 2),
    (47, 2),
    (20, 40),
];
