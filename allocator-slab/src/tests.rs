//! Edge cases of the wrapper: each test fails if the guard it names is taken out.

use core::{alloc::Layout, ptr::NonNull};
use std::{format, vec::Vec};

use allocator_core::{AllocError, BaseAllocator, ByteAllocator};

use crate::{MAX_REGIONS, SlabByteAllocator, block_size};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Memory from the system allocator, freed on drop; the allocator under test must be
/// dropped (or no longer used) first, which declaration order in each test ensures.
struct Mem {
    ptr: *mut u8,
    layout: Layout,
}

impl Mem {
    fn new(size: usize, align: usize) -> Self {
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        assert!(!ptr.is_null(), "the system allocator is out of memory");
        Self { ptr, layout }
    }

    fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// Writes `byte` into `[offset, offset + len)`.
    fn paint(&self, offset: usize, len: usize, byte: u8) {
        assert!(offset + len <= self.layout.size());
        // SAFETY: inside this allocation, which no allocator under test was given.
        unsafe { self.ptr.add(offset).write_bytes(byte, len) };
    }

    /// Whether `[offset, offset + len)` still holds `byte` everywhere.
    fn painted(&self, offset: usize, len: usize, byte: u8) -> bool {
        assert!(offset + len <= self.layout.size());
        // SAFETY: inside this allocation, not handed to any allocator under test.
        let bytes = unsafe { core::slice::from_raw_parts(self.ptr.add(offset), len) };
        bytes.iter().all(|&b| b == byte)
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with `self.layout`.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) };
    }
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

/// A live block with the seed of the pattern written into it.
#[derive(Clone, Copy, Debug)]
struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
    seed: u8,
}

fn pattern(seed: u8, i: usize) -> u8 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the pattern wraps on purpose"
    )]
    let low = (i % 251) as u8;
    seed.wrapping_mul(31).wrapping_add(low)
}

/// The offsets of a block that carry its pattern: every byte, except under Miri, where only
/// the first and last 8 bytes of a larger block do (byte loops are slow there). The first 8
/// are where upstream keeps its free-list link, the last reach the block's end.
fn pattern_offsets(size: usize) -> impl Iterator<Item = usize> {
    const EDGE: usize = 8;
    let head = if cfg!(miri) { size.min(EDGE) } else { size };
    (0..head).chain(size.saturating_sub(EDGE).max(head)..size)
}

fn write_pattern(b: &Block) {
    for i in pattern_offsets(b.layout.size()) {
        // SAFETY: the block is live and at least `layout.size()` bytes long.
        unsafe { b.ptr.as_ptr().add(i).write(pattern(b.seed, i)) };
    }
}

fn check_pattern(b: &Block) {
    check_pattern_upto(b, b.layout.size());
}

/// Checks the pattern of `b` in its first `len` bytes (what a `realloc` keeps).
fn check_pattern_upto(b: &Block, len: usize) {
    for i in pattern_offsets(b.layout.size()).filter(|&i| i < len) {
        // SAFETY: the block is live and at least `layout.size()` bytes long.
        let got = unsafe { b.ptr.as_ptr().add(i).read() };
        assert_eq!(got, pattern(b.seed, i), "block {b:?} corrupted at byte {i}");
    }
}

/// Allocates, checks the alignment and writes the pattern.
fn alloc_block(heap: &mut SlabByteAllocator, l: Layout, seed: u8) -> Result<Block, AllocError> {
    let ptr = heap.alloc(l)?;
    assert_eq!(
        ptr.as_ptr() as usize % l.align(),
        0,
        "misaligned block for {l:?}"
    );
    let b = Block {
        ptr,
        layout: l,
        seed,
    };
    write_pattern(&b);
    Ok(b)
}

fn free_block(heap: &mut SlabByteAllocator, b: Block) {
    check_pattern(&b);
    // SAFETY: `b` came from `heap` with `b.layout` and is freed once.
    unsafe { heap.dealloc(b.ptr, b.layout) };
}

/// Checks that no two live blocks overlap (a block of size 0 counts as one byte), and that
/// all lie inside one of `ranges`.
fn check_blocks(blocks: &[Block], ranges: &[(usize, usize)]) {
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .map(|b| {
            let start = b.ptr.as_ptr() as usize;
            (start, start + b.layout.size().max(1))
        })
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(
            w[0].1 <= w[1].0,
            "blocks overlap: {:x?} and {:x?}",
            w[0],
            w[1]
        );
    }
    for &(s, e) in &spans {
        assert!(
            ranges.iter().any(|&(rs, re)| rs <= s && e <= re),
            "block {s:#x}..{e:#x} outside the regions {ranges:x?}"
        );
    }
}

/// Allocates `sizes` round-robin (alignment 8) until each gives `NoMemory`; returns the blocks
/// and how many of each size succeeded.
fn fill(heap: &mut SlabByteAllocator, sizes: &[usize]) -> (Vec<Block>, Vec<usize>) {
    let mut blocks = Vec::new();
    let mut counts = std::vec![0; sizes.len()];
    let mut open = std::vec![true; sizes.len()];
    let mut seed = 0u8;
    while open.iter().any(|&o| o) {
        for (i, &size) in sizes.iter().enumerate() {
            if !open[i] {
                continue;
            }
            seed = seed.wrapping_add(1);
            match alloc_block(heap, layout(size, 8), seed) {
                Ok(b) => {
                    blocks.push(b);
                    counts[i] += 1;
                }
                Err(e) => {
                    assert_eq!(e, AllocError::NoMemory);
                    open[i] = false;
                }
            }
            assert!(heap.used_bytes() <= heap.total_bytes());
        }
    }
    (blocks, counts)
}

/// Frees every other block first, then the rest backwards: not the allocation order.
fn free_all(heap: &mut SlabByteAllocator, blocks: Vec<Block>) {
    let (even, odd): (Vec<_>, Vec<_>) = blocks
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    for (_, b) in even {
        free_block(heap, b);
    }
    for (_, b) in odd.into_iter().rev() {
        free_block(heap, b);
    }
}

/// A tiny deterministic generator for the randomized tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

#[test]
fn new_is_const_empty_and_refuses_alloc_before_init() {
    static HEAP: spin::Mutex<SlabByteAllocator> = spin::Mutex::new(SlabByteAllocator::new());
    assert_eq!(HEAP.lock().total_bytes(), 0);
    assert_eq!(HEAP.lock().used_bytes(), 0);
    assert_eq!(HEAP.lock().alloc(layout(1, 1)), Err(AllocError::NoMemory));
    let mut heap = SlabByteAllocator::default();
    assert_eq!(heap.alloc(layout(8, 8)), Err(AllocError::NoMemory));
    assert_eq!(heap.alloc(layout(10_000, 8)), Err(AllocError::NoMemory));
    assert_eq!(heap.used_bytes(), 0);
    assert_eq!(
        format!("{heap:?}"),
        "SlabByteAllocator { total_bytes: 0, used_bytes: 0, regions: 0 }"
    );
    fn assert_send<T: Send>() {}
    assert_send::<SlabByteAllocator>();
}

#[test]
fn debug_prints_statistics() {
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours, valid, and outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    let b = heap.alloc(layout(100, 1)).unwrap();
    assert_eq!(
        format!("{heap:?}"),
        "SlabByteAllocator { total_bytes: 65536, used_bytes: 128, regions: 1 }"
    );
    // SAFETY: allocated above with this layout.
    unsafe { heap.dealloc(b, layout(100, 1)) };
}

/// Guard: trimming to 4096-aligned starts and 4096-multiple sizes (upstream asserts both).
#[test]
fn misaligned_region_is_trimmed_and_fully_used() {
    // Miri: the smallest first region (32 KiB once trimmed), 512 blocks instead of 2048.
    let usable = if cfg!(miri) { 32 * KIB } else { 128 * KIB };
    let mem = Mem::new(2 * usable, 4096);
    let base = mem.addr();
    let (start, size) = (base + 1, usable + 4096 + 100);
    let (first, last) = (base + 4096, base + usable + 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`.
    unsafe { heap.init(start, size) }.unwrap();
    assert_eq!(heap.total_bytes(), last - first);
    // Every page is usable: 64-byte blocks fill the trimmed region exactly.
    let (blocks, counts) = fill(&mut heap, &[64]);
    assert_eq!(counts[0] * 64, last - first);
    check_blocks(&blocks, &[(first, last)]);
    free_all(&mut heap, blocks);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: a first region that is not a multiple of 32 KiB is split between `Heap::new` and
/// `Heap::add_memory` (upstream asserts a multiple of 32 KiB), losing nothing.
#[test]
fn first_region_not_a_multiple_of_32k_is_used_whole() {
    // Miri: 32 KiB + one page (576 blocks instead of 704), still split.
    let usable = if cfg!(miri) { 36 * KIB } else { 44 * KIB };
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`.
    unsafe { heap.init(mem.addr(), usable + 5) }.unwrap();
    assert_eq!(heap.total_bytes(), usable);
    let (blocks, counts) = fill(&mut heap, &[1]);
    assert_eq!(counts[0] * 64, usable);
    check_blocks(&blocks, &[(mem.addr(), mem.addr() + usable)]);
    free_all(&mut heap, blocks);
}

/// Guard: a first region with less than 32 KiB once trimmed is `InvalidParam` (upstream
/// asserts), and nothing changes.
#[test]
fn small_first_region_is_invalid() {
    let mem = Mem::new(64 * KIB, 4096);
    let base = mem.addr();
    let mut heap = SlabByteAllocator::new();
    for (start, size) in [
        (base, 28 * KIB),
        (base, 32 * KIB - 1),
        (base + 1, 32 * KIB),
        (base + 1, 4095),
    ] {
        // SAFETY: inside `mem`, which outlives `heap`.
        let r = unsafe { heap.init(start, size) };
        assert_eq!(r, Err(AllocError::InvalidParam), "{start:#x} + {size:#x}");
        // SAFETY: as above.
        let r = unsafe { heap.add_memory(start, size) };
        assert_eq!(r, Err(AllocError::InvalidParam), "{start:#x} + {size:#x}");
        assert_eq!(heap.total_bytes(), 0);
        assert_eq!(heap.alloc(layout(1, 1)), Err(AllocError::NoMemory));
    }
    // The failed calls left the allocator empty: a good region is accepted.
    // SAFETY: as above.
    unsafe { heap.add_memory(base, 32 * KIB) }.unwrap();
    assert_eq!(heap.total_bytes(), 32 * KIB);
}

/// Guard: page 0 is never used (the buddy part overflows on address 0, and a block there
/// would be null). Only error paths are exercised: nothing is written.
#[test]
fn page_zero_is_excluded() {
    let mut heap = SlabByteAllocator::new();
    // SAFETY: the call fails (28 KiB usable) before anything is written.
    let r = unsafe { heap.init(0, 32 * KIB) };
    assert_eq!(r, Err(AllocError::InvalidParam));
    // SAFETY: the call fails (nothing usable) before anything is written.
    let r = unsafe { heap.init(0, 4096) };
    assert_eq!(r, Err(AllocError::InvalidParam));
    assert_eq!(heap.total_bytes(), 0);
}

/// Guard: size 0, an overflowing end and an unalignable start are `InvalidParam`.
#[test]
fn bad_region_parameters_are_invalid_and_change_nothing() {
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    let bad = [
        (mem.addr(), 0),
        (usize::MAX - 100, 200),
        (usize::MAX, usize::MAX),
        (usize::MAX - 10, 5),
        (usize::MAX - 4095, 4095),
    ];
    for (start, size) in bad {
        // SAFETY: every call fails before anything is written.
        let r = unsafe { heap.init(start, size) };
        assert_eq!(r, Err(AllocError::InvalidParam), "{start:#x} + {size:#x}");
    }
    // SAFETY: inside `mem`, which outlives `heap`.
    unsafe { heap.init(mem.addr(), 32 * KIB) }.unwrap();
    for (start, size) in bad.into_iter().chain([(mem.addr() + 32 * KIB + 1, 4094)]) {
        // SAFETY: every call fails before anything is written.
        let r = unsafe { heap.add_memory(start, size) };
        assert_eq!(r, Err(AllocError::InvalidParam), "{start:#x} + {size:#x}");
    }
    assert_eq!(heap.total_bytes(), 32 * KIB);
    assert!(format!("{heap:?}").contains("regions: 1 "));
}

/// Guard: `init` on an allocator that has memory is `InvalidParam`.
#[test]
fn init_twice_is_invalid() {
    let mem = Mem::new(128 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    // SAFETY: disjoint from the first, inside `mem`; the call fails.
    let r = unsafe { heap.init(mem.addr() + 64 * KIB, 64 * KIB) };
    assert_eq!(r, Err(AllocError::InvalidParam));
    assert_eq!(heap.total_bytes(), 64 * KIB);
}

/// Guard: the overlap check. Overlapping regions (the untrimmed edges included) get
/// `MemoryOverlap` and change nothing; disjoint regions with holes all serve blocks, and the
/// holes are never touched.
#[test]
#[cfg_attr(
    miri,
    ignore = "thousands of blocks: too slow under Miri, and no unsafe path of its own"
)]
fn overlap_is_refused_and_disjoint_regions_with_holes_work() {
    let mem = Mem::new(2 * MIB, 4096);
    let base = mem.addr();
    let a = (base, base + 512 * KIB);
    let b = (base + MIB, base + MIB + 512 * KIB);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`; the two are disjoint.
    unsafe {
        heap.init(a.0, 512 * KIB + 100).unwrap();
        heap.add_memory(b.0, 512 * KIB).unwrap();
    }
    let total = heap.total_bytes();
    assert_eq!(total, MIB);
    let overlapping = [
        (base + 500 * KIB, 100 * KIB),     // the end of `a`
        (base + 512 * KIB + 50, 64 * KIB), // the trimmed edge of `a` only
        (base + 1500 * KIB, 100 * KIB),    // the end of `b`
        (base + 900 * KIB, 200 * KIB),     // the start of `b`
        (base + 1100 * KIB, 8 * KIB),      // inside `b`
        (base, 2 * MIB),                   // all of it
        (base - 4096, 8192),               // the start of `a`
    ];
    for (start, size) in overlapping {
        // SAFETY: the call fails before anything is written.
        let r = unsafe { heap.add_memory(start, size) };
        assert_eq!(r, Err(AllocError::MemoryOverlap), "{start:#x} + {size:#x}");
        assert_eq!(heap.total_bytes(), total);
    }
    // The holes: after `a`'s untrimmed end, and after `b`.
    mem.paint(512 * KIB + 100, 512 * KIB - 100, 0xA5);
    mem.paint(1536 * KIB, 512 * KIB, 0x5A);
    let (blocks, counts) = fill(&mut heap, &[1, 100, 1500, 3000, 5000, 40_000]);
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    check_blocks(&blocks, &[a, b]);
    for blk in &blocks {
        check_pattern(blk);
    }
    assert!(mem.painted(512 * KIB + 100, 512 * KIB - 100, 0xA5));
    assert!(mem.painted(1536 * KIB, 512 * KIB, 0x5A));
    free_all(&mut heap, blocks);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the trimmed regions may add up to at most half the address space, so that
/// upstream's counters (which count slab memory twice) cannot overflow in `used_bytes`. Only a
/// 32-bit target can have that much memory; here the region is refused before any of it is
/// touched.
#[test]
fn total_above_half_the_address_space_is_no_memory() {
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    let start = (usize::MAX / 2 + 1) & !(MIB - 1);
    let size = usize::MAX / 2 - 64 * KIB + 4096;
    // SAFETY: refused before anything is written: the checks only compare numbers.
    let r = unsafe { heap.add_memory(start, size) };
    assert_eq!(r, Err(AllocError::NoMemory));
    assert_eq!(heap.total_bytes(), 64 * KIB);
    assert!(format!("{heap:?}").contains("regions: 1 "));
    let b = alloc_block(&mut heap, layout(100, 8), 1).unwrap();
    assert_eq!(heap.used_bytes(), 128);
    free_block(&mut heap, b);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the region list is bounded; a region when it is full gets `NoMemory` and changes
/// nothing. Touching regions are accepted, and all the regions serve blocks.
#[test]
fn region_list_full_is_no_memory() {
    let pages = 2 * MAX_REGIONS + 12;
    // 32 KiB-aligned, so that the first region is one buddy block (used under Miri).
    let mem = Mem::new(pages * 4096, 32 * KIB);
    let base = mem.addr();
    let mut heap = SlabByteAllocator::new();
    // SAFETY: every region below lies inside `mem`, which outlives `heap`, and they are
    // disjoint (the failing calls write nothing).
    unsafe {
        heap.init(base, 32 * KIB).unwrap();
        // Page 8 touches the first region.
        heap.add_memory(base + 8 * 4096, 4096).unwrap();
        // Then one page each, with a one-page hole before each.
        for i in 2..MAX_REGIONS {
            heap.add_memory(base + (6 + 2 * i) * 4096, 4096).unwrap();
        }
        assert!(format!("{heap:?}").contains(&format!("regions: {MAX_REGIONS} ")));
        let total = heap.total_bytes();
        assert_eq!(total, 32 * KIB + (MAX_REGIONS - 1) * 4096);
        // The last region is page `2 * MAX_REGIONS + 4`.
        for page in [2 * MAX_REGIONS + 5, 2 * MAX_REGIONS + 7, 9] {
            let r = heap.add_memory(base + page * 4096, 4096);
            assert_eq!(r, Err(AllocError::NoMemory), "page {page}");
            assert_eq!(heap.total_bytes(), total);
        }
        // Overlap is still reported as such when the list is full.
        let r = heap.add_memory(base + 8 * 4096, 4096);
        assert_eq!(r, Err(AllocError::MemoryOverlap));
    }
    // Miri: one 32 KiB block takes the first region whole, so that the 64-byte blocks (496
    // instead of 2496) fill the one-page regions only.
    let first = if cfg!(miri) {
        let b = alloc_block(&mut heap, layout(32 * KIB, 8), 200).unwrap();
        assert_eq!(b.ptr.as_ptr() as usize, base, "not the first region");
        Some(b)
    } else {
        None
    };
    let (mut blocks, counts) = fill(&mut heap, &[64]);
    let first_len = first.map_or(0, |b| b.layout.size());
    assert_eq!(counts[0] * 64 + first_len, heap.total_bytes());
    blocks.extend(first);
    check_blocks(&blocks, &[(base, base + pages * 4096)]);
    free_all(&mut heap, blocks);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the reset. Upstream keeps slab memory in its size class forever; once no block is
/// live, a failed request rebuilds the heap and succeeds.
#[test]
fn memory_kept_by_slabs_comes_back_once_nothing_is_live() {
    let region = if cfg!(miri) { 64 * KIB } else { MIB };
    let mem = Mem::new(2 * region, region);
    let base = mem.addr();
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`; disjoint halves, with a hole.
    unsafe {
        heap.init(base, region / 2).unwrap();
        heap.add_memory(base + region, region / 2).unwrap();
    }
    let ranges = [
        (base, base + region / 2),
        (base + region, base + region + region / 2),
    ];
    let big = layout(region / 2, 8);
    let b = alloc_block(&mut heap, big, 1).unwrap();
    free_block(&mut heap, b);
    // Miri: the 512-byte class, whose 32 KiB slabs take each half whole in 64 blocks.
    let sizes: &[usize] = if cfg!(miri) { &[512] } else { &[64, 100, 4096] };
    for &size in sizes {
        // Every page goes to the size class of `size`.
        let (blocks, counts) = fill(&mut heap, &[size]);
        assert!(counts[0] > 0);
        check_blocks(&blocks, &ranges);
        // One small block kept live: the big request cannot be met (the documented
        // drawback), and the failure changes nothing.
        let mut blocks = blocks;
        let keep = blocks.pop().unwrap();
        free_all(&mut heap, blocks);
        let used = heap.used_bytes();
        assert_eq!(heap.alloc(big), Err(AllocError::NoMemory));
        assert_eq!(heap.used_bytes(), used);
        check_pattern(&keep);
        free_block(&mut heap, keep);
        assert_eq!(heap.used_bytes(), 0);
        // Nothing live: both halves are whole again.
        let b1 = alloc_block(&mut heap, big, 2).unwrap();
        let b2 = alloc_block(&mut heap, big, 3).unwrap();
        check_blocks(&[b1, b2], &ranges);
        free_block(&mut heap, b1);
        free_block(&mut heap, b2);
    }
    // A mixed fill, then one that moves every page to the 64-byte class; once a request
    // has failed with nothing live, the mixed fill gets as many blocks as before. (Without
    // that request, the fill would start on the 64-byte class's slabs, and its first failure
    // would come with blocks live: no reset.) Miri: the 512-byte class instead of the 64-byte
    // one (a few hundred blocks instead of thousands); the mixed fill starts with it as well.
    let (sizes, class): (&[usize], usize) = if cfg!(miri) {
        (&[500, 5000], 512)
    } else {
        (&[1, 100, 1000, 4096, 5000], 64)
    };
    let (blocks, first) = fill(&mut heap, sizes);
    free_all(&mut heap, blocks);
    let (blocks, _) = fill(&mut heap, &[class]);
    free_all(&mut heap, blocks);
    let b = alloc_block(&mut heap, big, 4).unwrap();
    free_block(&mut heap, b);
    let (blocks, again) = fill(&mut heap, sizes);
    assert_eq!(first, again);
    free_all(&mut heap, blocks);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the reset also serves the requests `alloc` handles out of line (an alignment above
/// 4096), and those give `NoMemory` before `init` as the others do.
#[test]
fn large_alignment_request_gets_the_reset_too() {
    let mut heap = SlabByteAllocator::new();
    assert_eq!(heap.alloc(layout(64, 8192)), Err(AllocError::NoMemory));
    assert_eq!(heap.alloc(layout(0, 1 << 31)), Err(AllocError::NoMemory));
    let mem = Mem::new(64 * KIB, 4096);
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    let range = [(mem.addr(), mem.addr() + 64 * KIB)];
    // Every page goes to the 64-byte class; with one block live, no 16 KiB buddy block is
    // left, and the failure changes nothing.
    let (mut blocks, counts) = fill(&mut heap, &[64]);
    assert!(counts[0] > 0);
    let keep = blocks.pop().unwrap();
    free_all(&mut heap, blocks);
    let l = layout(64, 16 * KIB);
    assert_eq!(heap.alloc(l), Err(AllocError::NoMemory));
    assert_eq!(heap.used_bytes(), 64);
    free_block(&mut heap, keep);
    // Nothing live: the heap is rebuilt, and the block (aligned: `alloc_block` checks it) is
    // counted whole.
    let b = alloc_block(&mut heap, l, 1).unwrap();
    check_blocks(core::slice::from_ref(&b), &range);
    assert_eq!(heap.used_bytes(), 16 * KIB);
    free_block(&mut heap, b);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: small requests with an alignment above 4096 go to the buddy part (upstream serves
/// them from the 4096-byte slab, aligned to 4096 only).
#[test]
fn every_alignment_up_to_1_mib_for_every_size() {
    let (max_align_log, repeat, region) = if cfg!(miri) {
        (14, 1, 2 * MIB)
    } else {
        (20, 3, 48 * MIB)
    };
    let sizes = [0, 1, 63, 64, 65, 4096, 4097, 70_000];
    let mem = Mem::new(region, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), region) }.unwrap();
    let range = [(mem.addr(), mem.addr() + region)];
    let mut seed = 0u8;
    for align_log in 0..=max_align_log {
        let align = 1usize << align_log;
        let mut blocks = Vec::new();
        for &size in &sizes {
            for _ in 0..repeat {
                seed = seed.wrapping_add(1);
                let b = alloc_block(&mut heap, layout(size, align), seed).unwrap();
                blocks.push(b);
            }
        }
        check_blocks(&blocks, &range);
        let live: usize = blocks.iter().map(|b| b.layout.size()).sum();
        assert!(heap.used_bytes() >= live && heap.used_bytes() <= heap.total_bytes());
        free_all(&mut heap, blocks);
        assert_eq!(heap.used_bytes(), 0, "align {align}");
    }
}

/// Guard: alignments beyond the buddy part's largest block are `InvalidParam`, blocks beyond
/// it `NoMemory`, and overflowing sizes never panic.
#[test]
fn impossible_layouts_are_errors() {
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    #[cfg(target_pointer_width = "64")]
    for align_log in 32..usize::BITS - 1 {
        let align = 1usize << align_log;
        assert_eq!(heap.alloc(layout(0, align)), Err(AllocError::InvalidParam));
        assert_eq!(
            heap.alloc(layout(5000, align)),
            Err(AllocError::InvalidParam)
        );
    }
    for size in [
        MIB,
        1 << 30,
        isize::MAX as usize / 2 + 2,
        isize::MAX as usize,
    ] {
        assert_eq!(
            heap.alloc(layout(size, 1)),
            Err(AllocError::NoMemory),
            "{size:#x}"
        );
    }
    assert_eq!(heap.alloc(layout(0, 1 << 31)), Err(AllocError::NoMemory));
    assert_eq!(heap.used_bytes(), 0);
    // Still works.
    let b = alloc_block(&mut heap, layout(10, 1), 1).unwrap();
    free_block(&mut heap, b);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the wrapper's own counters. Upstream's `used_bytes` would add the slab memory taken
/// from the buddy part, and its `total_bytes` would grow with each slab.
#[test]
fn used_bytes_counts_live_block_sizes_exactly() {
    let mem = Mem::new(MIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), MIB) }.unwrap();
    let cases = [
        ((0, 1), 64),
        ((1, 1), 64),
        ((64, 64), 64),
        ((65, 8), 128),
        ((100, 256), 256),
        ((4096, 4096), 4096),
        ((4097, 8), 8192),
        ((64, 8192), 8192),
        ((0, 65536), 65536),
        ((70_000, 8), 131_072),
    ];
    let mut blocks = Vec::new();
    let mut expected = 0;
    for (i, &((size, align), block)) in cases.iter().enumerate() {
        let b = alloc_block(&mut heap, layout(size, align), u8::try_from(i).unwrap()).unwrap();
        expected += block;
        assert_eq!(
            heap.used_bytes(),
            expected,
            "after allocating {size} bytes, align {align}"
        );
        assert_eq!(heap.total_bytes(), MIB);
        blocks.push((b, block));
    }
    // Free in another order; each free returns exactly its block.
    for i in [3, 7, 0, 9, 1, 5, 8, 2, 6, 4] {
        let (b, block) = blocks[i];
        free_block(&mut heap, b);
        expected -= block;
        assert_eq!(heap.used_bytes(), expected);
    }
    assert_eq!(heap.used_bytes(), 0);
    assert_eq!(heap.total_bytes(), MIB);
}

/// Guard: `used_bytes` is worked out from upstream's counters, which count slab memory twice
/// (as slab blocks and as the buddy blocks the slabs take). It must equal the sum of the live
/// blocks' sizes exactly, over several regions, while slabs of every class grow, and after the
/// heap is rebuilt.
#[test]
fn used_bytes_from_upstream_counters_is_exact() {
    let (steps, region) = if cfg!(miri) {
        (150, 128 * KIB)
    } else {
        (3000, 4 * MIB)
    };
    // Miri: aligned to `region`, so that the 40 KiB part splits into buddy blocks of at most
    // 16 KiB (see the fill below).
    let mem = Mem::new(3 * region, if cfg!(miri) { region } else { 4096 });
    let base = mem.addr();
    let mut heap = SlabByteAllocator::new();
    // SAFETY: inside `mem`, which outlives `heap`; disjoint thirds, the middle one a hole
    // except for 40 KiB (more than a multiple of 32 KiB, so `add_memory` sees an odd size).
    unsafe {
        heap.init(base, region).unwrap();
        heap.add_memory(base + 2 * region, region).unwrap();
        heap.add_memory(base + region + 4096, 40 * KIB).unwrap();
    }
    let total = 2 * region + 40 * KIB;
    assert_eq!(heap.total_bytes(), total);
    let expected = |live: &[Block]| -> usize { live.iter().map(|b| block_size(b.layout)).sum() };
    let mut rng = XorShift(0x5EED_0F5A_B5A1_1077);
    let mut live: Vec<Block> = Vec::new();
    for round in 0..2u8 {
        for step in 0..steps {
            if rng.below(5) < 2 && !live.is_empty() {
                let b = live.swap_remove(rng.below(live.len()));
                free_block(&mut heap, b);
            } else {
                let size = match rng.below(4) {
                    0 => rng.below(65),
                    1 => rng.below(4097),
                    2 => rng.below(40_000),
                    _ => rng.below(300),
                };
                let align = 1 << rng.below(15);
                let seed = u8::try_from(step % 251).unwrap() ^ round;
                match alloc_block(&mut heap, layout(size, align), seed) {
                    Ok(b) => live.push(b),
                    Err(e) => assert_eq!(e, AllocError::NoMemory),
                }
            }
            assert_eq!(heap.used_bytes(), expected(&live), "step {step}");
            assert_eq!(heap.total_bytes(), total);
        }
        free_all(&mut heap, std::mem::take(&mut live));
        assert_eq!(heap.used_bytes(), 0);
        // Every page to the 64-byte class, then freed: slabs keep their memory, so the large
        // request fails on this heap and is served by a rebuilt one. Miri: the 512-byte class
        // (592 blocks at most instead of 4736); its 32 KiB slabs leave no free buddy block
        // of 32 KiB or more, so the request of `region / 2` still fails before the rebuild.
        let class = if cfg!(miri) { 512 } else { 64 };
        let (blocks, _) = fill(&mut heap, &[class]);
        free_all(&mut heap, blocks);
        assert_eq!(heap.used_bytes(), 0);
        let big = alloc_block(&mut heap, layout(region / 2, 8), 9).unwrap();
        assert_eq!(heap.used_bytes(), region / 2);
        free_block(&mut heap, big);
        assert_eq!(heap.used_bytes(), 0);
        assert_eq!(heap.total_bytes(), total);
    }
}

/// `used_bytes` stays within its bounds under random interleavings and returns exactly to
/// earlier values once the blocks allocated since are freed.
#[test]
fn used_bytes_bounds_under_random_interleaving() {
    let (rounds, steps, region) = if cfg!(miri) {
        (3, 40, 2 * MIB)
    } else {
        (40, 200, 16 * MIB)
    };
    let mem = Mem::new(region, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), region) }.unwrap();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut live: Vec<Block> = Vec::new();
    let mut seed = 0u8;
    for _ in 0..rounds {
        let before = heap.used_bytes();
        let mark = live.len();
        for _ in 0..steps {
            if rng.below(3) == 0 && live.len() > mark {
                let i = mark + rng.below(live.len() - mark);
                let b = live.swap_remove(i);
                free_block(&mut heap, b);
            } else {
                let size = match rng.below(4) {
                    0 => rng.below(65),
                    1 => rng.below(4097),
                    2 => rng.below(70_000),
                    _ => rng.below(300),
                };
                let align = 1 << rng.below(14);
                seed = seed.wrapping_add(1);
                match alloc_block(&mut heap, layout(size, align), seed) {
                    Ok(b) => live.push(b),
                    Err(e) => assert_eq!(e, AllocError::NoMemory),
                }
            }
            let sum: usize = live.iter().map(|b| b.layout.size()).sum();
            assert!(heap.used_bytes() >= sum);
            assert!(heap.used_bytes() <= heap.total_bytes());
        }
        check_blocks(&live, &[(mem.addr(), mem.addr() + region)]);
        // Free this round's survivors in random order: back to the value before the round.
        let mut round: Vec<Block> = live.drain(mark..).collect();
        while !round.is_empty() {
            let b = round.swap_remove(rng.below(round.len()));
            free_block(&mut heap, b);
        }
        assert_eq!(heap.used_bytes(), before);
        // Keep a few blocks across rounds.
        for _ in 0..3 {
            seed = seed.wrapping_add(1);
            live.push(alloc_block(&mut heap, layout(rng.below(9000), 8), seed).unwrap());
        }
    }
    free_all(&mut heap, live);
    assert_eq!(heap.used_bytes(), 0);
}

/// Guard: the `realloc` override keeps a slab block in place while its size class stays;
/// otherwise the block moves with its contents.
#[test]
fn realloc_in_place_within_size_class_and_moves_otherwise() {
    let mem = Mem::new(MIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), MIB) }.unwrap();
    let b = alloc_block(&mut heap, layout(100, 8), 7).unwrap();
    let steps: [(usize, bool, usize); 7] = [
        // (new size, stays in place, used bytes after)
        (120, true, 128),
        (128, true, 128),
        (65, true, 128),
        (129, false, 256),
        (10, false, 64),
        (5000, false, 8192),
        (300, false, 512),
    ];
    let mut cur = b;
    for (new_size, stays, used) in steps {
        // SAFETY: `cur` is live, allocated (or resized) with `cur.layout`.
        let p = unsafe { heap.realloc(cur.ptr, cur.layout, new_size) }.unwrap();
        assert_eq!(
            p == cur.ptr,
            stays,
            "resize {} -> {new_size}",
            cur.layout.size()
        );
        assert_eq!(p.as_ptr() as usize % 8, 0);
        let moved = Block { ptr: p, ..cur };
        check_pattern_upto(&moved, new_size);
        assert_eq!(heap.used_bytes(), used);
        cur = Block {
            ptr: p,
            layout: layout(new_size, 8),
            seed: cur.seed.wrapping_add(1),
        };
        write_pattern(&cur);
    }
    free_block(&mut heap, cur);
    assert_eq!(heap.used_bytes(), 0);
    // A block with a large alignment keeps it when moved.
    let big = alloc_block(&mut heap, layout(64, 16_384), 9).unwrap();
    // SAFETY: `big` is live with this layout.
    let p = unsafe { heap.realloc(big.ptr, big.layout, 20_000) }.unwrap();
    assert_eq!(p.as_ptr() as usize % 16_384, 0);
    check_pattern(&Block { ptr: p, ..big });
    // SAFETY: resized above: old alignment, new size.
    unsafe { heap.dealloc(p, layout(20_000, 16_384)) };
    assert_eq!(heap.used_bytes(), 0);
}

/// A failed `realloc` leaves the old block intact and the statistics unchanged.
#[test]
fn failed_realloc_keeps_old_block() {
    let mem = Mem::new(64 * KIB, 4096);
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), 64 * KIB) }.unwrap();
    let small = alloc_block(&mut heap, layout(100, 8), 3).unwrap();
    let large = alloc_block(&mut heap, layout(20_000, 8), 4).unwrap();
    let used = heap.used_bytes();
    for b in [small, large] {
        for (new_size, err) in [
            (MIB, AllocError::NoMemory),
            (40_000, AllocError::NoMemory),
            (isize::MAX as usize, AllocError::InvalidParam),
        ] {
            // SAFETY: `b` is live with `b.layout`; on error it stays the caller's.
            let r = unsafe { heap.realloc(b.ptr, b.layout, new_size) };
            assert_eq!(r, Err(err), "resize {} -> {new_size}", b.layout.size());
            check_pattern(&b);
            assert_eq!(heap.used_bytes(), used);
        }
    }
    free_block(&mut heap, small);
    free_block(&mut heap, large);
    assert_eq!(heap.used_bytes(), 0);
}

/// Exhaustion: `NoMemory` when full, the same request succeeds after a free, and after
/// freeing everything the same fill gets exactly as many blocks again.
#[test]
fn exhaustion_then_refill_gets_the_same_blocks() {
    // Miri: 64 KiB aligned to its size, so that its 4, 8 and 32 KiB slabs and the 16 KiB
    // buddy block all fit (about 260 blocks per fill instead of about 2000).
    let region = if cfg!(miri) { 64 * KIB } else { 4 * MIB };
    let mem = Mem::new(region, if cfg!(miri) { region } else { 4096 });
    let mut heap = SlabByteAllocator::new();
    // SAFETY: `mem` is ours and outlives `heap`.
    unsafe { heap.init(mem.addr(), region) }.unwrap();
    // Size classes 64 to 4096 and one buddy block size (16 KiB).
    let sizes: &[usize] = if cfg!(miri) {
        &[0, 65, 500, 10_000]
    } else {
        &[0, 1, 63, 64, 65, 200, 1000, 2048, 4096, 10_000]
    };
    let range = [(mem.addr(), mem.addr() + region)];
    let (blocks, first_counts) = fill(&mut heap, sizes);
    assert!(first_counts.iter().all(|&c| c > 0), "{first_counts:?}");
    check_blocks(&blocks, &range);
    let live: usize = blocks.iter().map(|b| b.layout.size()).sum();
    assert!(heap.used_bytes() >= live && heap.used_bytes() <= heap.total_bytes());
    // Full: one free makes the same request succeed again, in the same place class.
    let mut blocks = blocks;
    for &size in sizes {
        assert_eq!(heap.alloc(layout(size, 8)), Err(AllocError::NoMemory));
        let i = blocks.iter().position(|b| b.layout.size() == size).unwrap();
        let b = blocks.swap_remove(i);
        free_block(&mut heap, b);
        blocks.push(alloc_block(&mut heap, layout(size, 8), 77).unwrap());
    }
    free_all(&mut heap, blocks);
    assert_eq!(heap.used_bytes(), 0);
    for _ in 0..2 {
        let (blocks, counts) = fill(&mut heap, sizes);
        assert_eq!(counts, first_counts);
        check_blocks(&blocks, &range);
        free_all(&mut heap, blocks);
        assert_eq!(heap.used_bytes(), 0);
    }
}
