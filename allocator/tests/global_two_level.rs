//! `Locked<TwoLevelHeap<TlsfByteAllocator, BitmapPageAllocator<4096>>>` as this process's
//! `#[global_allocator]` over a static 256 MiB region: the std workload of
//! `support/global.rs` (the byte heap growing from 64 KiB as it needs), while page users take
//! and give back pages from the same heap, under the same lock.

#[path = "support/global.rs"]
mod global;

use allocator::{AllocError, BitmapPageAllocator, PageAllocator, TlsfByteAllocator, TwoLevelHeap};

type KernelHeap = TwoLevelHeap<TlsfByteAllocator, BitmapPageAllocator<4096>>;

global::global_heap!(
    KernelHeap = TwoLevelHeap::new(TlsfByteAllocator::new(), BitmapPageAllocator::new())
);

fn main() {
    init_heap();
    let pages_total = HEAP.with(|h| h.total_pages());
    assert_eq!(pages_total, global::REGION_SIZE / 4096);
    let start_heap = HEAP.with(|h| h.heap_bytes());

    // Page users work beside the byte heap: 4 threads take runs, fill and check them.
    let users: Vec<_> = (0..4u8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for i in 0..200usize {
                    let pages = 1 + (i + usize::from(t)) % 8;
                    let pos = HEAP.with(|h| h.alloc_pages(pages, 4096)).expect("pages");
                    assert!(REGION.contains(pos));
                    // SAFETY: the run is ours until freed; the region is valid memory.
                    unsafe { core::ptr::write_bytes(pos as *mut u8, t, pages * 4096) };
                    held.push((pos, pages));
                    if held.len() > 16 {
                        let (pos, pages) = held.swap_remove(i % held.len());
                        // SAFETY: as above; still ours.
                        let bytes =
                            unsafe { core::slice::from_raw_parts(pos as *const u8, pages * 4096) };
                        assert!(bytes.iter().all(|&b| b == t), "page run corrupted");
                        HEAP.with(|h| h.dealloc_pages(pos, pages)).unwrap();
                    }
                }
                held
            })
        })
        .collect();
    // 64 MiB, as in the other binaries: the heap grows its runs next to each other, which
    // leaves room for the 72 MiB run a 64 MiB block needs (see "How it grows" in
    // `TwoLevelHeap`'s docs).
    global::run("two-level(tlsf, bitmap)", &HEAP, &REGION, None, 64 << 20);
    let mut held = Vec::new();
    for user in users {
        held.extend(user.join().unwrap());
    }

    // The heap's own pages cannot be freed by a page user.
    let (run, len) = HEAP.with(|h| h.heap_runs().next()).unwrap();
    assert_eq!(
        HEAP.with(|h| h.dealloc_pages(run, len / 4096)),
        Err(AllocError::NotAllocated)
    );
    for (pos, pages) in held {
        HEAP.with(|h| h.dealloc_pages(pos, pages)).unwrap();
    }
    let (heap_bytes, used_pages, runs) =
        HEAP.with(|h| (h.heap_bytes(), h.used_pages(), h.heap_runs().count()));
    assert!(heap_bytes > start_heap, "the byte heap grew");
    assert_eq!(
        used_pages * 4096,
        heap_bytes,
        "only the heap's runs are left allocated"
    );
    // No page user holds pages now: the total is the whole region again.
    assert_eq!(HEAP.total_bytes(), global::REGION_SIZE);
    println!(
        "two-level(tlsf, bitmap): byte heap grew from {} KiB to {} KiB in {runs} runs",
        start_heap >> 10,
        heap_bytes >> 10
    );
}
