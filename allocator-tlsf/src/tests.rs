//! The wrapper's guarantees, one test each, with inputs that upstream alone gets wrong. The
//! shared suite of `allocator-testkit` runs from `tests/conformance.rs`.

use core::{alloc::Layout, ptr::NonNull};
use std::{format, vec::Vec};

use allocator_core::{AllocError, BaseAllocator, ByteAllocator};
use allocator_testkit::{ByteModel, Entropy, Failure, HostRegion, TestRng};

use crate::{G, MAX_POOL, MAX_REGIONS, TlsfByteAllocator, pool_bytes, usable_part};

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("valid layout")
}

/// The block rlsf makes for a request with an alignment below `G`: the `G / 2`-byte header and
/// the payload, rounded up to `G`.
fn small_block(size: usize) -> usize {
    (size + G / 2).next_multiple_of(G)
}

fn ok<T>(result: Result<T, Failure>) -> T {
    result.unwrap_or_else(|failure| panic!("{failure}"))
}

fn stats(heap: &TlsfByteAllocator) -> (usize, usize) {
    (heap.total_bytes(), heap.used_bytes())
}

/// A heap, the model of its blocks, and the regions it was given (for [`Tester::walk`]).
struct Tester {
    heap: TlsfByteAllocator,
    model: ByteModel,
    regions: Vec<(usize, usize)>,
}

impl Tester {
    fn new() -> Self {
        Self {
            heap: TlsfByteAllocator::new(),
            model: ByteModel::new(),
            regions: Vec::new(),
        }
    }

    /// A heap over all of `region` (declared by the caller before the tester, so it outlives
    /// the heap).
    fn over(region: &HostRegion) -> Self {
        let mut t = Self::new();
        t.add(region.start(), region.size());
        t
    }

    /// Gives the heap `[start, start + size)`, which must succeed.
    fn add(&mut self, start: usize, size: usize) {
        // SAFETY: callers pass parts of a `HostRegion` declared before the tester, given once.
        unsafe { self.heap.add_memory(start, size) }.expect("add_memory");
        self.model.add_region(start, size);
        self.regions.push((start, size));
    }

    /// rlsf's own walk of every pool: the bytes of the occupied blocks, of the free blocks,
    /// and the number of free blocks.
    fn walk(&self) -> (usize, usize, usize) {
        let (mut used, mut free, mut free_count) = (0, 0, 0);
        for &(start, size) in &self.regions {
            let (lo, hi) = usable_part(start, start + size).expect("an accepted region");
            let (taken, _) = pool_bytes(hi - lo);
            let pool = NonNull::slice_from_raw_parts(
                NonNull::new(core::ptr::with_exposed_provenance_mut::<u8>(lo)).expect("not 0"),
                taken,
            );
            // SAFETY: `pool` is exactly what `add_memory` passed to `insert_free_block_ptr`,
            // with the length rlsf returned (checked there in debug builds).
            for block in unsafe { self.heap.tlsf.iter_blocks(pool) } {
                if block.is_occupied() {
                    used += block.size();
                } else {
                    free += block.size();
                    free_count += 1;
                }
            }
        }
        (used, free, free_count)
    }

    /// The statistics must be exactly what rlsf's blocks say.
    fn check_exact(&self) {
        let (used, free, _) = self.walk();
        assert_eq!(
            self.heap.used_bytes(),
            used,
            "used_bytes is not rlsf's occupied blocks"
        );
        assert_eq!(
            self.heap.total_bytes(),
            used + free,
            "total_bytes is not rlsf's blocks"
        );
    }

    /// Allocates `l`, which must succeed; the model checks placement and writes the pattern.
    fn alloc(&mut self, l: Layout) -> NonNull<u8> {
        let ptr = self
            .heap
            .alloc(l)
            .unwrap_or_else(|e| panic!("alloc({l:?}) failed: {e:?}"));
        // SAFETY: the model's regions are memory we own and gave to the heap; `ptr` is from it.
        ok(unsafe { self.model.insert(ptr, l) });
        ok(self
            .model
            .check_stats(self.heap.used_bytes(), self.heap.total_bytes()));
        ptr
    }

    /// Checks the pattern of the live block `ptr` and frees it.
    fn free(&mut self, ptr: NonNull<u8>) {
        // SAFETY: as in `alloc`.
        let l = ok(unsafe { self.model.remove(ptr) });
        // SAFETY: `ptr` came from the heap with `l`, and the model has forgotten it.
        unsafe { self.heap.dealloc(ptr, l) };
        ok(self
            .model
            .check_stats(self.heap.used_bytes(), self.heap.total_bytes()));
    }

    /// Resizes the live block `ptr` to `new_size`, which must succeed; the model checks the
    /// kept prefix.
    fn realloc(&mut self, ptr: NonNull<u8>, new_size: usize) -> NonNull<u8> {
        let l = self.model.layout_of(ptr).expect("live");
        // SAFETY: as in `alloc`.
        ok(unsafe { self.model.check(ptr) });
        // SAFETY: `ptr` is live with layout `l`.
        let new = unsafe { self.heap.realloc(ptr, l, new_size) }
            .unwrap_or_else(|e| panic!("realloc of {l:?} to {new_size} failed: {e:?}"));
        // SAFETY: as in `alloc`; `new` came from realloc of `ptr`.
        ok(unsafe { self.model.resized(ptr, new, new_size) });
        ok(self
            .model
            .check_stats(self.heap.used_bytes(), self.heap.total_bytes()));
        new
    }

    /// Frees every live block; then `used_bytes` must be exactly 0, and every pool one free
    /// block again.
    fn free_all(&mut self) {
        while let Some((ptr, _)) = self.model.pick(0) {
            self.free(ptr);
        }
        assert_eq!(
            self.heap.used_bytes(),
            0,
            "used_bytes after freeing every block"
        );
        let (used, free, free_count) = self.walk();
        assert_eq!((used, free), (0, self.heap.total_bytes()));
        let pools: usize = self
            .regions
            .iter()
            .map(|&(start, size)| {
                let (lo, hi) = usable_part(start, start + size).expect("accepted");
                MAX_POOL.map_or(1, |pool| (hi - lo).div_ceil(pool))
            })
            .sum();
        assert_eq!(free_count, pools, "free blocks not merged back");
    }

    /// Allocates `l` until `NoMemory` (which must change nothing); returns how many fitted.
    fn exhaust(&mut self, l: Layout) -> usize {
        let mut n = 0;
        loop {
            let before = stats(&self.heap);
            match self.heap.alloc(l) {
                Ok(ptr) => {
                    // SAFETY: as in `alloc`.
                    ok(unsafe { self.model.insert(ptr, l) });
                    n += 1;
                }
                Err(e) => {
                    assert_eq!(e, AllocError::NoMemory, "alloc({l:?}) in a full heap");
                    assert_eq!(
                        stats(&self.heap),
                        before,
                        "a failed alloc changed the stats"
                    );
                    return n;
                }
            }
        }
    }
}

#[test]
fn new_is_const_empty_and_send() {
    const EMPTY: TlsfByteAllocator = TlsfByteAllocator::new();
    fn is_send<T: Send>(_: &T) {}
    let mut heap = EMPTY;
    is_send(&heap);
    assert_eq!(stats(&heap), (0, 0));
    assert_eq!(
        format!("{heap:?}"),
        "TlsfByteAllocator { total_bytes: 0, used_bytes: 0, regions: 0 }"
    );
    assert_eq!(heap.alloc(layout(8, 8)), Err(AllocError::NoMemory));
    assert_eq!(heap.alloc(layout(0, 1)), Err(AllocError::NoMemory));
    assert_eq!(stats(&TlsfByteAllocator::default()), (0, 0));
}

#[test]
fn debug_prints_statistics() {
    let region = HostRegion::new(4096, 4096);
    let mut t = Tester::over(&region);
    let ptr = t.alloc(layout(100, 8));
    assert_eq!(
        format!("{:?}", t.heap),
        format!(
            "TlsfByteAllocator {{ total_bytes: {}, used_bytes: {}, regions: 1 }}",
            4096 - G,
            small_block(100)
        )
    );
    t.free(ptr);
}

#[test]
fn bad_regions_are_refused_and_change_nothing() {
    let region = HostRegion::new(8192, 4096);
    let (first, second) = (region.start(), region.start() + 4096);
    let mut heap = TlsfByteAllocator::new();
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
        // Too small for a block and rlsf's sentinel once trimmed: rlsf makes nothing of it and
        // says so only by returning `None`, so without the check this "succeeded".
        for (start, size) in [
            (first, 2 * G - 1),
            (first + 1, 2 * G),
            (first + 1, 3 * G - 2),
        ] {
            assert_eq!(heap.init(start, size), Err(AllocError::InvalidParam));
            assert_eq!(heap.add_memory(start, size), Err(AllocError::InvalidParam));
        }
        assert_eq!(stats(&heap), (0, 0));
        assert!(format!("{heap:?}").contains("regions: 0"));

        heap.init(first, 4096).expect("a valid init");
        assert_eq!(stats(&heap), (4096 - G, 0));
        // A second init is refused, even of a disjoint region.
        assert_eq!(heap.init(second, 4096), Err(AllocError::InvalidParam));
        assert_eq!(
            heap.add_memory(second, usize::MAX),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(stats(&heap), (4096 - G, 0));
        heap.add_memory(second, 4096)
            .expect("add_memory after init");
    }
    assert_eq!(stats(&heap), (8192 - 2 * G, 0));
}

#[test]
fn smallest_region_holds_one_block() {
    let region = HostRegion::new(4096, 4096);
    let mut t = Tester::new();
    t.add(region.start() + 1, 3 * G - 1);
    assert_eq!(t.heap.total_bytes(), G);
    let ptr = t.alloc(layout(G / 2, 1));
    assert_eq!(t.heap.used_bytes(), G);
    assert_eq!(t.heap.alloc(layout(0, 1)), Err(AllocError::NoMemory));
    t.free(ptr);
    assert_eq!(t.exhaust(layout(0, 1)), 1);
    t.free_all();
}

#[test]
fn add_memory_on_an_empty_allocator_is_init() {
    let region = HostRegion::new(8192, 4096);
    let mut heap = TlsfByteAllocator::new();
    // SAFETY: the first half of `region` is ours and outlives `heap`; the second half is
    // refused and stays ours.
    unsafe {
        heap.add_memory(region.start(), 4096).expect("add_memory");
        assert_eq!(
            heap.init(region.start() + 4096, 4096),
            Err(AllocError::InvalidParam)
        );
    }
    assert_eq!(stats(&heap), (4096 - G, 0));
}

#[test]
fn unaligned_regions_are_trimmed_and_edges_untouched() {
    let region = HostRegion::new(4096, 4096);
    region.fill(0, 4096, 0xa5);
    let mut t = Tester::new();
    t.add(region.start() + 3, 4090);
    // Pool from `start + G` to `start + 4096 - G`, its last granule the sentinel.
    assert_eq!(t.heap.total_bytes(), 4096 - 3 * G);
    let n = t.exhaust(layout(1, 1));
    assert_eq!(n, (4096 - 3 * G) / G, "every granule of the region");
    assert_eq!(t.heap.used_bytes(), t.heap.total_bytes());
    t.check_exact();
    t.free_all();
    assert_eq!(region.find_not(0, G, 0xa5), None, "start edge written");
    assert_eq!(region.find_not(4096 - G, G, 0xa5), None, "end edge written");
}

#[test]
fn trimming_and_pool_arithmetic() {
    assert_eq!(usable_part(0, 4096), Some((G, 4096)));
    assert_eq!(usable_part(1, 4096), Some((G, 4096)));
    assert_eq!(usable_part(0, 3 * G - 1), None);
    assert_eq!(usable_part(G + 1, 4 * G), Some((2 * G, 4 * G)));
    assert_eq!(usable_part(G + 1, 4 * G - 1), None);
    assert_eq!(usable_part(usize::MAX - (G - 2), usize::MAX), None);
    let (lo, hi) = usable_part(usize::MAX - 4095, usize::MAX).expect("a usable part");
    assert_eq!((lo, hi), (usize::MAX - 4095, usize::MAX - (G - 1)));
    assert_eq!(pool_bytes(2 * G), (2 * G, G));
    assert_eq!(pool_bytes(1 << 20), (1 << 20, (1 << 20) - G));
    #[cfg(target_pointer_width = "64")]
    {
        let pool = MAX_POOL.expect("64-bit pools are bounded");
        assert_eq!(pool, 16 << 30, "64-bit pools are 16 GiB");
        assert_eq!(pool_bytes(pool), (pool, pool - G));
        assert_eq!(pool_bytes(pool + G), (pool, pool - G));
        assert_eq!(pool_bytes(pool + 2 * G), (pool + 2 * G, pool));
        assert_eq!(pool_bytes(3 * pool + 4 * G), (3 * pool + 4 * G, 3 * pool));
    }
    #[cfg(not(target_pointer_width = "64"))]
    assert_eq!(MAX_POOL, None);
}

#[test]
fn oversized_layouts_are_errors_not_panics() {
    let region = HostRegion::new(64 << 10, 4096);
    let mut t = Tester::over(&region);
    let live = t.alloc(layout(64, 8));
    let before = stats(&t.heap);
    let max = isize::MAX as usize;
    for (size, align) in [
        (max, 1),
        (max - 4095, 4096),
        (max / 2 + 1, 1 << 20),
        (128 << 10, 8),
        (0, 128 << 10),
    ] {
        assert_eq!(t.heap.alloc(layout(size, align)), Err(AllocError::NoMemory));
        assert_eq!(stats(&t.heap), before);
    }
    #[cfg(target_pointer_width = "64")]
    for align in [MAX_POOL.expect("bounded"), 1 << 40, max / 2 + 1] {
        assert_eq!(
            t.heap.alloc(layout(0, align)),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(stats(&t.heap), before);
    }
    // SAFETY: `live` is a live block with its layout; on error it stays live.
    unsafe {
        for (new_size, want) in [
            (usize::MAX, AllocError::InvalidParam),
            (max - 6, AllocError::InvalidParam),
            (max - 7, AllocError::NoMemory),
            (128 << 10, AllocError::NoMemory),
        ] {
            assert_eq!(t.heap.realloc(live, layout(64, 8), new_size), Err(want));
            assert_eq!(stats(&t.heap), before);
        }
    }
    // SAFETY: as in `alloc`.
    ok(unsafe { t.model.check(live) });
    t.check_exact();
    t.free_all();
}

#[test]
fn overlapping_regions_are_refused() {
    let q = 16 << 10;
    let region = HostRegion::new(4 * q, 4096);
    let base = region.start();
    let mut t = Tester::new();
    t.add(base + q, q);
    let live = t.alloc(layout(300, 16));
    let before = stats(&t.heap);
    for (start, size) in [
        (base + q, q),
        (base + q / 2, q),
        (base + q + q / 2, q),
        (base + q + q / 4, q / 2),
        (base, 4 * q),
        (base + 2 * q - 1, 1),
        (base + q - 1, 2),
    ] {
        // SAFETY: refused, so nothing is handed over (without the check rlsf would make a
        // second pool over bytes it already manages).
        let got = unsafe { t.heap.add_memory(start, size) };
        assert_eq!(got, Err(AllocError::MemoryOverlap), "{start:#x}+{size:#x}");
        assert_eq!(stats(&t.heap), before);
        // SAFETY: as in `alloc`.
        ok(unsafe { t.model.check(live) });
    }
    // Touching regions are not overlapping; a hole stays at [2q, 3q).
    region.fill(2 * q, q, 0xa5);
    t.add(base, q);
    t.add(base + 3 * q, q);
    assert_eq!(t.heap.total_bytes(), 3 * (q - G));
    let block = small_block(1024);
    let n = t.exhaust(layout(1024, 8));
    let want = (q - G - small_block(300)) / block + 2 * ((q - G) / block);
    assert_eq!(n, want, "blocks of 1024 bytes in three regions");
    t.check_exact();
    t.free_all();
    assert_eq!(
        region.find_not(2 * q, q, 0xa5),
        None,
        "the hole was written"
    );
}

#[test]
fn region_list_full_is_no_memory() {
    let step = 4 * G;
    let region = HostRegion::new(2 * step * (MAX_REGIONS + 1), 4096);
    let mut t = Tester::new();
    for i in 0..MAX_REGIONS {
        t.add(region.start() + 2 * step * i, step);
    }
    let full = (MAX_REGIONS * (step - G), 0);
    assert_eq!(stats(&t.heap), full);
    // SAFETY: refused, so nothing is handed over.
    let got = unsafe {
        t.heap
            .add_memory(region.start() + 2 * step * MAX_REGIONS, step)
    };
    assert_eq!(got, Err(AllocError::NoMemory));
    assert_eq!(stats(&t.heap), full);
    // SAFETY: refused, so nothing is handed over.
    let got = unsafe { t.heap.add_memory(region.start(), step) };
    assert_eq!(got, Err(AllocError::MemoryOverlap));
    // Every region serves blocks.
    assert_eq!(t.exhaust(layout(2 * G, 8)), MAX_REGIONS);
    t.free_all();
}

#[test]
fn regions_with_holes_are_all_used() {
    // Miri: 4 KiB units (rlsf's walk costs time in the pools' size there).
    let u = if cfg!(miri) { 4 << 10 } else { 16 << 10 };
    let region = HostRegion::new(8 * u, 4096);
    region.fill(0, 8 * u, 0xa5);
    let mut t = Tester::new();
    // Regions at units 5..7, 1..2 and 3..4, given in this order; holes at 0, 2, 4 and 7.
    for (offset, size) in [(5 * u, 2 * u), (u, u), (3 * u, u)] {
        t.add(region.start() + offset, size);
    }
    assert_eq!(t.heap.total_bytes(), 4 * u - 3 * G);
    let mut counts = Vec::new();
    for l in [
        layout(4096, 8),
        layout(200, 16),
        layout(u / 4, 4096),
        layout(24, 8),
    ] {
        counts.push(t.exhaust(l));
        t.check_exact();
    }
    // The first two fill an empty heap; the others take what fragments are left.
    assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
    t.free_all();
    // Nothing lost: the same requests fit as often again.
    for (l, n) in [layout(4096, 8), layout(200, 16)].into_iter().zip(counts) {
        let again = t.exhaust(l);
        assert!(
            again >= n,
            "{l:?}: {n} fitted at first, {again} after frees"
        );
    }
    t.free_all();
    for offset in [0, 2 * u, 4 * u, 7 * u] {
        assert_eq!(region.find_not(offset, u, 0xa5), None, "a hole was written");
    }
}

#[test]
fn every_alignment_for_every_size() {
    // Miri: rlsf's block walk (`check_exact`) costs time in the pool's size there (its
    // `nonnull_slice_len` makes a reference to the whole pool: one walk of a 128 KiB pool took
    // 16 s), so a small pool, smaller sizes, and the walk only at the end.
    let (sizes, max_align, region_size): (&[usize], usize, usize) = if cfg!(miri) {
        (&[0, 63, 1000], 8 << 10, 64 << 10)
    } else {
        (&[0, 1, 7, 8, 63, 4096, 70000], 1 << 20, 32 << 20)
    };
    let region = HostRegion::new(region_size, 4096);
    let mut t = Tester::over(&region);
    let mut small = 0;
    let mut align = 1;
    // All blocks stay live together, so the model also checks that none overlap.
    while align <= max_align {
        for &size in sizes {
            let l = layout(size, align);
            let ptr = t.alloc(l);
            assert_eq!(ptr.as_ptr() as usize % align, 0, "{l:?} misaligned");
            if align < G {
                small += small_block(size);
                assert_eq!(t.heap.used_bytes(), small, "used_bytes after {l:?}");
            }
            if !cfg!(miri) {
                t.check_exact();
            }
        }
        align *= 2;
    }
    // Free in a scattered order.
    let mut i = 0;
    while let Some((ptr, _)) = t.model.pick(i) {
        t.free(ptr);
        i += 7;
    }
    t.check_exact();
    t.free_all();
}

/// The block sizes `alloc`, `dealloc` and `realloc` read from rlsf's headers are rlsf's own:
/// after every step of a random workload, `used_bytes` is the sum of the occupied blocks of
/// rlsf's block walk.
#[test]
fn block_sizes_match_rlsf() {
    // Miri: a small pool and few steps (see `every_alignment_for_every_size`: rlsf's walk
    // dominates there; 40 steps with 7 walks of 64 KiB took 74 s).
    let (ops, walk_every, region_size) = if cfg!(miri) {
        (32, 16, 32 << 10)
    } else {
        (20_000, 16, 8 << 20)
    };
    let region = HostRegion::new(region_size, 4096);
    let mut t = Tester::over(&region);
    assert_eq!(t.heap.total_bytes(), region_size - G);
    let mut rng = TestRng::new(0x0715_f0a1);
    for step in 0..ops {
        let choice = rng.below(10);
        if choice < 5 || t.model.live_count() == 0 {
            let size = if rng.chance(1, 8) {
                rng.below_usize(if cfg!(miri) { 4096 } else { 70_000 })
            } else {
                rng.below_usize(300)
            };
            let l = layout(size, 1 << rng.below_usize(13));
            match t.heap.alloc(l) {
                // SAFETY: as in `Tester::alloc`.
                Ok(ptr) => ok(unsafe { t.model.insert(ptr, l) }),
                Err(e) => assert_eq!(e, AllocError::NoMemory),
            }
        } else if choice < 8 {
            let (ptr, _) = t.model.pick(rng.below_usize(usize::MAX)).expect("live");
            t.free(ptr);
        } else {
            let (ptr, l) = t.model.pick(rng.below_usize(usize::MAX)).expect("live");
            let new_size = rng.below_usize(5000);
            // SAFETY: as in `Tester::alloc`.
            ok(unsafe { t.model.check(ptr) });
            // SAFETY: `ptr` is live with layout `l`.
            match unsafe { t.heap.realloc(ptr, l, new_size) } {
                // SAFETY: as in `Tester::alloc`; `new` came from realloc of `ptr`.
                Ok(new) => ok(unsafe { t.model.resized(ptr, new, new_size) }),
                Err(e) => assert_eq!(e, AllocError::NoMemory),
            }
        }
        ok(t.model
            .check_stats(t.heap.used_bytes(), t.heap.total_bytes()));
        if step % walk_every == 0 {
            t.check_exact();
        }
    }
    t.check_exact();
    t.free_all();
    assert_eq!(t.heap.total_bytes(), region_size - G);
}

#[test]
fn zero_size_blocks_are_unique_and_counted() {
    // Miri: 8 KiB (rlsf's walk costs time in the pool's size there).
    let region = HostRegion::new(if cfg!(miri) { 8 << 10 } else { 64 << 10 }, 4096);
    let mut t = Tester::over(&region);
    let mut ptrs = Vec::new();
    for i in 0..64 {
        ptrs.push(t.alloc(layout(0, 1 << (i % 4))));
    }
    let mut sorted = ptrs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 64);
    assert_eq!(t.heap.used_bytes(), 64 * G, "one granule each");
    for i in 0..16 {
        t.alloc(layout(0, G << (i % 4)));
    }
    t.check_exact();
    t.free_all();
}

#[test]
fn realloc_keeps_contents_in_place_when_it_can_and_fails_cleanly() {
    let region = HostRegion::new(8192, 4096);
    let mut t = Tester::over(&region);
    let a = t.alloc(layout(1000, 8));
    let b = t.alloc(layout(1000, 8));
    let used = t.heap.used_bytes();
    // Shrinking stays in place and gives the tail back.
    let a2 = t.realloc(a, 100);
    assert_eq!(a2, a);
    assert_eq!(
        t.heap.used_bytes(),
        used - small_block(1000) + small_block(100)
    );
    // Growing into the free space just given back stays in place too.
    let a3 = t.realloc(a2, 900);
    assert_eq!(a3, a);
    // `b` is last, followed by the free rest of the pool: it grows in place.
    let b2 = t.realloc(b, 5000);
    assert_eq!(b2, b);
    t.check_exact();
    // `a` cannot grow past `b`, nor in place: it moves, or fails.
    let free = t.heap.available_bytes();
    let l = t.model.layout_of(a3).expect("live");
    let before = stats(&t.heap);
    // SAFETY: `a3` is live with layout `l`; on error it stays live.
    let got = unsafe { t.heap.realloc(a3, l, free + 1) };
    assert_eq!(got, Err(AllocError::NoMemory));
    assert_eq!(stats(&t.heap), before);
    // SAFETY: as in `Tester::alloc`.
    ok(unsafe { t.model.check(a3) });
    // Fill the heap, then a grow fails and changes nothing.
    t.exhaust(layout(16, 8));
    assert_eq!(t.heap.used_bytes(), t.heap.total_bytes());
    let before = stats(&t.heap);
    // SAFETY: `a3` is live with layout `l`; on error it stays live.
    let got = unsafe { t.heap.realloc(a3, l, 2000) };
    assert_eq!(got, Err(AllocError::NoMemory));
    assert_eq!(stats(&t.heap), before);
    // SAFETY: as in `Tester::alloc`.
    ok(unsafe { t.model.check(a3) });
    // Free `b`: now `a` grows, moving with its contents into the space `b` had.
    t.free(b2);
    let a4 = t.realloc(a3, 2000);
    assert_eq!(a4, b);
    t.check_exact();
    // Shrink to 0 and grow again, with a large alignment.
    let c = t.alloc(layout(40, 256));
    let c = t.realloc(c, 0);
    t.check_exact();
    t.free(c);
    t.free_all();
}

#[test]
fn realloc_moves_with_its_contents() {
    // Miri: 40 KiB (rlsf's walk costs time in the pool's size there).
    let region = HostRegion::new(if cfg!(miri) { 40 << 10 } else { 64 << 10 }, 4096);
    let mut t = Tester::over(&region);
    let mut moves = 0;
    for align in [8, 64, 4096] {
        let ptr = t.alloc(layout(100, align));
        // A neighbour right after, so that the block cannot grow forwards. (It may still keep
        // its address by growing backwards into free space before it, when the alignment
        // padding allows: rlsf's moving in-place path.)
        let fence = t.alloc(layout(16, 8));
        let moved = t.realloc(ptr, 10_000);
        moves += usize::from(moved != ptr);
        // SAFETY: as in `Tester::alloc`.
        ok(unsafe { t.model.check(fence) });
        t.check_exact();
    }
    assert!(moves > 0, "no block moved");
    t.free_all();
}

#[test]
fn exhaustion_then_recovery_loses_nothing() {
    // Miri: 4 KiB (about 350 blocks per round instead of about 1400); the largest request
    // shrinks with it.
    let (size, largest) = if cfg!(miri) {
        (4 << 10, layout(2000, 64))
    } else {
        (256 << 10, layout(5000, 64))
    };
    let region = HostRegion::new(size, 4096);
    let mut t = Tester::over(&region);
    let total = t.heap.total_bytes();
    let mut first = Vec::new();
    let requests = [layout(64, 8), layout(1000, 8), layout(0, 1), largest];
    for l in requests {
        let n = t.exhaust(l);
        if l.align() < G {
            assert_eq!(
                n,
                total / small_block(l.size()),
                "{l:?}: not every block fitted"
            );
        }
        assert!(n > 0);
        // Recovery: free one, and the same request succeeds again.
        let (last, _) = t.model.pick(n - 1).expect("live");
        t.free(last);
        t.alloc(l);
        t.check_exact();
        t.free_all();
        first.push(n);
    }
    for (l, n) in requests.into_iter().zip(first) {
        assert_eq!(t.exhaust(l), n, "{l:?}: fewer fit after the other requests");
        t.free_all();
    }
}

/// An 8 GiB block in one region, and a region larger than one pool (64-bit targets). Only the
/// headers are written, so this touches a few pages of the host's memory; it is skipped if the
/// host refuses to reserve the address space.
#[cfg(all(target_pointer_width = "64", not(miri)))]
#[test]
fn eight_gib_blocks_and_regions_beyond_one_pool() {
    let pool = MAX_POOL.expect("64-bit pools are bounded");
    // A request is served from a free list whose every block fits it, so a block of `b` bytes
    // needs a free block of `b` rounded up to the next of 32 sizes per power of two: 8 GiB +
    // 256 MiB for 8 GiB (plus alignment), and 15.75 GiB for 15.5 GiB.
    for (region_size, block) in [
        ((8 << 30) + (512 << 20), 8 << 30),
        (pool + (1 << 20), pool - (512 << 20)),
    ] {
        let host = Layout::from_size_align(region_size, 4096).expect("valid");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(host) };
        if ptr.is_null() {
            std::eprintln!("skipped: the host cannot reserve {region_size} bytes");
            return;
        }
        {
            let mut heap = TlsfByteAllocator::new();
            // SAFETY: the host block is ours, valid for reads and writes, and freed only after
            // `heap` is dropped (end of this scope).
            unsafe { heap.init(ptr as usize, region_size) }.expect("init");
            let (taken, usable) = pool_bytes(region_size);
            assert_eq!(taken, region_size);
            assert_eq!(heap.total_bytes(), usable);
            let big = heap.alloc(layout(block, 4096)).expect("a huge block");
            assert!(heap.used_bytes() >= block && heap.used_bytes() <= heap.total_bytes());
            // SAFETY: the first and last bytes of the block are ours.
            unsafe {
                big.as_ptr().write(1);
                big.as_ptr().add(block - 1).write(2);
            }
            // SAFETY: `big` came from `heap` with this layout; freed once.
            unsafe { heap.dealloc(big, layout(block, 4096)) };
            assert_eq!(heap.used_bytes(), 0);
        }
        // SAFETY: allocated above with `host`; the heap that used it is gone.
        unsafe { std::alloc::dealloc(ptr, host) };
    }
}
