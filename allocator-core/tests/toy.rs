//! allocator-core tested through toy allocators: the provided methods, the `&mut T` forwards,
//! the error type and the alignment helpers.

use allocator_core::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, IdAllocator, PageAllocator, align_down,
    align_up, checked_align_up, is_aligned,
};
use core::{alloc::Layout, ptr::NonNull};

/// A bump heap over a `Vec`: frees only count. Enough to exercise the default `realloc`.
struct Bump {
    buf: Vec<u64>,
    next: usize,
    used: usize,
    frees: usize,
    /// When set, `alloc` fails with this error.
    fail: Option<AllocError>,
}

impl Bump {
    fn new(words: usize) -> Self {
        Self {
            buf: vec![0; words],
            next: 0,
            used: 0,
            frees: 0,
            fail: None,
        }
    }
    fn base(&self) -> usize {
        self.buf.as_ptr() as usize
    }
}

impl BaseAllocator for Bump {
    unsafe fn init(&mut self, _start: usize, _size: usize) -> AllocResult {
        Err(AllocError::InvalidParam)
    }
    unsafe fn add_memory(&mut self, _start: usize, _size: usize) -> AllocResult {
        Err(AllocError::NoMemory)
    }
}

// SAFETY: test-only. Blocks are carved without overlap from `buf`, which lives as long as the
// heap and is never touched by it after allocation; alignment is honoured by rounding up.
unsafe impl ByteAllocator for Bump {
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        if let Some(err) = self.fail {
            return Err(err);
        }
        let start = checked_align_up(self.base() + self.next, layout.align())
            .ok_or(AllocError::NoMemory)?;
        let end = start + layout.size().max(1);
        if end > self.base() + self.buf.len() * 8 {
            return Err(AllocError::NoMemory);
        }
        self.next = end - self.base();
        self.used += layout.size();
        // SAFETY: `start` lies inside `buf`, which is not null.
        Ok(unsafe { NonNull::new_unchecked(start as *mut u8) })
    }
    unsafe fn dealloc(&mut self, _pos: NonNull<u8>, layout: Layout) {
        self.used -= layout.size();
        self.frees += 1;
    }
    fn total_bytes(&self) -> usize {
        self.buf.len() * 8
    }
    fn used_bytes(&self) -> usize {
        self.used
    }
}

/// Overrides every provided method with a recognisable answer, to prove `&mut T` forwards
/// them instead of falling back to the defaults.
struct Overrides;

impl BaseAllocator for Overrides {
    unsafe fn init(&mut self, start: usize, _size: usize) -> AllocResult {
        if start == 1 {
            Ok(())
        } else {
            Err(AllocError::MemoryOverlap)
        }
    }
    unsafe fn add_memory(&mut self, start: usize, _size: usize) -> AllocResult {
        if start == 2 {
            Ok(())
        } else {
            Err(AllocError::NotAllocated)
        }
    }
}

// SAFETY: test-only; `alloc` never succeeds, so no block is ever handed out.
unsafe impl ByteAllocator for Overrides {
    fn alloc(&mut self, _layout: Layout) -> AllocResult<NonNull<u8>> {
        Err(AllocError::NoMemory)
    }
    unsafe fn dealloc(&mut self, _pos: NonNull<u8>, _layout: Layout) {}
    unsafe fn realloc(&mut self, _: NonNull<u8>, _: Layout, _: usize) -> AllocResult<NonNull<u8>> {
        Err(AllocError::MemoryOverlap)
    }
    fn total_bytes(&self) -> usize {
        100
    }
    fn used_bytes(&self) -> usize {
        10
    }
    fn available_bytes(&self) -> usize {
        7
    }
}

// SAFETY: test-only; no page is ever handed out.
unsafe impl PageAllocator for Overrides {
    const PAGE_SIZE: usize = 8192;
    fn alloc_pages(&mut self, num_pages: usize, _align_pow2: usize) -> AllocResult<usize> {
        if num_pages == 3 {
            Ok(0x3000)
        } else {
            Err(AllocError::NoMemory)
        }
    }
    fn alloc_pages_at(&mut self, base: usize, _n: usize, _a: usize) -> AllocResult<usize> {
        Ok(base + 1)
    }
    fn dealloc_pages(&mut self, _pos: usize, _num_pages: usize) -> AllocResult {
        Err(AllocError::NotAllocated)
    }
    fn total_pages(&self) -> usize {
        50
    }
    fn used_pages(&self) -> usize {
        5
    }
    fn available_pages(&self) -> usize {
        11
    }
}

impl IdAllocator for Overrides {
    fn alloc_id(&mut self, count: usize, align_pow2: usize) -> AllocResult<usize> {
        Ok(count * 100 + align_pow2)
    }
    fn dealloc_id(&mut self, _start_id: usize, _count: usize) -> AllocResult {
        Err(AllocError::InvalidParam)
    }
    fn is_allocated(&self, id: usize) -> bool {
        id == 42
    }
    fn alloc_fixed_id(&mut self, _id: usize) -> AllocResult {
        Err(AllocError::NoMemory)
    }
    fn size(&self) -> usize {
        64
    }
    fn used(&self) -> usize {
        4
    }
    fn available(&self) -> usize {
        13
    }
}

/// The provided methods of a toy without overrides: counts only.
struct Counts;

impl BaseAllocator for Counts {
    unsafe fn init(&mut self, _: usize, _: usize) -> AllocResult {
        Ok(())
    }
    unsafe fn add_memory(&mut self, _: usize, _: usize) -> AllocResult {
        Ok(())
    }
}

// SAFETY: test-only; `alloc` never succeeds.
unsafe impl PageAllocator for Counts {
    const PAGE_SIZE: usize = 4096;
    fn alloc_pages(&mut self, _: usize, _: usize) -> AllocResult<usize> {
        Err(AllocError::NoMemory)
    }
    fn alloc_pages_at(&mut self, _: usize, _: usize, _: usize) -> AllocResult<usize> {
        Err(AllocError::NoMemory)
    }
    fn dealloc_pages(&mut self, _: usize, _: usize) -> AllocResult {
        Err(AllocError::NotAllocated)
    }
    fn total_pages(&self) -> usize {
        50
    }
    fn used_pages(&self) -> usize {
        5
    }
}

impl IdAllocator for Counts {
    fn alloc_id(&mut self, _: usize, _: usize) -> AllocResult<usize> {
        Err(AllocError::NoMemory)
    }
    fn dealloc_id(&mut self, _: usize, _: usize) -> AllocResult {
        Err(AllocError::NotAllocated)
    }
    fn is_allocated(&self, _: usize) -> bool {
        false
    }
    fn alloc_fixed_id(&mut self, _: usize) -> AllocResult {
        Err(AllocError::NoMemory)
    }
    fn size(&self) -> usize {
        64
    }
    fn used(&self) -> usize {
        4
    }
}

fn fill(block: NonNull<u8>, len: usize, seed: u8) {
    for i in 0..len {
        // SAFETY: the caller passes a live block of at least `len` bytes.
        unsafe {
            block
                .as_ptr()
                .add(i)
                .write(seed.wrapping_add(i.to_le_bytes()[0]))
        };
    }
}

fn check(block: NonNull<u8>, len: usize, seed: u8) {
    for i in 0..len {
        // SAFETY: the caller passes a live block of at least `len` bytes.
        let byte = unsafe { block.as_ptr().add(i).read() };
        assert_eq!(
            byte,
            seed.wrapping_add(i.to_le_bytes()[0]),
            "byte {i} of the block"
        );
    }
}

#[test]
fn default_realloc_grows_and_keeps_contents() {
    let mut heap = Bump::new(1024);
    let old = Layout::from_size_align(100, 16).unwrap();
    let block = heap.alloc(old).unwrap();
    fill(block, 100, 7);
    // SAFETY: `block` was allocated with `old` and is not used afterwards.
    let grown = unsafe { heap.realloc(block, old, 300) }.unwrap();
    assert_ne!(grown, block, "a bump heap cannot grow in place");
    assert!(
        is_aligned(grown.as_ptr() as usize, 16),
        "realloc keeps the alignment"
    );
    check(grown, 100, 7);
    assert_eq!(heap.frees, 1, "the old block is freed once");
    assert_eq!(heap.used_bytes(), 300);
}

#[test]
fn default_realloc_shrinks_and_keeps_the_prefix() {
    let mut heap = Bump::new(1024);
    let old = Layout::from_size_align(200, 8).unwrap();
    let block = heap.alloc(old).unwrap();
    fill(block, 200, 99);
    // SAFETY: `block` was allocated with `old` and is not used afterwards.
    let shrunk = unsafe { heap.realloc(block, old, 50) }.unwrap();
    check(shrunk, 50, 99);
    assert_eq!(heap.used_bytes(), 50);
    assert_eq!(heap.frees, 1);
}

#[test]
fn default_realloc_failure_leaves_the_old_block() {
    let mut heap = Bump::new(16);
    let old = Layout::from_size_align(64, 8).unwrap();
    let block = heap.alloc(old).unwrap();
    fill(block, 64, 3);
    // SAFETY: `block` was allocated with `old`; on error it stays ours.
    let err = unsafe { heap.realloc(block, old, 400) }.unwrap_err();
    assert_eq!(err, AllocError::NoMemory);
    check(block, 64, 3);
    assert_eq!(heap.frees, 0, "the old block is not freed on error");
    assert_eq!(heap.used_bytes(), 64);

    heap.fail = Some(AllocError::InvalidParam);
    // SAFETY: as above.
    let err = unsafe { heap.realloc(block, old, 8) }.unwrap_err();
    assert_eq!(
        err,
        AllocError::InvalidParam,
        "the backend's error comes back unchanged"
    );
    check(block, 64, 3);
}

#[test]
fn default_realloc_rejects_an_overflowing_size() {
    let mut heap = Bump::new(64);
    let old = Layout::from_size_align(8, 64).unwrap();
    let block = heap.alloc(old).unwrap();
    let used = heap.used_bytes();
    // SAFETY: `block` was allocated with `old`; on error it stays ours.
    let err = unsafe { heap.realloc(block, old, isize::MAX as usize) }.unwrap_err();
    assert_eq!(err, AllocError::InvalidParam);
    assert_eq!((heap.used_bytes(), heap.frees), (used, 0));
}

#[test]
fn provided_counts() {
    let heap = Bump::new(16);
    assert_eq!(heap.available_bytes(), 128);
    assert_eq!(Counts.available_pages(), 45);
    assert_eq!(Counts.available(), 60);
}

#[test]
fn mut_ref_forwards_every_method_and_keeps_overrides() {
    let mut toy = Overrides;
    let mut r = &mut toy;
    // SAFETY: the toy touches no memory.
    unsafe {
        assert_eq!(BaseAllocator::init(&mut r, 1, 1), Ok(()));
        assert_eq!(
            BaseAllocator::init(&mut r, 2, 1),
            Err(AllocError::MemoryOverlap)
        );
        assert_eq!(r.add_memory(2, 1), Ok(()));
        assert_eq!(r.add_memory(3, 1), Err(AllocError::NotAllocated));
    }
    let layout = Layout::new::<u8>();
    assert_eq!(
        ByteAllocator::alloc(&mut r, layout),
        Err(AllocError::NoMemory)
    );
    // SAFETY: the toy's realloc touches nothing.
    let realloc = unsafe { ByteAllocator::realloc(&mut r, NonNull::dangling(), layout, 2) };
    assert_eq!(
        realloc,
        Err(AllocError::MemoryOverlap),
        "the override, not the default"
    );
    assert_eq!(
        (r.total_bytes(), r.used_bytes(), r.available_bytes()),
        (100, 10, 7)
    );

    assert_eq!(<&mut Overrides as PageAllocator>::PAGE_SIZE, 8192);
    assert_eq!(r.alloc_pages(3, 8192), Ok(0x3000));
    assert_eq!(r.alloc_pages_at(0x5000, 1, 8192), Ok(0x5001));
    assert_eq!(r.dealloc_pages(0, 1), Err(AllocError::NotAllocated));
    assert_eq!(
        (r.total_pages(), r.used_pages(), r.available_pages()),
        (50, 5, 11)
    );

    assert_eq!(r.alloc_id(2, 4), Ok(204));
    assert_eq!(r.dealloc_id(0, 1), Err(AllocError::InvalidParam));
    assert!(r.is_allocated(42) && !r.is_allocated(41));
    assert_eq!(r.alloc_fixed_id(1), Err(AllocError::NoMemory));
    assert_eq!((r.size(), r.used(), r.available()), (64, 4, 13));
}

#[test]
fn generic_code_accepts_a_mut_ref() {
    fn grab<A: ByteAllocator>(mut heap: A) -> AllocResult<NonNull<u8>> {
        heap.alloc(Layout::from_size_align(10, 2).unwrap())
    }
    let mut heap = Bump::new(16);
    let block = grab(&mut heap).unwrap();
    assert!(is_aligned(block.as_ptr() as usize, 2));
    assert_eq!(
        heap.used_bytes(),
        10,
        "the allocation went to the heap behind the reference"
    );
}

#[test]
fn error_display_and_traits() {
    use std::collections::HashSet;
    let all = [
        AllocError::InvalidParam,
        AllocError::MemoryOverlap,
        AllocError::NoMemory,
        AllocError::NotAllocated,
    ];
    let texts: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "invalid allocator parameter",
            "memory region overlaps one already added",
            "out of memory",
            "not allocated"
        ]
    );
    for text in &texts {
        assert_eq!(text.to_lowercase(), *text, "messages are lowercase");
    }
    let set: HashSet<AllocError> = all.iter().copied().collect();
    assert_eq!(set.len(), 4);
    let boxed: Box<dyn core::error::Error> = Box::new(AllocError::NoMemory);
    assert_eq!(boxed.to_string(), "out of memory");
    let ok: AllocResult = Ok(());
    assert!(ok.is_ok());
}

#[test]
fn align_helpers() {
    assert_eq!(align_down(0x1234, 0x1000), 0x1000);
    assert_eq!(align_down(0x1000, 0x1000), 0x1000);
    assert_eq!(align_down(usize::MAX, 1), usize::MAX);
    assert_eq!(align_up(0x1234, 0x1000), 0x2000);
    assert_eq!(align_up(0x2000, 0x1000), 0x2000);
    assert_eq!(align_up(0, 8), 0);
    assert_eq!(checked_align_up(7, 8), Some(8));
    assert_eq!(checked_align_up(usize::MAX, 1), Some(usize::MAX));
    assert_eq!(checked_align_up(usize::MAX - 6, 8), None);
    assert_eq!(checked_align_up(usize::MAX - 7, 8), Some(usize::MAX - 7));
    assert!(is_aligned(0, 4096) && is_aligned(8192, 4096) && !is_aligned(8193, 2));
    assert!(is_aligned(12345, 1));
    // The helpers are `const fn`.
    const PAGE: usize = align_up(4097, 4096);
    assert_eq!(PAGE, 8192);
}

#[test]
#[should_panic(expected = "align_up overflows usize")]
fn align_up_panics_on_overflow() {
    let _ = align_up(usize::MAX, 2);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "align must be a power of two")]
fn align_helpers_check_the_alignment_in_debug() {
    let _ = align_down(100, 3);
}

#[test]
fn regions_refuse_bad_and_overlapping_ranges_and_change_nothing() {
    use allocator_core::Regions;
    let mut regions = Regions::<2>::new();
    assert!(regions.is_empty());
    assert_eq!(regions.insert(0x1000, 0), Err(AllocError::InvalidParam));
    assert_eq!(regions.insert(usize::MAX, 2), Err(AllocError::InvalidParam));
    assert_eq!(regions.insert(0x1000, 0x1000), Ok(()));
    for (start, size) in [
        (0x1000, 1),
        (0xfff, 2),
        (0x1fff, 1),
        (0, 0x10000),
        (0x1800, 0x10),
    ] {
        assert_eq!(
            regions.insert(start, size),
            Err(AllocError::MemoryOverlap),
            "{start:#x}"
        );
    }
    assert_eq!(regions.len(), 1, "failed inserts change nothing");
    // Touching ranges do not overlap.
    assert_eq!(regions.check(0x2000, 0x10), Ok(0x2010));
    assert_eq!(regions.check(0, 0x1000), Ok(0x1000));
    assert_eq!(regions.insert(0x3000, usize::MAX - 0x3000), Ok(()));
    assert_eq!(
        regions.insert(0x2000, 0x10),
        Err(AllocError::NoMemory),
        "full"
    );
    let held: Vec<_> = regions.iter().collect();
    assert_eq!(held, [0x1000..0x2000, 0x3000..usize::MAX]);
}
