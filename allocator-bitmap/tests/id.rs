//! `BitmapIdAllocator`: ranges, holes, alignment, fixed IDs and every error path, each checked
//! to change nothing.

#[path = "support/common.rs"]
mod common;

use allocator_bitmap::{BitmapIdAllocator, IdCapacity, Ids4K, Ids16, Ids64K, Ids256};
use allocator_core::{AllocError, BaseAllocator, IdAllocator};
use common::OVERLAPS;

fn add<C: IdCapacity>(
    a: &mut BitmapIdAllocator<C>,
    start: usize,
    size: usize,
) -> Result<(), AllocError> {
    // SAFETY: IDs are plain numbers that nothing else hands out here.
    unsafe { a.add_memory(start, size) }
}

fn assert_counts<C: IdCapacity>(a: &BitmapIdAllocator<C>, size: usize, used: usize) {
    assert_eq!(a.size(), size, "size");
    assert_eq!(a.used(), used, "used");
    assert_eq!(a.available(), size - used, "available");
}

/// IDs 16..32 and 48..64 of an `Ids256`.
fn two_ranges() -> BitmapIdAllocator<Ids256> {
    let mut a = BitmapIdAllocator::<Ids256>::new();
    add(&mut a, 16, 16).unwrap();
    add(&mut a, 48, 16).unwrap();
    assert_counts(&a, 32, 0);
    a
}

#[test]
fn new_default_debug_send() {
    fn check<T: Send + Sync + Default>() {}
    check::<BitmapIdAllocator>();
    check::<BitmapIdAllocator<Ids16>>();
    static IRQS: std::sync::Mutex<BitmapIdAllocator<Ids256>> =
        std::sync::Mutex::new(BitmapIdAllocator::new());
    let mut irqs = IRQS.lock().unwrap();
    add(&mut irqs, 32, 224).unwrap();
    assert_eq!(irqs.alloc_id(1, 1), Ok(32));

    let mut a = BitmapIdAllocator::<Ids4K>::default();
    assert_counts(&a, 0, 0);
    assert_eq!(a.window(), None);
    assert_eq!(a.alloc_id(1, 1), Err(AllocError::NoMemory));
    assert_eq!(a.alloc_fixed_id(0), Err(AllocError::InvalidParam));
    assert!(!a.is_allocated(0));
    add(&mut a, 5000, 10).unwrap();
    assert_eq!(a.window(), Some((4096, 4096)));
    a.alloc_id(3, 1).unwrap();
    let s = format!("{a:?}");
    assert!(s.contains("capacity: 4096"), "{s}");
    assert!(s.contains("size: 10"), "{s}");
    assert!(s.contains("used: 3"), "{s}");
    assert!(s.contains("ranges: 1"), "{s}");
}

#[test]
fn window_is_the_capacity_block_of_the_first_range() {
    let mut a = BitmapIdAllocator::<Ids256>::new();
    add(&mut a, 300, 10).unwrap();
    assert_eq!(a.window(), Some((256, 256)));
    assert_eq!(add(&mut a, 250, 6), Err(AllocError::InvalidParam));
    assert_eq!(add(&mut a, 500, 13), Err(AllocError::InvalidParam));
    assert_eq!(add(&mut a, 512, 1), Err(AllocError::InvalidParam));
    add(&mut a, 256, 1).unwrap();
    add(&mut a, 511, 1).unwrap();
    assert_counts(&a, 12, 0);
    assert_eq!(a.alloc_fixed_id(511), Ok(()));
    assert_eq!(a.alloc_id(1, 1), Ok(256));
    assert_eq!(a.alloc_id(1, 1), Ok(300));
    assert_counts(&a, 12, 3);

    // IDs at the very top of `usize`.
    let mut top = BitmapIdAllocator::<Ids16>::new();
    add(&mut top, usize::MAX - 5, 5).unwrap();
    assert_eq!(top.window(), Some((usize::MAX - 15, 16)));
    assert_eq!(top.alloc_id(5, 1), Ok(usize::MAX - 5));
    assert_eq!(
        top.alloc_fixed_id(usize::MAX),
        Err(AllocError::InvalidParam)
    );
    assert_eq!(
        top.dealloc_id(usize::MAX - 1, 2),
        Err(AllocError::InvalidParam)
    );
    top.dealloc_id(usize::MAX - 5, 5).unwrap();
    assert_counts(&top, 5, 0);
}

#[test]
fn bad_ranges_change_nothing() {
    let mut a = BitmapIdAllocator::<Ids256>::new();
    assert_eq!(add(&mut a, 0, 0), Err(AllocError::InvalidParam));
    assert_eq!(add(&mut a, usize::MAX, 1), Err(AllocError::InvalidParam));
    assert_eq!(add(&mut a, 0, 257), Err(AllocError::InvalidParam));
    assert_eq!(
        add(&mut a, 200, 100),
        Err(AllocError::InvalidParam),
        "crosses 256"
    );
    assert_counts(&a, 0, 0);
    assert_eq!(a.window(), None);
    let mut a = two_ranges();
    // SAFETY: as in `add`.
    assert_eq!(unsafe { a.init(100, 1) }, Err(AllocError::InvalidParam));
    for (start, size) in OVERLAPS {
        assert_eq!(
            add(&mut a, start, size),
            Err(AllocError::MemoryOverlap),
            "{start}+{size}"
        );
    }
    assert_counts(&a, 32, 0);
    // Filling the hole merges: runs then cross the old edges.
    add(&mut a, 32, 16).unwrap();
    assert_eq!(a.alloc_id(48, 1), Ok(16));
    assert_counts(&a, 48, 48);
    // Eight separate ranges at most.
    let mut b = BitmapIdAllocator::<Ids256>::new();
    for i in 0..8 {
        add(&mut b, 10 * i, 2).unwrap();
    }
    assert_eq!(add(&mut b, 100, 1), Err(AllocError::NoMemory));
    assert_counts(&b, 16, 0);
    add(&mut b, 2, 8).unwrap(); // bridges 0..2 and 10..12
    add(&mut b, 100, 1).unwrap();
    assert_counts(&b, 25, 0);
}

#[test]
fn single_range_edges() {
    let mut a = BitmapIdAllocator::<Ids256>::new();
    add(&mut a, 16, 16).unwrap();
    a.alloc_fixed_id(16).unwrap();
    a.alloc_fixed_id(31).unwrap();
    for id in [15, 32, 33, 0, 255, 256, usize::MAX] {
        assert_eq!(a.dealloc_id(id, 1), Err(AllocError::InvalidParam), "{id}");
        assert_eq!(a.alloc_fixed_id(id), Err(AllocError::InvalidParam), "{id}");
        assert!(!a.is_allocated(id));
    }
    assert_counts(&a, 16, 2);
    add(&mut a, 32, 1).unwrap();
    assert_eq!(a.dealloc_id(33, 1), Err(AllocError::InvalidParam));
    assert_eq!(a.dealloc_id(32, 1), Err(AllocError::NotAllocated));
    a.dealloc_id(31, 1).unwrap();
    assert_counts(&a, 17, 1);
}

#[test]
fn holes_are_never_handed_out() {
    let mut a = two_ranges();
    let mut got = Vec::new();
    while let Ok(id) = a.alloc_id(1, 1) {
        assert!(a.is_allocated(id));
        got.push(id);
    }
    assert_eq!(got, (16..32).chain(48..64).collect::<Vec<_>>());
    assert_counts(&a, 32, 32);
    for id in (0..16).chain(32..48).chain(64..300) {
        assert!(!a.is_allocated(id), "{id}");
        assert_eq!(a.dealloc_id(id, 1), Err(AllocError::InvalidParam), "{id}");
        assert_eq!(a.alloc_fixed_id(id), Err(AllocError::InvalidParam), "{id}");
    }
    assert_counts(&a, 32, 32);
    assert_eq!(
        a.dealloc_id(16, 48),
        Err(AllocError::InvalidParam),
        "crosses the hole"
    );
    a.dealloc_id(16, 16).unwrap();
    a.dealloc_id(48, 16).unwrap();
    assert_eq!(a.alloc_id(17, 1), Err(AllocError::NoMemory));
    assert_counts(&a, 32, 0);
}

#[test]
fn aligned_runs() {
    let mut a = two_ranges();
    assert_eq!(a.alloc_id(1, 16), Ok(16));
    assert_eq!(a.alloc_id(2, 16), Ok(48));
    assert_eq!(a.alloc_id(1, 16), Err(AllocError::NoMemory));
    assert_eq!(a.alloc_id(4, 4), Ok(20));
    assert_eq!(a.alloc_id(1, 2), Ok(18));
    assert_eq!(a.alloc_id(3, 1), Ok(24));
    assert_counts(&a, 32, 11);
    assert_eq!(a.alloc_id(1, 32), Err(AllocError::NoMemory));
    // Alignments beyond the capacity: only ID 0 of a window at 0 qualifies.
    assert_eq!(a.alloc_id(1, 512), Err(AllocError::NoMemory));
    add(&mut a, 0, 1).unwrap();
    assert_eq!(a.alloc_id(1, 1 << (usize::BITS - 2)), Ok(0));
    assert_eq!(
        a.alloc_id(1, 1 << (usize::BITS - 1)),
        Err(AllocError::NoMemory)
    );
    assert_counts(&a, 33, 12);
    // ... and never in a window not starting at a multiple of the alignment.
    let mut b = BitmapIdAllocator::<Ids256>::new();
    add(&mut b, 256, 256).unwrap();
    assert_eq!(b.alloc_id(1, 512), Err(AllocError::NoMemory));
    assert_eq!(b.alloc_id(1, 256), Ok(256));
    let mut c = BitmapIdAllocator::<Ids256>::new();
    add(&mut c, 512, 256).unwrap();
    assert_eq!(c.alloc_id(2, 512), Ok(512));
    assert_eq!(c.alloc_id(1, 1024), Err(AllocError::NoMemory));
}

#[test]
fn alloc_errors_change_nothing() {
    let mut a = two_ranges();
    a.alloc_fixed_id(20).unwrap();
    assert_counts(&a, 32, 1);
    for align in [0, 3, 6, 24, usize::MAX] {
        assert_eq!(
            a.alloc_id(1, align),
            Err(AllocError::InvalidParam),
            "{align}"
        );
    }
    assert_eq!(a.alloc_id(0, 1), Err(AllocError::InvalidParam));
    assert_eq!(
        a.alloc_id(32, 1),
        Err(AllocError::NoMemory),
        "more than free"
    );
    assert_eq!(a.alloc_id(usize::MAX, 1), Err(AllocError::NoMemory));
    assert_eq!(
        a.alloc_id(17, 1),
        Err(AllocError::NoMemory),
        "no run that long"
    );
    assert_eq!(a.alloc_fixed_id(20), Err(AllocError::NoMemory));
    assert_eq!(a.alloc_fixed_id(40), Err(AllocError::InvalidParam));
    assert_eq!(a.alloc_fixed_id(usize::MAX), Err(AllocError::InvalidParam));
    assert_counts(&a, 32, 1);
    assert_eq!(a.alloc_id(4, 4), Ok(16));
    assert_eq!(a.alloc_fixed_id(21), Ok(()));
}

#[test]
fn dealloc_errors_free_nothing() {
    let mut a = two_ranges();
    assert_eq!(a.alloc_id(4, 4), Ok(16));
    let bad = [
        (20, 1, AllocError::NotAllocated),
        (16, 5, AllocError::NotAllocated),
        (19, 2, AllocError::NotAllocated),
        (16, 16, AllocError::NotAllocated),
        (16, 0, AllocError::InvalidParam),
        (16, usize::MAX, AllocError::InvalidParam),
        (16, 17, AllocError::InvalidParam),
        (15, 2, AllocError::InvalidParam),
        (40, 1, AllocError::InvalidParam),
        (usize::MAX, 1, AllocError::InvalidParam),
    ];
    for (id, count, err) in bad {
        assert_eq!(a.dealloc_id(id, count), Err(err), "{id}+{count}");
        assert_counts(&a, 32, 4);
        for id in 16..20 {
            assert!(a.is_allocated(id));
        }
        assert!(!a.is_allocated(20));
    }
    a.dealloc_id(17, 2).unwrap();
    assert_eq!(
        a.dealloc_id(17, 1),
        Err(AllocError::NotAllocated),
        "double free"
    );
    assert_counts(&a, 32, 2);
    // 16 and 19 are taken: 18..20 is not free, 20..22 is.
    assert_eq!(a.alloc_id(2, 2), Ok(20));
    assert_eq!(a.alloc_id(1, 1), Ok(17));
}

#[test]
fn larger_capacities() {
    let mut a = BitmapIdAllocator::<Ids64K>::new();
    add(&mut a, 1, 65535).unwrap();
    assert_eq!(a.alloc_id(1, 1), Ok(1));
    assert_eq!(a.alloc_id(1, 1 << 15), Ok(1 << 15));
    assert_eq!(a.alloc_fixed_id(65535), Ok(()));
    assert_eq!(a.alloc_id(100, 64), Ok(64));
    assert_counts(&a, 65535, 103);
    a.dealloc_id(64, 100).unwrap();
    assert_counts(&a, 65535, 3);
}
