//! The wrapper's guarantees, one test each, with inputs that upstream alone gets wrong. The
//! shared suite of `allocator-testkit` runs from `tests/conformance.rs`.

use core::{alloc::Layout, ptr::NonNull};
use std::{format, vec::Vec};

use allocator_core::{AllocError, BaseAllocator, ByteAllocator};
use allocator_testkit::{ByteModel, Entropy, Failure, HostRegion, TestRng};

use crate::{BuddyByteAllocator, MAX_BLOCK, MAX_REGIONS, MIN_BLOCK, usable_part};

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("valid layout")
}

/// The block upstream gives a request: `max(size.next_power_of_two(), align, MIN_BLOCK)`.
fn block_of(l: Layout) -> usize {
    l.size().next_power_of_two().max(l.align()).max(MIN_BLOCK)
}

fn ok<T>(result: Result<T, Failure>) -> T {
    result.unwrap_or_else(|failure| panic!("{failure}"))
}

fn stats(heap: &BuddyByteAllocator) -> (usize, usize) {
    (heap.total_bytes(), heap.used_bytes())
}

/// A heap over all of `region` (declared by the caller before the heap, so it outlives it),
/// and a model that knows the region.
fn heap_over(region: &HostRegion) -> (BuddyByteAllocator, ByteModel) {
    let mut heap = BuddyByteAllocator::new();
    // SAFETY: `region` is ours, valid for reads and writes, and outlives the heap and its
    // blocks (callers declare it first).
    unsafe { heap.init(region.start(), region.size()) }.expect("init");
    let mut model = ByteModel::new();
    model.add_region(region.start(), region.size());
    (heap, model)
}

/// Allocates `l`, which must succeed; the model checks placement and writes the pattern.
fn alloc(heap: &mut BuddyByteAllocator, model: &mut ByteModel, l: Layout) -> NonNull<u8> {
    let ptr = heap
        .alloc(l)
        .unwrap_or_else(|e| panic!("alloc({l:?}) failed: {e:?}"));
    // SAFETY: the model's regions are memory we own and gave to `heap`; `ptr` is from `heap`.
    ok(unsafe { model.insert(ptr, l) });
    ok(model.check_stats(heap.used_bytes(), heap.total_bytes()));
    ptr
}

/// Checks the pattern of the live block `ptr` and frees it.
fn free(heap: &mut BuddyByteAllocator, model: &mut ByteModel, ptr: NonNull<u8>) {
    // SAFETY: as in `alloc`.
    let l = ok(unsafe { model.remove(ptr) });
    // SAFETY: `ptr` came from `heap` with `l`, and the model has forgotten it: freed once.
    unsafe { heap.dealloc(ptr, l) };
    ok(model.check_stats(heap.used_bytes(), heap.total_bytes()));
}

/// Frees every live block, then `used_bytes` must be exactly 0.
fn free_all(heap: &mut BuddyByteAllocator, model: &mut ByteModel) {
    while let Some((ptr, _)) = model.pick(0) {
        free(heap, model, ptr);
    }
    assert_eq!(heap.used_bytes(), 0, "used_bytes after freeing every block");
}

/// Allocates `l` until `NoMemory` (which must change nothing); returns how many fitted.
fn exhaust(heap: &mut BuddyByteAllocator, model: &mut ByteModel, l: Layout) -> usize {
    let mut n = 0;
    loop {
        let before = stats(heap);
        match heap.alloc(l) {
            Ok(ptr) => {
                // SAFETY: as in `alloc`.
                ok(unsafe { model.insert(ptr, l) });
                n += 1;
            }
            Err(e) => {
                assert_eq!(e, AllocError::NoMemory, "alloc({l:?}) in a full heap");
                assert_eq!(stats(heap), before, "a failed alloc changed the statistics");
                return n;
            }
        }
    }
}

#[test]
fn new_is_const_empty_and_send() {
    const EMPTY: BuddyByteAllocator = BuddyByteAllocator::new();
    fn is_send<T: Send>(_: &T) {}
    let mut heap = EMPTY;
    is_send(&heap);
    assert_eq!(stats(&heap), (0, 0));
    assert_eq!(
        format!("{heap:?}"),
        "BuddyByteAllocator { total_bytes: 0, used_bytes: 0, regions: 0 }"
    );
    assert_eq!(heap.alloc(layout(8, 8)), Err(AllocError::NoMemory));
    assert_eq!(heap.alloc(layout(0, 1)), Err(AllocError::NoMemory));
    assert_eq!(stats(&BuddyByteAllocator::default()), (0, 0));
}

#[test]
fn debug_prints_statistics() {
    let region = HostRegion::new(4096, 4096);
    let (mut heap, mut model) = heap_over(&region);
    let ptr = alloc(&mut heap, &mut model, layout(100, 8));
    assert_eq!(
        format!("{heap:?}"),
        "BuddyByteAllocator { total_bytes: 4096, used_bytes: 128, regions: 1 }"
    );
    free(&mut heap, &mut model, ptr);
}

#[test]
fn bad_regions_are_refused_and_change_nothing() {
    let region = HostRegion::new(8192, 4096);
    let (first, second) = (region.start(), region.start() + 4096);
    let mut heap = BuddyByteAllocator::new();
    // SAFETY: (every call in this block) a refused region is not handed over; the accepted
    // ones lie in `region`, which outlives `heap`.
    unsafe {
        assert_eq!(heap.init(first, 0), Err(AllocError::InvalidParam));
        assert_eq!(
            heap.init(usize::MAX - 4095, 8192),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(heap.init(first, usize::MAX), Err(AllocError::InvalidParam));
        assert_eq!(heap.add_memory(first, 0), Err(AllocError::InvalidParam));
        // Nothing usable once trimmed to whole `usize`s: upstream adds nothing and says
        // nothing, so without the check this "succeeded" with no memory.
        assert_eq!(
            heap.init(first + 1, MIN_BLOCK - 1),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            heap.add_memory(first + 1, MIN_BLOCK),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(stats(&heap), (0, 0));
        assert!(format!("{heap:?}").contains("regions: 0"));

        heap.init(first, 4096).expect("a valid init");
        assert_eq!(stats(&heap), (4096, 0));
        // A second init is refused, even of a disjoint region.
        assert_eq!(heap.init(second, 4096), Err(AllocError::InvalidParam));
        assert_eq!(
            heap.add_memory(second, usize::MAX),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(stats(&heap), (4096, 0));
        heap.add_memory(second, 4096)
            .expect("add_memory after init");
    }
    assert_eq!(stats(&heap), (8192, 0));
}

#[test]
fn add_memory_on_an_empty_allocator_is_init() {
    let region = HostRegion::new(8192, 4096);
    let mut heap = BuddyByteAllocator::new();
    // SAFETY: the first half of `region` is ours and outlives `heap`; the second half is
    // refused and stays ours.
    unsafe {
        heap.add_memory(region.start(), 4096).expect("add_memory");
        assert_eq!(
            heap.init(region.start() + 4096, 4096),
            Err(AllocError::InvalidParam)
        );
    }
    assert_eq!(stats(&heap), (4096, 0));
}

#[test]
fn unaligned_regions_are_trimmed_and_edges_untouched() {
    // Miri: 1 KiB, as upstream's merge walks a free list per freed block (quadratic in the
    // blocks: 510 blocks took 24 s).
    let size = if cfg!(miri) { 1024 } else { 4096 };
    let region = HostRegion::new(size, 4096);
    region.fill(0, size, 0xa5);
    let mut heap = BuddyByteAllocator::new();
    // SAFETY: `[start + 3, start + size - 3)` lies in `region`, which outlives `heap`.
    unsafe { heap.init(region.start() + 3, size - 6) }.expect("init");
    // Used from `start + 8` to `start + size - 8`.
    assert_eq!(heap.total_bytes(), size - 2 * MIN_BLOCK);
    let mut model = ByteModel::new();
    model.add_region(region.start() + MIN_BLOCK, size - 2 * MIN_BLOCK);
    let n = exhaust(&mut heap, &mut model, layout(1, 1));
    assert_eq!(
        n,
        (size - 2 * MIN_BLOCK) / MIN_BLOCK,
        "every usize of the region"
    );
    assert_eq!(heap.used_bytes(), heap.total_bytes());
    free_all(&mut heap, &mut model);
    assert_eq!(
        region.find_not(0, MIN_BLOCK, 0xa5),
        None,
        "start edge written"
    );
    assert_eq!(
        region.find_not(size - MIN_BLOCK, MIN_BLOCK, 0xa5),
        None,
        "end edge written"
    );
}

#[test]
fn trimming_avoids_upstream_overflows() {
    let w = MIN_BLOCK;
    // Address 0 is skipped: upstream would compute `!0 + 1` for its lowest bit.
    assert_eq!(usable_part(0, 4096), Some((w, 4096)));
    assert_eq!(usable_part(1, 4096), Some((w, 4096)));
    assert_eq!(usable_part(0, w), None);
    // The top of the address space: upstream's `start + 7` and `current + 8 <= end` overflow.
    assert_eq!(usable_part(usize::MAX - (w - 2), usize::MAX), None);
    let (lo, hi) = usable_part(usize::MAX - 4095, usize::MAX).expect("a usable part");
    assert_eq!(lo, usize::MAX - 4095);
    assert!(
        hi.checked_add(w).is_some(),
        "hi + size_of::<usize>() overflows"
    );
    assert_eq!(hi % w, 0);
    assert_eq!(usable_part(4096 + 1, 4096 + w), None);
    assert_eq!(
        usable_part(4096 + 1, 4096 + 2 * w),
        Some((4096 + w, 4096 + 2 * w))
    );
}

#[test]
fn oversized_layouts_are_errors_not_panics() {
    let region = HostRegion::new(64 << 10, 4096);
    let (mut heap, mut model) = heap_over(&region);
    let live = alloc(&mut heap, &mut model, layout(64, 8));
    let before = stats(&heap);
    let max = isize::MAX as usize;
    // Upstream has no free list for any of these and fails with nothing changed; the
    // wrapper picks the error kind.
    for (size, align, want) in [
        (max, 1, AllocError::NoMemory),
        (max - 4095, 4096, AllocError::NoMemory),
        (max / 2 + 2, 8, AllocError::NoMemory),
        (MAX_BLOCK + 1, 8, AllocError::NoMemory),
        (MAX_BLOCK, 8, AllocError::NoMemory),
        (8, MAX_BLOCK, AllocError::NoMemory),
    ] {
        assert_eq!(heap.alloc(layout(size, align)), Err(want), "{size} {align}");
        assert_eq!(stats(&heap), before);
    }
    #[cfg(target_pointer_width = "64")]
    for align in [MAX_BLOCK * 2, max / 2 + 1] {
        assert_eq!(heap.alloc(layout(0, align)), Err(AllocError::InvalidParam));
        assert_eq!(stats(&heap), before);
    }
    // SAFETY: `live` is a live block with its layout; on error it stays live.
    unsafe {
        assert_eq!(
            heap.realloc(live, layout(64, 8), max),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            heap.realloc(live, layout(64, 8), max / 2 + 2),
            Err(AllocError::NoMemory)
        );
    }
    assert_eq!(stats(&heap), before);
    // SAFETY: as in `alloc`.
    ok(unsafe { model.check(live) });
    free_all(&mut heap, &mut model);
}

#[test]
fn overlapping_regions_are_refused() {
    let q = 16 << 10;
    let region = HostRegion::new(4 * q, 4096);
    let base = region.start();
    let mut heap = BuddyByteAllocator::new();
    let mut model = ByteModel::new();
    // SAFETY: `[base + q, base + 2q)` lies in `region`, which outlives `heap`.
    unsafe { heap.init(base + q, q) }.expect("init");
    model.add_region(base + q, q);
    let live = alloc(&mut heap, &mut model, layout(300, 16));
    let before = stats(&heap);
    for (start, size) in [
        (base + q, q),
        (base + q / 2, q),
        (base + q + q / 2, q),
        (base + q + q / 4, q / 2),
        (base, 4 * q),
        (base + 2 * q - 1, 1),
        (base + q - 1, 2),
    ] {
        // SAFETY: refused, so nothing is handed over (without the check upstream would take
        // bytes it already manages a second time).
        let got = unsafe { heap.add_memory(start, size) };
        assert_eq!(got, Err(AllocError::MemoryOverlap), "{start:#x}+{size:#x}");
        assert_eq!(stats(&heap), before);
        // SAFETY: as in `alloc`.
        ok(unsafe { model.check(live) });
    }
    // Touching regions are not overlapping; a hole stays at [2q, 3q).
    region.fill(2 * q, q, 0xa5);
    // SAFETY: both lie in `region`, are given once, and `region` outlives `heap`.
    unsafe {
        heap.add_memory(base, q).expect("the region just below");
        heap.add_memory(base + 3 * q, q)
            .expect("a region after a hole");
    }
    model.add_region(base, q);
    model.add_region(base + 3 * q, q);
    assert_eq!(heap.total_bytes(), 3 * q);
    let n = exhaust(&mut heap, &mut model, layout(1024, 8));
    assert_eq!(
        n,
        3 * q / 1024 - 1,
        "every block but the one the 300-byte block takes"
    );
    free_all(&mut heap, &mut model);
    assert_eq!(
        region.find_not(2 * q, q, 0xa5),
        None,
        "the hole was written"
    );
}

#[test]
fn region_list_full_is_no_memory() {
    let step = 64;
    let region = HostRegion::new(2 * step * (MAX_REGIONS + 1), 4096);
    let mut heap = BuddyByteAllocator::new();
    for i in 0..MAX_REGIONS {
        // SAFETY: disjoint parts of `region`, which outlives `heap`.
        unsafe { heap.add_memory(region.start() + 2 * step * i, step) }.expect("add_memory");
    }
    assert_eq!(stats(&heap), (MAX_REGIONS * step, 0));
    // SAFETY: refused, so nothing is handed over.
    let got = unsafe { heap.add_memory(region.start() + 2 * step * MAX_REGIONS, step) };
    assert_eq!(got, Err(AllocError::NoMemory));
    assert_eq!(stats(&heap), (MAX_REGIONS * step, 0));
    // The overlap check still comes first.
    // SAFETY: refused, so nothing is handed over.
    let got = unsafe { heap.add_memory(region.start(), step) };
    assert_eq!(got, Err(AllocError::MemoryOverlap));
}

#[test]
fn regions_with_holes_are_all_used() {
    let u = 16 << 10;
    // Aligned to its size, so that each region below is one buddy block.
    let region = HostRegion::new(8 * u, 8 * u);
    region.fill(0, 8 * u, 0xa5);
    let mut heap = BuddyByteAllocator::new();
    let mut model = ByteModel::new();
    // Regions at units 4..6, 1..2 and 7..8, given in this order; holes at 0, 2..4 and 6.
    for (i, (offset, size)) in [(4 * u, 2 * u), (u, u), (7 * u, u)].into_iter().enumerate() {
        // SAFETY: disjoint parts of `region`, which outlives `heap`.
        unsafe {
            if i == 0 {
                heap.init(region.start() + offset, size)
            } else {
                heap.add_memory(region.start() + offset, size)
            }
        }
        .expect("a region after a hole");
        model.add_region(region.start() + offset, size);
    }
    assert_eq!(heap.total_bytes(), 4 * u);
    assert_eq!(
        exhaust(&mut heap, &mut model, layout(4096, 4096)),
        4 * u / 4096
    );
    assert_eq!(heap.used_bytes(), heap.total_bytes());
    free_all(&mut heap, &mut model);
    // Everything merged back: one block of each region's size fits again.
    let big = alloc(&mut heap, &mut model, layout(2 * u, 8));
    let small = [
        alloc(&mut heap, &mut model, layout(u, 8)),
        alloc(&mut heap, &mut model, layout(u, 8)),
    ];
    assert_eq!(heap.alloc(layout(1, 1)), Err(AllocError::NoMemory));
    free(&mut heap, &mut model, big);
    for ptr in small {
        free(&mut heap, &mut model, ptr);
    }
    for offset in [0, 2 * u, 3 * u, 6 * u] {
        assert_eq!(region.find_not(offset, u, 0xa5), None, "a hole was written");
    }
}

#[test]
fn every_alignment_for_every_size() {
    let (sizes, max_align, region_size): (&[usize], usize, usize) = if cfg!(miri) {
        (&[0, 1, 7, 8, 63, 4096], 64 << 10, 2 << 20)
    } else {
        (&[0, 1, 7, 8, 63, 4096, 70000], 1 << 20, 32 << 20)
    };
    let region = HostRegion::new(region_size, 4096);
    let (mut heap, mut model) = heap_over(&region);
    let mut expected = 0;
    let mut align = 1;
    // All blocks stay live together, so the model also checks that none overlap.
    while align <= max_align {
        for &size in sizes {
            let l = layout(size, align);
            let ptr = alloc(&mut heap, &mut model, l);
            assert_eq!(ptr.as_ptr() as usize % align, 0, "{l:?} misaligned");
            expected += block_of(l);
            assert_eq!(heap.used_bytes(), expected, "used_bytes after {l:?}");
        }
        align *= 2;
    }
    // Free in a scattered order.
    let mut i = 0;
    while let Some((ptr, l)) = model.pick(i) {
        free(&mut heap, &mut model, ptr);
        expected -= block_of(l);
        assert_eq!(heap.used_bytes(), expected);
        i += 7;
    }
    assert_eq!(heap.used_bytes(), 0);
}

#[test]
fn statistics_are_exact_under_random_interleaving() {
    let (ops, region_size) = if cfg!(miri) {
        (300, 1 << 20)
    } else {
        (20_000, 8 << 20)
    };
    let region = HostRegion::new(region_size, 4096);
    let (mut heap, mut model) = heap_over(&region);
    assert_eq!(heap.total_bytes(), region_size);
    let mut rng = TestRng::new(0x0b0d_d1e5);
    let mut expected = 0;
    for _ in 0..ops {
        let choice = rng.below(10);
        if choice < 5 || model.live_count() == 0 {
            let size = if rng.chance(1, 8) {
                rng.below_usize(if cfg!(miri) { 8192 } else { 70_000 })
            } else {
                rng.below_usize(300)
            };
            let l = layout(size, 1 << rng.below_usize(13));
            match heap.alloc(l) {
                Ok(ptr) => {
                    // SAFETY: as in `alloc`.
                    ok(unsafe { model.insert(ptr, l) });
                    expected += block_of(l);
                }
                Err(e) => assert_eq!(e, AllocError::NoMemory),
            }
        } else if choice < 8 {
            let (ptr, l) = model.pick(rng.below_usize(usize::MAX)).expect("live");
            free(&mut heap, &mut model, ptr);
            expected -= block_of(l);
        } else {
            let (ptr, l) = model.pick(rng.below_usize(usize::MAX)).expect("live");
            let new_size = rng.below_usize(5000);
            // SAFETY: as in `alloc`.
            ok(unsafe { model.check(ptr) });
            // SAFETY: `ptr` is live with layout `l`.
            match unsafe { heap.realloc(ptr, l, new_size) } {
                Ok(new) => {
                    // SAFETY: as in `alloc`; `new` came from realloc of `ptr`.
                    ok(unsafe { model.resized(ptr, new, new_size) });
                    expected = expected - block_of(l) + block_of(layout(new_size, l.align()));
                }
                Err(e) => assert_eq!(e, AllocError::NoMemory),
            }
        }
        assert_eq!(
            heap.used_bytes(),
            expected,
            "used_bytes is not the sum of the blocks"
        );
        ok(model.check_stats(heap.used_bytes(), heap.total_bytes()));
    }
    free_all(&mut heap, &mut model);
    assert_eq!(heap.total_bytes(), region_size);
}

#[test]
fn zero_size_blocks_are_unique_and_counted() {
    let region = HostRegion::new(64 << 10, 4096);
    let (mut heap, mut model) = heap_over(&region);
    let mut ptrs = Vec::new();
    for i in 0..64 {
        let l = layout(0, 1 << (i % 8));
        ptrs.push(alloc(&mut heap, &mut model, l));
    }
    // The model rejects duplicates and overlaps; check the count explicitly as well.
    let mut sorted = ptrs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 64);
    assert_eq!(heap.used_bytes(), 8 * (8 + 8 + 8 + 8 + 16 + 32 + 64 + 128));
    free_all(&mut heap, &mut model);
}

#[test]
fn realloc_keeps_contents_and_fails_cleanly() {
    let region = HostRegion::new(4096, 4096);
    let (mut heap, mut model) = heap_over(&region);
    let mut ptr = alloc(&mut heap, &mut model, layout(10, 8));
    for new_size in [100, 1000, 3, 0, 2000, 64] {
        let l = model.layout_of(ptr).expect("live");
        // SAFETY: `ptr` is live with layout `l`.
        let new = unsafe { heap.realloc(ptr, l, new_size) }.expect("realloc");
        // SAFETY: as in `alloc`; `new` came from realloc of `ptr`. Checks the kept prefix.
        ok(unsafe { model.resized(ptr, new, new_size) });
        assert_eq!(heap.used_bytes(), block_of(layout(new_size, 8)));
        ptr = new;
    }
    // Fill the rest of the heap, then a grow that cannot fit fails and changes nothing.
    let other = alloc(&mut heap, &mut model, layout(2048, 8));
    exhaust(&mut heap, &mut model, layout(64, 8));
    let before = stats(&heap);
    assert_eq!(before.0, before.1);
    let l = model.layout_of(ptr).expect("live");
    // SAFETY: `ptr` is live with layout `l`; on error it stays live.
    let got = unsafe { heap.realloc(ptr, l, 1024) };
    assert_eq!(got, Err(AllocError::NoMemory));
    assert_eq!(stats(&heap), before);
    // SAFETY: as in `alloc`.
    ok(unsafe { model.check(ptr) });
    free(&mut heap, &mut model, other);
    // Now it fits.
    // SAFETY: `ptr` is live with layout `l`.
    let new = unsafe { heap.realloc(ptr, l, 1024) }.expect("realloc after a free");
    // SAFETY: as in `alloc`.
    ok(unsafe { model.resized(ptr, new, 1024) });
    free_all(&mut heap, &mut model);
}

#[test]
fn exhaustion_then_recovery_loses_nothing() {
    // Miri: 4 KiB, as upstream's merge walks a free list per freed block (quadratic in the
    // blocks: 16 KiB took a minute); the largest request then takes the whole heap.
    let (size, largest) = if cfg!(miri) {
        (4 << 10, layout(3000, 64))
    } else {
        (256 << 10, layout(5000, 64))
    };
    // Aligned to its size, so that the whole heap can be one buddy block.
    let region = HostRegion::new(size, size);
    let (mut heap, mut model) = heap_over(&region);
    let mut first = Vec::new();
    for l in [layout(64, 8), layout(1000, 8), layout(24, 8), largest] {
        let n = exhaust(&mut heap, &mut model, l);
        assert_eq!(
            n,
            size / block_of(l),
            "{l:?}: not every block of the heap fitted"
        );
        // Recovery: free one, and the same request succeeds again.
        let (last, _) = model.pick(n - 1).expect("live");
        free(&mut heap, &mut model, last);
        alloc(&mut heap, &mut model, l);
        free_all(&mut heap, &mut model);
        first.push(n);
    }
    // After all that, the whole heap is one block again, and the same counts fit.
    let whole = alloc(&mut heap, &mut model, layout(size, 8));
    free(&mut heap, &mut model, whole);
    for (l, n) in [layout(64, 8), layout(1000, 8)].into_iter().zip(first) {
        assert_eq!(exhaust(&mut heap, &mut model, l), n);
        free_all(&mut heap, &mut model);
    }
}
