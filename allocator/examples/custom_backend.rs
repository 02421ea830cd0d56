//! A byte allocator of your own, plugged into the workspace: implement allocator-core's traits,
//! run allocator-testkit's conformance suite on it, then use it through `AllocatorRc` (for
//! collections in a pool) and `Locked` (shared between threads, or as `#[global_allocator]`).
//!
//! The allocator here is the classic first-fit free list: the free blocks form a list sorted by
//! address, each holding its size and the address of the next one in its first 16 bytes.
//! `alloc` takes the first free block with room for the request at the requested alignment
//! and puts back what is left before and after it; `dealloc` puts the block back in address
//! order and merges it with free neighbours. Every size is rounded up to 16 bytes and every
//! block is 16-aligned, so every leftover is either empty or big enough to hold its header.
//! O(free blocks) per call: a teaching allocator, not a fast one.
//!
//! Run: `cargo run -p allocator --example custom_backend --features rc,lock,allocator-api2`.

use core::{alloc::Layout, ptr::NonNull};

use allocator::{
    AllocError, AllocResult, AllocatorRc, BaseAllocator, ByteAllocator, Locked, checked_align_up,
};

/// Granularity: sizes and addresses are multiples of this, which holds a free block's header.
const GRAIN: usize = 16;
/// Regions the allocator can hold.
const MAX_REGIONS: usize = 8;

/// A first-fit free-list allocator (see the module docs).
#[derive(Debug)]
pub struct FirstFitList {
    /// Address of the first free block, 0 for none.
    head: usize,
    /// Regions as given, `(start, end)`, for the overlap check.
    regions: [(usize, usize); MAX_REGIONS],
    num_regions: usize,
    total: usize,
    used: usize,
}

// SAFETY: the allocator holds addresses, not references; whoever owns it may move it between
// threads (its memory was handed over by `init`/`add_memory`).
unsafe impl Send for FirstFitList {}

/// Reads the header `(size, next)` of the free block at `addr`.
///
/// # Safety
///
/// `addr` is a free block of this allocator.
unsafe fn header(addr: usize) -> (usize, usize) {
    // SAFETY: a free block is at least `GRAIN` bytes, `GRAIN`-aligned, and its first two
    // words are its header (caller).
    unsafe {
        (
            (addr as *const usize).read(),
            (addr as *const usize).add(1).read(),
        )
    }
}

/// Writes the header of a free block at `addr`.
///
/// # Safety
///
/// `[addr, addr + GRAIN)` lies in the allocator's memory and in no live block.
unsafe fn set_header(addr: usize, size: usize, next: usize) {
    // SAFETY: as for `header` (caller).
    unsafe {
        (addr as *mut usize).write(size);
        (addr as *mut usize).add(1).write(next);
    }
}

impl FirstFitList {
    /// An empty allocator; `const`, so it can sit in a `static`.
    pub const fn new() -> Self {
        Self {
            head: 0,
            regions: [(0, 0); MAX_REGIONS],
            num_regions: 0,
            total: 0,
            used: 0,
        }
    }

    /// Points the link before a block (the head if `prev` is 0) at `next`.
    ///
    /// # Safety
    ///
    /// `prev` is 0 or a free block.
    unsafe fn link(&mut self, prev: usize, next: usize) {
        if prev == 0 {
            self.head = next;
        } else {
            // SAFETY: `prev` is a free block (caller); its second word is the link.
            unsafe { (prev as *mut usize).add(1).write(next) };
        }
    }

    /// Puts `[addr, addr + size)` on the free list in address order, merging it with the free
    /// blocks right before and after it.
    ///
    /// # Safety
    ///
    /// The range is the allocator's memory, `GRAIN`-aligned, at least `GRAIN` long, and free.
    unsafe fn release(&mut self, addr: usize, size: usize) {
        // Find the free blocks around the range: `prev` < addr < `next`, and `before` the one
        // linking to `prev`.
        let (mut before, mut prev, mut next) = (0, 0, self.head);
        while next != 0 && next < addr {
            before = prev;
            prev = next;
            // SAFETY: `next` is a free block.
            next = unsafe { header(next) }.1;
        }
        let (mut start, mut len) = (addr, size);
        if next == addr + size {
            // SAFETY: `next` is a free block, merged into this one.
            let (next_len, after) = unsafe { header(next) };
            len += next_len;
            next = after;
        }
        if prev != 0 {
            // SAFETY: `prev` is a free block.
            let prev_len = unsafe { header(prev) }.0;
            if prev + prev_len == addr {
                start = prev;
                len += prev_len;
                prev = before;
            }
        }
        // SAFETY: `[start, start + len)` is free memory of ours (caller, and merged free
        // blocks); `prev` is 0 or a free block.
        unsafe {
            set_header(start, len, next);
            self.link(prev, start);
        }
    }
}

impl Default for FirstFitList {
    fn default() -> Self {
        Self::new()
    }
}

impl BaseAllocator for FirstFitList {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if self.num_regions > 0 {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller keeps the contract of `init`, which is that of `add_memory`.
        unsafe { self.add_memory(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        // Validate everything before changing anything.
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        let first = checked_align_up(start, GRAIN).ok_or(AllocError::InvalidParam)?;
        let last = end & !(GRAIN - 1);
        if size == 0 || first >= last {
            return Err(AllocError::InvalidParam);
        }
        let taken = &self.regions[..self.num_regions];
        if taken.iter().any(|&(s, e)| start < e && s < end) {
            return Err(AllocError::MemoryOverlap);
        }
        if self.num_regions == MAX_REGIONS {
            return Err(AllocError::NoMemory);
        }
        self.regions[self.num_regions] = (start, end);
        self.num_regions += 1;
        self.total += last - first;
        // SAFETY: the region is ours, valid for writes (caller's contract), trimmed to whole
        // grains, and overlaps no other region, so it is free.
        unsafe { self.release(first, last - first) };
        Ok(())
    }
}

/// The size of the block serving `layout`.
fn block_size(layout: Layout) -> AllocResult<usize> {
    checked_align_up(layout.size().max(1), GRAIN).ok_or(AllocError::InvalidParam)
}

// SAFETY: (1) blocks are cut from free blocks, which lie in the given regions; (2) a block
// starts at `align_up(free block, max(align, GRAIN))`; (3) a block leaves the free list when
// cut and returns on `dealloc`, so live blocks never overlap; (4) headers are written only
// into free memory; (5) `realloc` is the trait's default (alloc, copy, free); (6) `used` moves
// by the block size on every alloc and free, so it returns exactly to earlier values.
unsafe impl ByteAllocator for FirstFitList {
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        let size = block_size(layout)?;
        let align = layout.align().max(GRAIN);
        let (mut prev, mut cur) = (0, self.head);
        while cur != 0 {
            // SAFETY: `cur` is a free block.
            let (len, next) = unsafe { header(cur) };
            let fits = checked_align_up(cur, align)
                .and_then(|pos| Some((pos, pos.checked_add(size)?)))
                .filter(|&(_, end)| end <= cur + len);
            if let Some((pos, end)) = fits {
                // Put back what is left after and before the block (each empty or at least
                // one grain, since everything is a multiple of `GRAIN`).
                let mut rest = next;
                if end < cur + len {
                    // SAFETY: the tail is free memory of ours, at least a grain.
                    unsafe { set_header(end, cur + len - end, rest) };
                    rest = end;
                }
                if cur < pos {
                    // SAFETY: the front stays a free block, at least a grain.
                    unsafe { set_header(cur, pos - cur, rest) };
                    rest = cur;
                }
                // SAFETY: `prev` is 0 or a free block.
                unsafe { self.link(prev, rest) };
                self.used += size;
                return NonNull::new(pos as *mut u8).ok_or(AllocError::InvalidParam);
            }
            prev = cur;
            cur = next;
        }
        Err(AllocError::NoMemory)
    }

    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        let Ok(size) = block_size(layout) else { return };
        self.used -= size;
        // SAFETY: the block is ours again (caller's contract): `size` bytes at a grain-aligned
        // address inside our regions.
        unsafe { self.release(pos.as_ptr() as usize, size) };
    }

    fn total_bytes(&self) -> usize {
        self.total
    }

    fn used_bytes(&self) -> usize {
        self.used
    }
}

/// A leaked pool: `'static`, so `AllocatorRc::new` accepts it.
fn leak_pool(size: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; size].into_boxed_slice())
}

fn main() {
    // 1. The conformance suite: contract cases and a seeded random workload against a shadow
    //    model (20,000 operations here; the backends of this workspace run 1,000,000).
    let config = allocator_testkit::ByteConfig::default()
        .with_ops(20_000)
        .with_region_size(32 << 20);
    if let Err(failure) = allocator_testkit::check_byte_allocator(FirstFitList::new, &config) {
        panic!("conformance: {failure}");
    }
    println!("conformance suite passed");

    // 2. Collections in a pool of their own, through `AllocatorRc`.
    let rc = AllocatorRc::new(FirstFitList::new(), leak_pool(4 << 20)).expect("pool");
    let mut squares = allocator_api2::vec::Vec::new_in(rc.clone());
    squares.extend((0..10_000u64).map(|i| i * i));
    let mut names = hashbrown::HashMap::with_hasher_in(
        core::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default(),
        rc.clone(),
    );
    for i in 0..1_000 {
        names.insert(i, i.to_string());
    }
    assert_eq!(squares[99], 99 * 99);
    assert_eq!(names[&7], "7");
    println!("AllocatorRc: {:?}", rc.stats().expect("stats"));
    drop((squares, names));
    assert_eq!(rc.stats().expect("stats").used_bytes, 0);

    // 3. Shared between threads behind the lock, the way a `#[global_allocator]` would be.
    static HEAP: Locked<FirstFitList> = Locked::new(FirstFitList::new());
    let pool = leak_pool(8 << 20);
    // SAFETY: the leaked pool is ours alone for the rest of the program.
    unsafe { HEAP.init(pool.as_mut_ptr() as usize, pool.len()) }.expect("init");
    std::thread::scope(|s| {
        for t in 0..4u32 {
            s.spawn(move || {
                let mut v = allocator_api2::vec::Vec::new_in(&HEAP);
                for i in 0..10_000 {
                    v.push(i ^ t);
                }
                assert!(v.iter().zip(0..).all(|(&x, i)| x == i ^ t));
            });
        }
    });
    println!("Locked: {:?}", HEAP.stats());
    assert_eq!(HEAP.used_bytes(), 0);
}
