//! Toy allocators for the testkit's own tests: one correct, and the same with one deliberate
//! bug each, to show that every check can fail.
//!
//! Their bookkeeping lives in host collections, outside the regions; they are first-fit and
//! slow, and exist only for these tests.

use core::{alloc::Layout, ptr::NonNull};
use std::collections::BTreeMap;

use allocator_core::{AllocError, AllocResult, BaseAllocator, ByteAllocator, checked_align_up};

/// The bug a toy byte allocator carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteBug {
    None,
    /// Every 50th request returns the most recent block again, if it fits.
    Overlap,
    /// Every 30th request with an alignment of 2 or more is off by one byte.
    Misalign,
    /// `used_bytes` reports half the truth.
    UsedUnderreported,
    /// `dealloc` of a block above 1000 bytes forgets to subtract one byte.
    UsedLeaks,
    /// `realloc` copies one byte too few.
    LosesContents,
    /// `add_memory` accepts regions that overlap earlier ones.
    AcceptsOverlap,
    /// A second `init` is accepted.
    InitTwice,
    /// Every request of size 0 gets the same address.
    SharedZeroSize,
    /// Alignments above 4096 are treated as 4096.
    CapsAlign,
    /// A request answered with `NoMemory` still counts as used.
    FailureCounts,
    /// Freed blocks of 4096 bytes or more are never reused.
    LeaksLargeFrees,
}

#[derive(Debug)]
pub(crate) struct ToyBytes {
    bug: ByteBug,
    regions: Vec<(usize, usize)>,
    free: BTreeMap<usize, usize>,
    total: usize,
    used: usize,
    count: u64,
    last: Option<(usize, usize)>,
}

impl ToyBytes {
    pub(crate) fn new(bug: ByteBug) -> Self {
        Self {
            bug,
            regions: Vec::new(),
            free: BTreeMap::new(),
            total: 0,
            used: 0,
            count: 0,
            last: None,
        }
    }

    fn release(&mut self, start: usize, size: usize) {
        let mut start = start;
        let mut end = start + size;
        if let Some((&s, &e)) = self.free.range(..start).next_back() {
            if e == start {
                self.free.remove(&s);
                start = s;
            }
        }
        if let Some(e) = self.free.remove(&end) {
            end = e;
        }
        self.free.insert(start, end);
    }
}

fn ptr(addr: usize) -> NonNull<u8> {
    NonNull::new(core::ptr::with_exposed_provenance_mut(addr)).expect("blocks are never at 0")
}

impl BaseAllocator for ToyBytes {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        if !self.regions.is_empty() && self.bug != ByteBug::InitTwice {
            return Err(AllocError::InvalidParam);
        }
        // SAFETY: the caller's contract of `init` is that of `add_memory`.
        unsafe { self.add_memory(start, size) }
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        if size == 0 {
            return Err(AllocError::InvalidParam);
        }
        if self.bug != ByteBug::AcceptsOverlap
            && self.regions.iter().any(|&(s, e)| s < end && start < e)
        {
            return Err(AllocError::MemoryOverlap);
        }
        self.regions.push((start, end));
        self.total += size;
        self.release(start, size);
        Ok(())
    }
}

// SAFETY: test-only toy. Without a bug it keeps every promise of the trait: blocks come from
// the free list of the given regions, aligned, disjoint (a size-0 block takes one byte), and
// the statistics count the bytes taken. The buggy variants break one promise on purpose, so
// the testkit's tests can show each check catches it; they never leave this crate's tests.
unsafe impl ByteAllocator for ToyBytes {
    fn alloc(&mut self, layout: Layout) -> AllocResult<NonNull<u8>> {
        self.count += 1;
        let size = layout.size().max(1);
        let mut align = layout.align();
        if self.bug == ByteBug::CapsAlign {
            align = align.min(4096);
        }
        if self.bug == ByteBug::Overlap && self.count % 50 == 0 {
            if let Some((addr, len)) = self.last {
                if len >= size && addr % align == 0 {
                    self.used += size;
                    return Ok(ptr(addr));
                }
            }
        }
        if self.bug == ByteBug::SharedZeroSize && layout.size() == 0 {
            if let Some(&(start, _)) = self.regions.first() {
                return Ok(ptr(start));
            }
        }
        let skew = usize::from(self.bug == ByteBug::Misalign && align >= 2 && self.count % 30 == 0);
        let want = size + skew;
        let found = self.free.iter().find_map(|(&s, &e)| {
            let a = checked_align_up(s, align)?;
            (a.checked_add(want)? <= e).then_some((s, e, a))
        });
        let Some((s, e, a)) = found else {
            if self.bug == ByteBug::FailureCounts {
                self.used += 1;
            }
            return Err(AllocError::NoMemory);
        };
        self.free.remove(&s);
        if s < a {
            self.free.insert(s, a);
        }
        if a + want < e {
            self.free.insert(a + want, e);
        }
        self.used += want;
        self.last = Some((a + skew, size));
        Ok(ptr(a + skew))
    }

    unsafe fn dealloc(&mut self, pos: NonNull<u8>, layout: Layout) {
        let size = layout.size().max(1);
        self.used -= size;
        if self.bug == ByteBug::UsedLeaks && size > 1000 {
            self.used += 1;
        }
        if self.bug == ByteBug::LeaksLargeFrees && size >= 4096 {
            return;
        }
        self.release(pos.as_ptr() as usize, size);
    }

    unsafe fn realloc(
        &mut self,
        pos: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> AllocResult<NonNull<u8>> {
        let new =
            Layout::from_size_align(new_size, old.align()).map_err(|_| AllocError::InvalidParam)?;
        let new_pos = self.alloc(new)?;
        let mut keep = old.size().min(new_size);
        if self.bug == ByteBug::LosesContents {
            keep = keep.saturating_sub(1);
        }
        // SAFETY: both blocks are live, disjoint, and at least `keep` bytes long.
        unsafe { core::ptr::copy_nonoverlapping(pos.as_ptr(), new_pos.as_ptr(), keep) };
        // SAFETY: `pos` is live with layout `old` (caller), freed once.
        unsafe { self.dealloc(pos, old) };
        Ok(new_pos)
    }

    fn total_bytes(&self) -> usize {
        self.total
    }

    fn used_bytes(&self) -> usize {
        if self.bug == ByteBug::UsedUnderreported {
            self.used / 2
        } else {
            self.used
        }
    }
}
