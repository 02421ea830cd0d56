//! `Locked` over the toy first-fit backend: before init, a second init, `GlobalAlloc`,
//! `Allocator` for `&Locked`, panics, a lock of the user's own, and statistics without the lock.

#[path = "support/toy.rs"]
mod toy;
#[path = "support/workload.rs"]
mod workload;

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use allocator::lock::lock_api::{GuardSend, RawMutex};
use allocator::{AllocError, AllocResult, BaseAllocator, ByteAllocator, Locked};
use allocator_api2::vec::Vec as AVec;
use toy::{FirstFit, leak_pool};
use workload::Rng;

/// Counts every call that reaches the backend.
#[derive(Debug, Default)]
struct Counting {
    inner: FirstFit,
    calls: usize,
}

impl Counting {
    const fn new() -> Self {
        Self {
            inner: FirstFit::new(),
            calls: 0,
        }
    }
}

impl BaseAllocator for Counting {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        self.calls += 1;
        // SAFETY: forwarded contract.
        unsafe { self.inner.init(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        self.calls += 1;
        // SAFETY: forwarded contract.
        unsafe { self.inner.add_memory(start, size) }
    }
}

// SAFETY: forwards to `FirstFit`.
unsafe impl ByteAllocator for Counting {
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        self.calls += 1;
        self.inner.alloc(layout)
    }

    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        self.calls += 1;
        // SAFETY: forwarded contract.
        unsafe { self.inner.dealloc(pos, layout) }
    }

    fn total_bytes(&self) -> usize {
        self.inner.total_bytes()
    }

    fn used_bytes(&self) -> usize {
        self.inner.used_bytes()
    }
}

fn init<A: ByteAllocator>(heap: &Locked<A>, size: usize) -> (usize, usize) {
    let pool = leak_pool(size);
    let region = (pool.as_mut_ptr() as usize, pool.len());
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.init(region.0, region.1) }.unwrap();
    region
}

#[test]
fn a_static_heap_fails_cleanly_before_init() {
    static HEAP: Locked<Counting> = Locked::new(Counting::new());
    let layout = Layout::from_size_align(64, 8).unwrap();
    assert!(!HEAP.is_initialized());
    // SAFETY: `layout` has a non-zero size.
    unsafe {
        assert!(HEAP.alloc(layout).is_null());
        assert!(HEAP.alloc_zeroed(layout).is_null());
    }
    assert_eq!(HEAP.alloc_block(layout), Err(AllocError::NoMemory));
    assert!(allocator_api2::alloc::Allocator::allocate(&&HEAP, layout).is_err());
    assert_eq!(
        HEAP.with(|a| a.calls),
        0,
        "the backend was reached before init"
    );
    assert_eq!(HEAP.stats(), allocator::HeapStats::default());

    // A failed init leaves it uninitialised.
    // SAFETY: a zero-size region is refused before anything is handed over.
    assert_eq!(unsafe { HEAP.init(4096, 0) }, Err(AllocError::InvalidParam));
    assert!(!HEAP.is_initialized());

    let (start, size) = init(&HEAP, 1 << 16);
    assert!(HEAP.is_initialized());
    assert_eq!(HEAP.total_bytes(), size);
    // SAFETY: the GlobalAlloc contract: non-zero size, freed with the same layout.
    unsafe {
        let block = HEAP.alloc(layout);
        assert!(!block.is_null());
        assert!((start..start + size).contains(&(block as usize)));
        HEAP.dealloc(block, layout);
    }
    assert_eq!(HEAP.used_bytes(), 0);
}

#[test]
fn a_second_init_is_refused() {
    let heap: Locked<Counting> = Locked::new(Counting::new());
    let (start, size) = init(&heap, 1 << 16);
    let calls = heap.with(|a| a.calls);
    let other = leak_pool(1 << 16);
    // SAFETY: refused before anything is handed over.
    let second = unsafe { heap.init(other.as_mut_ptr() as usize, other.len()) };
    assert_eq!(second, Err(AllocError::InvalidParam));
    assert_eq!(
        heap.with(|a| a.calls),
        calls,
        "the second init reached the backend"
    );
    assert_eq!(heap.total_bytes(), size);
    // More memory goes through `add_memory`; an overlapping region is refused.
    assert_eq!(
        // SAFETY: refused (overlap), nothing handed over.
        unsafe { heap.add_memory(start, 4096) },
        Err(AllocError::MemoryOverlap)
    );
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { heap.add_memory(other.as_mut_ptr() as usize, other.len()) }.unwrap();
    assert_eq!(heap.total_bytes(), 2 * size);
}

#[test]
fn global_alloc_methods() {
    let heap: Locked<FirstFit> = Locked::new(FirstFit::new());
    let (start, size) = init(&heap, 1 << 20);
    // Dirty the pool so that `alloc_zeroed` has something to clear.
    // SAFETY: the pool is ours and nothing is allocated yet.
    unsafe { core::ptr::write_bytes(start as *mut u8, 0xAA, size) };
    let layout = Layout::from_size_align(300, 64).unwrap();
    // SAFETY: the GlobalAlloc contract (non-zero sizes, matching layouts, each block freed
    // once) is kept throughout.
    unsafe {
        let zeroed = heap.alloc_zeroed(layout);
        assert_eq!(zeroed as usize % 64, 0);
        assert!((0..300).all(|i| *zeroed.add(i) == 0));
        workload::fill(zeroed, 300, 7);
        let grown = heap.realloc(zeroed, layout, 5000);
        assert!(!grown.is_null());
        assert_eq!(grown as usize % 64, 0, "realloc must keep the alignment");
        workload::check(grown, 300, 7);
        let grown_layout = Layout::from_size_align(5000, 64).unwrap();
        assert!(
            heap.realloc(grown, grown_layout, 1 << 30).is_null(),
            "too large"
        );
        workload::check(grown, 300, 7);
        let shrunk = heap.realloc(grown, grown_layout, 100);
        workload::check(shrunk, 100, 7);
        heap.dealloc(shrunk, Layout::from_size_align(100, 64).unwrap());
        assert!(
            heap.alloc(Layout::from_size_align(2 << 20, 8).unwrap())
                .is_null()
        );
    }
    assert_eq!(heap.used_bytes(), 0);
}

#[test]
fn allocator_api2_for_a_reference() {
    let heap: Locked<FirstFit> = Locked::new(FirstFit::new());
    init(&heap, if cfg!(miri) { 4 << 20 } else { 32 << 20 });
    let mut rng = Rng::new(0x5EED_0002);
    workload::random_blocks(&&heap, &mut rng);
    assert_eq!(heap.used_bytes(), 0);
    let mut v = AVec::new_in(&heap);
    let n: u64 = if cfg!(miri) { 500 } else { 50_000 };
    v.extend(0..n);
    assert!(heap.used_bytes() >= v.len() * 8);
    drop(v);
    assert_eq!(heap.used_bytes(), 0);
}

#[test]
fn a_panic_neither_poisons_nor_deadlocks() {
    let heap: Locked<FirstFit> = Locked::new(FirstFit::new());
    init(&heap, 1 << 20);

    // A panic in user code that allocated: the block is freed while unwinding.
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut v = AVec::new_in(&heap);
        v.extend(0..1000u32);
        assert!(heap.used_bytes() > 0);
        panic!("user code fails with a live Vec");
    }));
    assert!(result.is_err());
    assert_eq!(heap.used_bytes(), 0, "the Vec was freed while unwinding");

    // A panic while the lock is held by `with`: the guard unlocks on unwinding.
    let result = catch_unwind(AssertUnwindSafe(|| {
        heap.with(|_| panic!("inside the lock"))
    }));
    assert!(result.is_err());

    let mut v = AVec::new_in(&heap);
    v.extend(0..1000u32);
    assert_eq!(v.iter().sum::<u32>(), 999 * 1000 / 2);
}

#[test]
fn statistics_are_read_without_the_lock() {
    let heap: Locked<FirstFit> = Locked::new(FirstFit::new());
    let (_, size) = init(&heap, 1 << 16);
    let block = heap
        .alloc_block(Layout::from_size_align(100, 4).unwrap())
        .unwrap();
    let mut guard = heap.lock();
    // The lock is held by this very thread: a lock-taking read would deadlock here.
    assert_eq!(heap.used_bytes(), 112);
    assert_eq!(heap.total_bytes(), size);
    assert_eq!(heap.available_bytes(), size - 112);
    // Changes made through the guard show once it drops.
    // SAFETY: `block` is live with this layout and freed once.
    unsafe { guard.dealloc(block, Layout::from_size_align(100, 4).unwrap()) };
    drop(guard);
    assert_eq!(heap.used_bytes(), 0);
    assert!(format!("{heap:?}").contains("used_bytes: 0"));
}

/// A lock of the user's own: yields to the scheduler while waiting.
struct YieldLock(AtomicBool);

// SAFETY: Acquire compare-exchange to take, Release store to give back: one holder at a time.
unsafe impl RawMutex for YieldLock {
    const INIT: Self = Self(AtomicBool::new(false));
    type GuardMarker = GuardSend;

    fn lock(&self) {
        while !self.try_lock() {
            std::thread::yield_now();
        }
    }

    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }
}

#[test]
fn a_lock_of_ones_own_under_threads() {
    static HEAP: Locked<FirstFit, YieldLock> = Locked::new(FirstFit::new());
    let pool = leak_pool(16 << 20);
    // SAFETY: the leaked pool is ours for the rest of the program.
    unsafe { HEAP.init(pool.as_mut_ptr() as usize, pool.len()) }.unwrap();
    static DONE: AtomicUsize = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut rng = Rng::new(t);
                let mut live = Vec::new();
                for i in 0..if cfg!(miri) { 200 } else { 5_000u64 } {
                    if rng.below(3) > 0 || live.is_empty() {
                        let layout = Layout::from_size_align(1 + rng.below(256), 8).unwrap();
                        let block = HEAP.alloc_block(layout).unwrap();
                        // SAFETY: the block has `layout.size()` bytes.
                        unsafe { workload::fill(block.as_ptr(), layout.size(), t << 32 | i) };
                        live.push((block, layout, t << 32 | i));
                    } else {
                        let (block, layout, tag) = live.swap_remove(rng.below(live.len()));
                        // SAFETY: live, freed once.
                        unsafe {
                            workload::check(block.as_ptr(), layout.size(), tag);
                            HEAP.dealloc_block(block, layout);
                        }
                    }
                }
                for (block, layout, tag) in live {
                    // SAFETY: live, freed once.
                    unsafe {
                        workload::check(block.as_ptr(), layout.size(), tag);
                        HEAP.dealloc_block(block, layout);
                    }
                }
                DONE.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(DONE.load(Ordering::Relaxed), 4);
    assert_eq!(HEAP.used_bytes(), 0);
    assert_eq!(HEAP.with(|a| a.used_bytes()), 0);
}
