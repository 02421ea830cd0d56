//! Concurrency stress of `Locked`: 4 threads × 250,000 random operations (alloc, dealloc,
//! realloc; sizes biased small) on one heap, each thread checking its own blocks with the
//! testkit's shadow model (placement, alignment, contents before every free and across every
//! realloc). Blocks of other threads overlapping ours would corrupt our patterns. At the end
//! every block is freed and `used_bytes` must be exactly its start value.

#[path = "support/toy.rs"]
mod toy;

use core::alloc::Layout;
use std::time::Instant;

use allocator::{AllocError, ByteAllocator, Locked};
use allocator_testkit::{ByteModel, ByteOp, ByteShape, TestRng};
use toy::leak_pool;

const THREADS: u64 = 4;
const OPS_PER_THREAD: u64 = if cfg!(miri) { 500 } else { 250_000 };
const REGION: usize = if cfg!(miri) { 4 << 20 } else { 64 << 20 };

/// Sizes mostly below 128 bytes, at most 4 KiB; alignments up to 256; at most 512 live blocks
/// per thread.
const SHAPE: ByteShape = ByteShape {
    max_size: 4096,
    max_align: 256,
    max_live: 512,
};

fn stress<A: ByteAllocator + Send>(name: &str, heap: &Locked<A>) {
    let pool = leak_pool(REGION);
    let region = (pool.as_mut_ptr() as usize, pool.len());
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.init(region.0, region.1) }.unwrap();
    let start_used = heap.used_bytes();
    let total = heap.total_bytes();
    let started = Instant::now();
    let counts: Vec<(u64, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| s.spawn(move || worker(heap, region, 0x57E5_5000 + t)))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let ops: u64 = counts.iter().map(|c| c.0).sum();
    let no_memory: u64 = counts.iter().map(|c| c.1).sum();
    assert_eq!(ops, THREADS * OPS_PER_THREAD);
    assert_eq!(
        heap.used_bytes(),
        start_used,
        "{name}: used_bytes not restored"
    );
    assert_eq!(heap.with(|a| a.used_bytes()), start_used);
    assert_eq!(heap.total_bytes(), total, "{name}: total_bytes changed");
    println!(
        "{name}: {ops} operations on {THREADS} threads in {:.2?} ({no_memory} NoMemory)",
        started.elapsed()
    );
}

/// One thread's run; returns (operations, NoMemory answers).
fn worker<A: ByteAllocator>(heap: &Locked<A>, region: (usize, usize), seed: u64) -> (u64, u64) {
    let mut model = ByteModel::new();
    model.add_region(region.0, region.1);
    let mut rng = TestRng::new(seed);
    let mut no_memory = 0;
    for step in 0..OPS_PER_THREAD {
        let op = SHAPE.generate(&mut rng, &model);
        let fail = |what: &dyn std::fmt::Display| -> ! {
            panic!("seed {seed:#x}, step {step}, {op}: {what}")
        };
        match op {
            ByteOp::Alloc { size, align } => {
                let layout = Layout::from_size_align(size, align).unwrap();
                match heap.alloc_block(layout) {
                    // SAFETY: the region is ours (leaked) and the block came from the heap.
                    Ok(ptr) => unsafe { model.insert(ptr, layout) }.unwrap_or_else(|f| fail(&f)),
                    Err(AllocError::NoMemory) => no_memory += 1,
                    Err(e) => fail(&e),
                }
            }
            ByteOp::Dealloc { pick } => {
                if let Some((ptr, _)) = model.pick(pick) {
                    // SAFETY: as for `insert`; the block is live in this thread's model.
                    let layout = unsafe { model.remove(ptr) }.unwrap_or_else(|f| fail(&f));
                    // SAFETY: live with `layout`, forgotten by the model: freed once.
                    unsafe { heap.dealloc_block(ptr, layout) };
                }
            }
            ByteOp::Realloc { pick, new_size } => {
                if let Some((ptr, old)) = model.pick(pick) {
                    // SAFETY: as for `insert`.
                    unsafe { model.check(ptr) }.unwrap_or_else(|f| fail(&f));
                    // SAFETY: live with `old`; on success the model moves to the new block.
                    match unsafe { heap.realloc_block(ptr, old, new_size) } {
                        // SAFETY: as for `insert`; `new` came from `realloc` of `ptr`.
                        Ok(new) => unsafe { model.resized(ptr, new, new_size) }
                            .unwrap_or_else(|f| fail(&f)),
                        Err(AllocError::NoMemory) => no_memory += 1,
                        Err(e) => fail(&e),
                    }
                }
            }
        }
    }
    while let Some((ptr, _)) = model.pick(0) {
        // SAFETY: as in the loop.
        let layout = unsafe { model.remove(ptr) }.unwrap_or_else(|f| panic!("seed {seed:#x}: {f}"));
        // SAFETY: live, freed once.
        unsafe { heap.dealloc_block(ptr, layout) };
    }
    (OPS_PER_THREAD, no_memory)
}

#[cfg(feature = "tlsf")]
#[test]
fn tlsf_under_four_threads() {
    static HEAP: Locked<allocator::TlsfByteAllocator> =
        Locked::new(allocator::TlsfByteAllocator::new());
    stress("tlsf", &HEAP);
}

#[cfg(feature = "buddy")]
#[test]
fn buddy_under_four_threads() {
    static HEAP: Locked<allocator::BuddyByteAllocator> =
        Locked::new(allocator::BuddyByteAllocator::new());
    stress("buddy", &HEAP);
}

#[cfg(feature = "slab")]
#[test]
fn slab_under_four_threads() {
    static HEAP: Locked<allocator::SlabByteAllocator> =
        Locked::new(allocator::SlabByteAllocator::new());
    stress("slab", &HEAP);
}
