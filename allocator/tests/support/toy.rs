//! Toy backends for the adapter tests: a first-fit byte allocator whose bookkeeping lives
//! outside the heap (so a bug in an adapter cannot hide in it), and a page allocator over a
//! `Vec<bool>`. Both check every argument and change nothing on error.

// Test data: every truncating cast below is of a value already reduced below the target type's range.
#![allow(dead_code, unreachable_pub, clippy::cast_possible_truncation)]

use core::{alloc::Layout, ptr::NonNull};

use allocator::{
    AllocError, AllocResult, BaseAllocator, ByteAllocator, PageAllocator, align_up,
    checked_align_up,
};

/// Granularity of [`FirstFit`] blocks.
pub const GRANULE: usize = 16;

/// A first-fit allocator keeping its free ranges in a sorted `Vec` (outside the heap).
#[derive(Debug, Default)]
pub struct FirstFit {
    /// Free `(start, end)` ranges, sorted, never adjacent.
    free: Vec<(usize, usize)>,
    /// Regions given, `(start, end)`.
    regions: Vec<(usize, usize)>,
    total: usize,
    used: usize,
}

impl FirstFit {
    pub const fn new() -> Self {
        Self {
            free: Vec::new(),
            regions: Vec::new(),
            total: 0,
            used: 0,
        }
    }

    fn block_size(layout: Layout) -> AllocResult<usize> {
        checked_align_up(layout.size().max(1), GRANULE).ok_or(AllocError::InvalidParam)
    }

    fn insert_free(&mut self, start: usize, end: usize) {
        let i = self.free.partition_point(|&(s, _)| s < start);
        self.free.insert(i, (start, end));
        // Merge with the next, then the previous.
        if i + 1 < self.free.len() && self.free[i].1 == self.free[i + 1].0 {
            self.free[i].1 = self.free[i + 1].1;
            self.free.remove(i + 1);
        }
        if i > 0 && self.free[i - 1].1 == self.free[i].0 {
            self.free[i - 1].1 = self.free[i].1;
            self.free.remove(i);
        }
    }
}

impl BaseAllocator for FirstFit {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if !self.regions.is_empty() {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller keeps the contract of `init`, the same as `add_memory`'s.
        unsafe { self.add_memory(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        let first = checked_align_up(start, GRANULE).ok_or(AllocError::InvalidParam)?;
        let last = end & !(GRANULE - 1);
        if size == 0 || first >= last {
            return Err(AllocError::InvalidParam);
        }
        if self.regions.iter().any(|&(s, e)| start < e && s < end) {
            return Err(AllocError::MemoryOverlap);
        }
        self.regions.push((start, end));
        self.total += last - first;
        self.insert_free(first, last);
        Ok(())
    }
}

// SAFETY: blocks are carved from free ranges inside the given regions, aligned by `align_up`,
// removed from the free list while live (so disjoint), and the counts follow every change.
unsafe impl ByteAllocator for FirstFit {
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        let size = Self::block_size(layout)?;
        let align = layout.align().max(GRANULE);
        for i in 0..self.free.len() {
            let (start, end) = self.free[i];
            let Some(pos) = checked_align_up(start, align) else {
                continue;
            };
            if pos >= end || end - pos < size {
                continue;
            }
            self.free.remove(i);
            if pos + size < end {
                self.insert_free(pos + size, end);
            }
            if start < pos {
                self.insert_free(start, pos);
            }
            self.used += size;
            return NonNull::new(pos as *mut u8).ok_or(AllocError::InvalidParam);
        }
        Err(AllocError::NoMemory)
    }

    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        let size = Self::block_size(layout).expect("freed a block that was never allocated");
        let start = pos.as_ptr() as usize;
        self.used -= size;
        self.insert_free(start, start + size);
    }

    fn total_bytes(&self) -> usize {
        self.total
    }

    fn used_bytes(&self) -> usize {
        self.used
    }
}

/// A page allocator over a `Vec<bool>`, one region only.
#[derive(Debug, Default)]
pub struct ToyPages<const PAGE_SIZE: usize> {
    base: usize,
    taken: Vec<bool>,
    used: usize,
}

impl<const PAGE_SIZE: usize> ToyPages<PAGE_SIZE> {
    pub const fn new() -> Self {
        Self {
            base: 0,
            taken: Vec::new(),
            used: 0,
        }
    }

    /// The page indices of `[pos, pos + num_pages)`, if inside the region.
    fn range(&self, pos: usize, num_pages: usize) -> AllocResult<core::ops::Range<usize>> {
        if num_pages == 0 || pos % PAGE_SIZE != 0 || pos < self.base {
            return Err(AllocError::InvalidParam);
        }
        let first = (pos - self.base) / PAGE_SIZE;
        let last = first
            .checked_add(num_pages)
            .ok_or(AllocError::InvalidParam)?;
        if last > self.taken.len() {
            return Err(AllocError::InvalidParam);
        }
        Ok(first..last)
    }

    fn check_align(align: usize) -> AllocResult {
        if align.is_power_of_two() && align % PAGE_SIZE == 0 && align <= 1 << 30 {
            Ok(())
        } else {
            Err(AllocError::InvalidParam)
        }
    }
}

impl<const PAGE_SIZE: usize> BaseAllocator for ToyPages<PAGE_SIZE> {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if !self.taken.is_empty() {
            return Err(AllocError::InvalidParam);
        }
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        let base = align_up(start, PAGE_SIZE);
        let pages = end.saturating_sub(base) / PAGE_SIZE;
        if pages == 0 {
            return Err(AllocError::InvalidParam);
        }
        self.base = base;
        self.taken = vec![false; pages];
        Ok(())
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        if self.taken.is_empty() {
            // SAFETY: the caller keeps the contract, the same as `init`'s.
            unsafe { self.init(start, size) }
        } else {
            Err(AllocError::NoMemory)
        }
    }
}

// SAFETY: runs are inside the one region, aligned as asked, and marked taken while allocated.
unsafe impl<const PAGE_SIZE: usize> PageAllocator for ToyPages<PAGE_SIZE> {
    const PAGE_SIZE: usize = PAGE_SIZE;

    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize> {
        Self::check_align(align_pow2)?;
        if num_pages == 0 {
            return Err(AllocError::InvalidParam);
        }
        let mut pos = align_up(self.base, align_pow2);
        while let Ok(range) = self.range(pos, num_pages) {
            if self.taken[range.clone()].iter().all(|t| !t) {
                self.taken[range].iter_mut().for_each(|t| *t = true);
                self.used += num_pages;
                return Ok(pos);
            }
            pos += align_pow2;
        }
        Err(AllocError::NoMemory)
    }

    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize> {
        Self::check_align(align_pow2)?;
        if base % align_pow2 != 0 {
            return Err(AllocError::InvalidParam);
        }
        let range = self.range(base, num_pages)?;
        if self.taken[range.clone()].iter().any(|t| *t) {
            return Err(AllocError::NoMemory);
        }
        self.taken[range].iter_mut().for_each(|t| *t = true);
        self.used += num_pages;
        Ok(base)
    }

    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        let range = self.range(pos, num_pages)?;
        if self.taken[range.clone()].iter().any(|t| !t) {
            return Err(AllocError::NotAllocated);
        }
        self.taken[range].iter_mut().for_each(|t| *t = false);
        self.used -= num_pages;
        Ok(())
    }

    fn total_pages(&self) -> usize {
        self.taken.len()
    }

    fn used_pages(&self) -> usize {
        self.used
    }
}

/// A leaked, zeroed pool of `size` bytes (untouched pages stay virtual), aligned to `size`
/// rounded up to a power of two (at least 4096, at most 1 GiB).
///
/// The alignment makes the tests independent of where the host puts the pool: the two-level
/// heap grows by power-of-two runs of pages aligned to their size, so how large a run fits in
/// a pool depends on the pool's alignment (with a pool aligned to 4096 only, growing to a
/// 4 MiB block in 16 MiB failed in about one run in eight).
pub fn leak_pool(size: usize) -> &'static mut [u8] {
    let align = size.next_power_of_two().clamp(4096, 1 << 30);
    let layout = Layout::from_size_align(size, align).unwrap();
    // SAFETY: `layout` has a non-zero size; the memory is zeroed (so initialised) and leaked,
    // so it lives for the rest of the program and is borrowed only here.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout);
        assert!(!ptr.is_null(), "pool allocation failed");
        core::slice::from_raw_parts_mut(ptr, size)
    }
}
