//! The sizes the docs state, so that they cannot drift (64-bit targets).
#![cfg(target_pointer_width = "64")]

use allocator_bitmap::{
    BitmapIdAllocator, BitmapPageAllocator, Ids1M, Ids4K, Ids16, Ids16M, Ids64K, Ids256, Ids256M,
};
use core::mem::size_of;

#[test]
fn page_allocator_size_matches_docs() {
    let (pages, bytes) = if cfg!(feature = "page-alloc-1t") {
        (256 << 20, 35_791_960)
    } else if cfg!(feature = "page-alloc-64g") {
        (16 << 20, 2_237_528)
    } else if cfg!(feature = "page-alloc-4g") {
        (1 << 20, 140_376)
    } else {
        (64 << 10, 9_304)
    };
    assert_eq!(BitmapPageAllocator::<4096>::CAPACITY, pages);
    assert_eq!(size_of::<BitmapPageAllocator<4096>>(), bytes);
    // The page size changes nothing.
    assert_eq!(size_of::<BitmapPageAllocator<65536>>(), bytes);
}

#[test]
fn id_allocator_sizes_match_docs() {
    assert_eq!(BitmapIdAllocator::<Ids16>::CAPACITY, 16);
    assert_eq!(BitmapIdAllocator::<Ids256M>::CAPACITY, 256 << 20);
    assert_eq!(size_of::<BitmapIdAllocator<Ids16>>(), 184);
    assert_eq!(size_of::<BitmapIdAllocator<Ids256>>(), 216);
    assert_eq!(size_of::<BitmapIdAllocator<Ids4K>>(), 728);
    assert_eq!(size_of::<BitmapIdAllocator>(), 728);
    assert_eq!(size_of::<BitmapIdAllocator<Ids64K>>(), 8_920);
    assert_eq!(size_of::<BitmapIdAllocator<Ids1M>>(), 139_992);
    assert_eq!(size_of::<BitmapIdAllocator<Ids16M>>(), 2_237_144);
    assert_eq!(size_of::<BitmapIdAllocator<Ids256M>>(), 35_791_576);
}
