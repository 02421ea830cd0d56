//! `TwoLevelHeap` over the toy backends: seeding, growth by doubling, the fallback to smaller
//! runs, exhaustion and recovery, the run limit, and the protection of the heap's pages.

#[path = "support/toy.rs"]
mod toy;
#[path = "support/workload.rs"]
mod workload;

use core::alloc::Layout;

use allocator::two_level::DEFAULT_INITIAL_BYTES;
use allocator::{AllocError, BaseAllocator, ByteAllocator, Locked, PageAllocator, TwoLevelHeap};
use toy::{FirstFit, ToyPages, leak_pool};
use workload::Rng;

const PAGE: usize = 4096;
type Heap<const RUNS: usize = 32> = TwoLevelHeap<FirstFit, ToyPages<PAGE>, RUNS>;

fn heap<const RUNS: usize>(size: usize) -> (Heap<RUNS>, usize) {
    let mut heap = TwoLevelHeap::new(FirstFit::new(), ToyPages::new());
    let pool = leak_pool(size);
    let start = pool.as_mut_ptr() as usize;
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.init(start, size) }.unwrap();
    (heap, start)
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap()
}

#[test]
fn init_seeds_the_byte_heap() {
    let (heap, start) = heap::<32>(1 << 20);
    assert_eq!(heap.heap_bytes(), DEFAULT_INITIAL_BYTES);
    assert_eq!(
        heap.total_bytes(),
        1 << 20,
        "the heap's run plus the free pages"
    );
    assert_eq!(heap.byte_allocator().total_bytes(), DEFAULT_INITIAL_BYTES);
    assert_eq!(heap.used_bytes(), 0);
    assert_eq!(heap.total_pages(), (1 << 20) / PAGE);
    assert_eq!(heap.used_pages(), DEFAULT_INITIAL_BYTES / PAGE);
    // The first run is aligned to its size (for buddy heaps), inside the region.
    let runs: Vec<_> = heap.heap_runs().collect();
    assert_eq!(runs.len(), 1);
    let (run, len) = runs[0];
    assert_eq!(len, DEFAULT_INITIAL_BYTES);
    assert_eq!(run % DEFAULT_INITIAL_BYTES, 0);
    assert!(start <= run && run + len <= start + (1 << 20));

    let mut small: Heap = TwoLevelHeap::new(FirstFit::new(), ToyPages::new()).with_initial_bytes(1);
    let pool = leak_pool(1 << 20);
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { small.init(pool.as_mut_ptr() as usize, pool.len()) }.unwrap();
    assert_eq!(small.heap_bytes(), PAGE, "rounded up to a page");
    assert_eq!(
        // SAFETY: refused: the heap already has memory.
        unsafe { small.init(pool.as_mut_ptr() as usize, 4096) },
        Err(AllocError::InvalidParam)
    );
}

#[test]
fn the_heap_doubles_on_demand_and_page_users_share_the_memory() {
    let (mut heap, _) = heap::<32>(16 << 20);
    let mut live = Vec::new();
    // 1 MiB in 1 KiB blocks: several growths.
    for tag in 0..1024u64 {
        let block = heap.alloc(layout(1024)).unwrap();
        // SAFETY: 1024 bytes.
        unsafe { workload::fill(block.as_ptr(), 1024, tag) };
        live.push((block, tag));
    }
    let runs: Vec<_> = heap.heap_runs().collect();
    assert!(runs.len() >= 4, "grew {} times", runs.len() - 1);
    for pair in runs.windows(2) {
        assert!(
            pair[1].1 >= pair[0].1,
            "each run is at least the previous: {runs:x?}"
        );
        assert_eq!(
            pair[1].0,
            pair[0].0 + pair[0].1,
            "each run extends the previous while the pages after it are free: {runs:x?}"
        );
    }
    let heap_bytes: usize = runs.iter().map(|r| r.1).sum();
    assert_eq!(heap.heap_bytes(), heap_bytes);
    assert_eq!(heap.byte_allocator().total_bytes(), heap_bytes);
    assert_eq!(
        heap.total_bytes(),
        16 << 20,
        "growing does not change the total"
    );
    assert!(
        heap_bytes < 4 << 20,
        "grew far beyond the need: {heap_bytes}"
    );

    // A page user gets pages outside the heap's runs, counted with them.
    let pages = heap.alloc_pages(16, PAGE).unwrap();
    assert!(
        runs.iter()
            .all(|&(s, len)| pages + 16 * PAGE <= s || s + len <= pages)
    );
    assert_eq!(heap.used_pages(), heap_bytes / PAGE + 16);
    heap.dealloc_pages(pages, 16).unwrap();

    for (block, tag) in live {
        // SAFETY: live, freed once.
        unsafe {
            workload::check(block.as_ptr(), 1024, tag);
            heap.dealloc(block, layout(1024));
        }
    }
    assert_eq!(heap.used_bytes(), 0);
    assert_eq!(
        heap.used_pages(),
        heap_bytes / PAGE,
        "the heap keeps its runs"
    );
}

#[test]
fn page_users_cannot_touch_the_heaps_pages() {
    let (mut heap, start) = heap::<32>(1 << 20);
    let (run, len) = heap.heap_runs().next().unwrap();
    assert!(start <= run && run + len + PAGE <= start + (1 << 20));
    let used = heap.used_pages();
    // Freeing the heap's pages (whole, in part, or overlapping its end) is refused.
    assert_eq!(
        heap.dealloc_pages(run, len / PAGE),
        Err(AllocError::NotAllocated)
    );
    assert_eq!(
        heap.dealloc_pages(run + PAGE, 1),
        Err(AllocError::NotAllocated)
    );
    let user = heap.alloc_pages_at(run + len, 1, PAGE).unwrap();
    assert_eq!(
        heap.dealloc_pages(run + len - PAGE, 2),
        Err(AllocError::NotAllocated)
    );
    // So is taking them at a fixed address.
    assert_eq!(heap.alloc_pages_at(run, 1, PAGE), Err(AllocError::NoMemory));
    assert_eq!(
        heap.alloc_pages_at(run + len - PAGE, 2, PAGE),
        Err(AllocError::NoMemory)
    );
    // Bad arguments still get the page allocator's own answer.
    assert_eq!(
        heap.dealloc_pages(run + 1, 1),
        Err(AllocError::InvalidParam)
    );
    assert_eq!(heap.dealloc_pages(run, 0), Err(AllocError::InvalidParam));
    assert_eq!(
        heap.dealloc_pages(usize::MAX & !(PAGE - 1), 2),
        Err(AllocError::InvalidParam)
    );
    assert_eq!(heap.used_pages(), used + 1);
    heap.dealloc_pages(user, 1).unwrap();
    assert_eq!(heap.used_pages(), used);
    // The byte heap still works over its run.
    let block = heap.alloc(layout(4000)).unwrap();
    assert!((run..run + len).contains(&(block.as_ptr() as usize)));
    // SAFETY: live, freed once.
    unsafe { heap.dealloc(block, layout(4000)) };
}

#[test]
fn growth_falls_back_to_smaller_runs_then_exhausts_and_recovers() {
    // 64 KiB seed + 1 MiB of pages; take most pages as a page user so that doubling fails.
    let (mut heap, _) = heap::<32>((1 << 20) + DEFAULT_INITIAL_BYTES);
    let user = heap.alloc_pages(200, PAGE).unwrap();
    let free_pages = heap.available_pages();
    assert_eq!(free_pages, 256 - 200);

    // Fill the seed, then grow: the doubled run (64 KiB) is free, later ones only smaller.
    let mut live = Vec::new();
    loop {
        match heap.alloc(layout(4000)) {
            Ok(block) => live.push(block),
            Err(err) => {
                assert_eq!(err, AllocError::NoMemory);
                break;
            }
        }
    }
    assert!(heap.heap_runs().count() >= 3, "{:?}", heap);
    // The heap took every run of free pages that could serve the request (at least its size
    // plus an eighth and two pages: 4 pages here).
    assert!(
        heap.available_pages() <= 8,
        "{} pages left",
        heap.available_pages()
    );
    assert_eq!(heap.alloc_pages(4, PAGE), Err(AllocError::NoMemory));
    let used = heap.used_bytes();
    // Exhausted: more requests fail and change nothing.
    assert_eq!(heap.alloc(layout(4000)), Err(AllocError::NoMemory));
    assert_eq!(heap.used_bytes(), used);
    // A request larger than anything left fails without growing.
    let runs = heap.heap_runs().count();
    assert_eq!(heap.alloc(layout(1 << 20)), Err(AllocError::NoMemory));
    assert_eq!(heap.heap_runs().count(), runs);

    // Recovery: free everything, allocate again.
    for block in live.drain(..) {
        // SAFETY: live, freed once.
        unsafe { heap.dealloc(block, layout(4000)) };
    }
    assert_eq!(heap.used_bytes(), 0);
    heap.dealloc_pages(user, 200).unwrap();
    let big = heap.alloc(layout(512 << 10)).unwrap();
    // SAFETY: live, freed once.
    unsafe { heap.dealloc(big, layout(512 << 10)) };
}

#[test]
fn growth_stops_when_the_run_table_is_full() {
    let (mut heap, _) = heap::<2>(64 << 20);
    let mut live = Vec::new();
    while let Ok(block) = heap.alloc(layout(60 << 10)) {
        live.push(block);
    }
    assert_eq!(heap.heap_runs().count(), 2);
    assert!(
        live.len() >= 2,
        "the seed and one further run served {} blocks",
        live.len()
    );
    // Pages are left, but the heap cannot track another run.
    assert!(heap.available_pages() > 1000);
    assert_eq!(heap.alloc(layout(60 << 10)), Err(AllocError::NoMemory));
    assert_eq!(heap.heap_runs().count(), 2);
    for block in live {
        // SAFETY: live, freed once.
        unsafe { heap.dealloc(block, layout(60 << 10)) };
    }
    assert_eq!(heap.used_bytes(), 0);
}

#[test]
fn realloc_grows_the_heap_too() {
    let (mut heap, _) = heap::<32>(16 << 20);
    let mut block = heap.alloc(layout(16)).unwrap();
    // SAFETY: 16 bytes.
    unsafe { workload::fill(block.as_ptr(), 16, 3) };
    let mut size = 16;
    while size < (4 << 20) {
        let new = size * 2;
        // SAFETY: `block` is live with `layout(size)`.
        block = unsafe { heap.realloc(block, layout(size), new) }.unwrap();
        size = new;
    }
    // SAFETY: the first 16 bytes were kept; the block is live with `layout(size)`.
    unsafe {
        workload::check(block.as_ptr(), 16, 3);
        heap.dealloc(block, layout(size));
    }
    assert!(heap.heap_bytes() >= 4 << 20);
    assert_eq!(heap.total_bytes(), 16 << 20);
    assert_eq!(heap.used_bytes(), 0);
}

#[test]
fn behind_the_lock_with_a_random_workload() {
    let heap: Locked<Heap> = Locked::new(TwoLevelHeap::new(FirstFit::new(), ToyPages::new()));
    let pool = leak_pool(64 << 20);
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.init(pool.as_mut_ptr() as usize, pool.len()) }.unwrap();
    let mut rng = Rng::new(0x5EED_0003);
    workload::random_blocks(&&heap, &mut rng);
    assert_eq!(heap.used_bytes(), 0);
    // Page users go through `with`: one lock for both levels.
    let pages = heap.with(|h| h.alloc_pages(4, PAGE)).unwrap();
    heap.with(|h| h.dealloc_pages(pages, 4)).unwrap();
}

/// TLSF over bitmap pages in 256 MiB, as a kernel would set it up: a block grown by doubling
/// (each `realloc` holds the old block while it copies) reaches 64 MiB wherever the region
/// lies. When each run was placed at the first address aligned to its size, runs could split
/// the free pages so that the 64 MiB block found no room: it failed at 30 of these 256
/// placements.
#[test]
#[cfg_attr(
    miri,
    ignore = "bitmap-allocator checks each run bit by bit: hours under Miri; the tests over \
              toy page allocators run the same grow path under Miri"
)]
fn a_block_grows_to_a_quarter_of_memory_wherever_the_region_lies() {
    use allocator::{BitmapPageAllocator, TlsfByteAllocator};
    type Kernel = TwoLevelHeap<TlsfByteAllocator, BitmapPageAllocator<PAGE>>;
    const REGION: usize = 256 << 20;
    const PLACEMENTS: usize = 256;
    let host = leak_pool(2 * REGION);
    let host_start = host.as_mut_ptr() as usize;
    let mut failed = Vec::new();
    for m in 0..PLACEMENTS {
        // Every MiB of a region-sized span, plus 0 to 6 pages.
        let offset = m * (REGION / PLACEMENTS) + PAGE * (m % 7);
        let start = host_start + offset;
        let mut heap: Box<Kernel> = Box::default();
        // SAFETY: `[start, start + REGION)` lies in the leaked host pool, which no other
        // heap of this loop uses any more: each heap is dropped (its blocks with it) before
        // the next one starts.
        unsafe { heap.init(start, REGION) }.unwrap();
        let mut size = 16;
        let mut block = heap.alloc(layout(size)).unwrap();
        // SAFETY: `size` bytes.
        unsafe { workload::fill(block.as_ptr(), size, m as u64) };
        while size < REGION / 4 {
            // SAFETY: `block` is live with `layout(size)`.
            match unsafe { heap.realloc(block, layout(size), 2 * size) } {
                Ok(new) => {
                    block = new;
                    size *= 2;
                }
                Err(err) => {
                    failed.push((offset, size * 2, err));
                    break;
                }
            }
        }
        // SAFETY: the first 16 bytes were kept through every `realloc`; `block` is live
        // with `layout(size)`, freed once.
        unsafe {
            workload::check(block.as_ptr(), 16, m as u64);
            heap.dealloc(block, layout(size));
        }
        assert_eq!(heap.used_bytes(), 0);
        assert_eq!(heap.total_bytes(), REGION - offset % PAGE);
    }
    assert!(
        failed.is_empty(),
        "failed at {} placements: {failed:x?}",
        failed.len()
    );
}

#[test]
fn when_the_pages_after_the_heap_are_taken_it_grows_elsewhere() {
    let (mut heap, start) = heap::<32>(16 << 20);
    let (run, len) = heap.heap_runs().next().unwrap();
    // A page user holds the page right after the heap's run.
    assert_eq!(heap.alloc_pages_at(run + len, 1, PAGE), Ok(run + len));
    let block = heap.alloc(layout(100 << 10)).unwrap();
    let runs: Vec<_> = heap.heap_runs().collect();
    assert_eq!(runs.len(), 2, "{runs:x?}");
    let (next, next_len) = runs[1];
    assert_ne!(next, run + len);
    assert!(next_len >= 100 << 10);
    assert!(start <= next && next + next_len <= start + (16 << 20));
    assert!(next + next_len <= run + len || run + len + PAGE <= next);
    assert_eq!(
        next % (1 << next_len.ilog2()),
        0,
        "aligned to its size: {runs:x?}"
    );
    assert!((next..next + next_len).contains(&(block.as_ptr() as usize)));
    // SAFETY: live, freed once.
    unsafe { heap.dealloc(block, layout(100 << 10)) };
    heap.dealloc_pages(run + len, 1).unwrap();
    assert_eq!(heap.used_bytes(), 0);
}
