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
    /// Every 10th request returns the most recent block again, if it fits.
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
        if self.bug == ByteBug::Overlap && self.count % 10 == 0 {
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

/// The bug a toy page or ID allocator carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitBug {
    None,
    /// Freeing a free unit succeeds silently.
    DoubleFree,
    /// `used` is off by one once anything was allocated at a given address.
    MiscountsUsed,
    /// `alloc_at` hands out taken units.
    AllocAtTaken,
    /// The holes between regions are handed out too.
    HolesAllocatable,
    /// Freeing outside the regions says `NotAllocated` instead of `InvalidParam`.
    WrongError,
    /// A partly allocated run is freed in part before `NotAllocated`.
    PartialFree,
    /// Runs longer than one unit are refused with `NoMemory` beyond the first region.
    GivesUpEarly,
    /// `add_memory` accepts overlapping regions.
    AcceptsOverlap,
}

/// A toy page (`scale` = page size) or ID (`scale` = 1) allocator: a set of allocated values and
/// merged regions, first-fit.
#[derive(Debug)]
pub(crate) struct ToyUnits {
    bug: UnitBug,
    scale: usize,
    window: (usize, usize),
    max_align: usize,
    regions: BTreeMap<usize, usize>,
    allocated: std::collections::BTreeSet<usize>,
    total: usize,
    at_allocs: usize,
}

impl ToyUnits {
    pub(crate) fn new(
        bug: UnitBug,
        scale: usize,
        window: (usize, usize),
        max_align: usize,
    ) -> Self {
        Self {
            bug,
            scale,
            window,
            max_align,
            regions: BTreeMap::new(),
            allocated: std::collections::BTreeSet::new(),
            total: 0,
            at_allocs: 0,
        }
    }

    fn in_regions(&self, v: usize) -> bool {
        if self.bug == UnitBug::HolesAllocatable {
            let first = self.regions.keys().next().copied().unwrap_or(0);
            let last = self.regions.values().last().copied().unwrap_or(0);
            return first <= v && v < last;
        }
        self.regions
            .range(..=v)
            .next_back()
            .is_some_and(|(_, &e)| v < e)
    }

    fn span(&self, at: usize, count: usize) -> AllocResult<Vec<usize>> {
        if count == 0 || at % self.scale != 0 {
            return Err(AllocError::InvalidParam);
        }
        count
            .checked_mul(self.scale)
            .and_then(|b| at.checked_add(b))
            .ok_or(AllocError::InvalidParam)?;
        let values: Vec<usize> = (0..count).map(|i| at + i * self.scale).collect();
        if values.iter().all(|&v| self.in_regions(v)) {
            Ok(values)
        } else {
            Err(AllocError::InvalidParam)
        }
    }

    fn valid_align(&self, align: usize) -> bool {
        align.is_power_of_two() && align % self.scale == 0 && align <= self.max_align
    }

    pub(crate) fn region(&mut self, start: usize, size: usize, init: bool) -> AllocResult {
        if init && self.total > 0 {
            return Err(AllocError::InvalidParam);
        }
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        let first = checked_align_up(start, self.scale).ok_or(AllocError::InvalidParam)?;
        let last = end & !(self.scale - 1);
        if size == 0 || first >= last {
            return Err(AllocError::InvalidParam);
        }
        if first < self.window.0 || last > self.window.0 + self.window.1 {
            return Err(AllocError::InvalidParam);
        }
        let overlaps = self
            .regions
            .range(..last)
            .next_back()
            .is_some_and(|(_, &e)| e > first);
        if overlaps && self.bug != UnitBug::AcceptsOverlap {
            return Err(AllocError::MemoryOverlap);
        }
        let (mut s, mut e) = (first, last);
        if let Some((&ps, &pe)) = self.regions.range(..=s).next_back() {
            if pe >= s {
                s = ps;
                e = e.max(pe);
            }
        }
        let after: Vec<(usize, usize)> = self.regions.range(s..=e).map(|(&a, &b)| (a, b)).collect();
        for (a, b) in after {
            self.regions.remove(&a);
            e = e.max(b);
        }
        self.regions.insert(s, e);
        self.total += (last - first) / self.scale;
        Ok(())
    }

    pub(crate) fn alloc(&mut self, count: usize, align: usize) -> AllocResult<usize> {
        if count == 0 || !self.valid_align(align) {
            return Err(AllocError::InvalidParam);
        }
        let regions: Vec<(usize, usize)> = self.regions.iter().map(|(&s, &e)| (s, e)).collect();
        let regions = if self.bug == UnitBug::HolesAllocatable {
            vec![(
                regions.first().map_or(0, |r| r.0),
                regions.last().map_or(0, |r| r.1),
            )]
        } else if self.bug == UnitBug::GivesUpEarly && count > 1 {
            regions.into_iter().take(1).collect()
        } else {
            regions
        };
        for (s, e) in regions {
            let mut at = checked_align_up(s, align).ok_or(AllocError::NoMemory)?;
            while at
                .checked_add(count * self.scale)
                .is_some_and(|end| end <= e)
            {
                if (0..count).all(|i| !self.allocated.contains(&(at + i * self.scale))) {
                    for i in 0..count {
                        self.allocated.insert(at + i * self.scale);
                    }
                    return Ok(at);
                }
                at += align;
            }
        }
        Err(AllocError::NoMemory)
    }

    pub(crate) fn alloc_at(&mut self, at: usize, count: usize, align: usize) -> AllocResult<usize> {
        if count == 0 || !self.valid_align(align) || at % align != 0 {
            return Err(AllocError::InvalidParam);
        }
        let values = self.span(at, count)?;
        if self.bug != UnitBug::AllocAtTaken && values.iter().any(|v| self.allocated.contains(v)) {
            return Err(AllocError::NoMemory);
        }
        self.allocated.extend(values);
        self.at_allocs += 1;
        Ok(at)
    }

    pub(crate) fn dealloc(&mut self, at: usize, count: usize) -> AllocResult {
        let values = match self.span(at, count) {
            Ok(values) => values,
            Err(_) if self.bug == UnitBug::WrongError && count > 0 => {
                return Err(AllocError::NotAllocated);
            }
            Err(e) => return Err(e),
        };
        let all = values.iter().all(|v| self.allocated.contains(v));
        if !all && self.bug == UnitBug::PartialFree {
            self.allocated.remove(&values[0]);
            return Err(AllocError::NotAllocated);
        }
        if !all && self.bug != UnitBug::DoubleFree {
            return Err(AllocError::NotAllocated);
        }
        for v in values {
            self.allocated.remove(&v);
        }
        Ok(())
    }

    pub(crate) fn is_allocated(&self, v: usize) -> bool {
        self.allocated.contains(&v)
    }

    pub(crate) fn total(&self) -> usize {
        self.total
    }

    pub(crate) fn used(&self) -> usize {
        let skew = usize::from(self.bug == UnitBug::MiscountsUsed && self.at_allocs > 0);
        self.allocated.len() + skew
    }
}

/// A toy page allocator of 4 KiB pages with the default `PageConfig` window.
#[derive(Debug)]
pub(crate) struct ToyPages(pub(crate) ToyUnits);

impl ToyPages {
    pub(crate) fn new(bug: UnitBug) -> Self {
        Self(ToyUnits::new(bug, 4096, (0x4000_0000, 256 << 20), 1 << 30))
    }
}

impl BaseAllocator for ToyPages {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        self.0.region(start, size, true)
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        self.0.region(start, size, false)
    }
}

// SAFETY: test-only toy. Without a bug it hands out only free pages of its regions, aligned,
// and counts exactly; the buggy variants break one promise on purpose for the testkit's tests.
// Nobody turns its addresses into memory.
unsafe impl allocator_core::PageAllocator for ToyPages {
    const PAGE_SIZE: usize = 4096;

    fn alloc_pages(&mut self, num_pages: usize, align_pow2: usize) -> AllocResult<usize> {
        self.0.alloc(num_pages, align_pow2)
    }

    fn alloc_pages_at(
        &mut self,
        base: usize,
        num_pages: usize,
        align_pow2: usize,
    ) -> AllocResult<usize> {
        self.0.alloc_at(base, num_pages, align_pow2)
    }

    fn dealloc_pages(&mut self, pos: usize, num_pages: usize) -> AllocResult {
        self.0.dealloc(pos, num_pages)
    }

    fn total_pages(&self) -> usize {
        self.0.total()
    }

    fn used_pages(&self) -> usize {
        self.0.used()
    }
}

/// A toy ID allocator with the default `IdConfig` window, IDs `0..4096`.
#[derive(Debug)]
pub(crate) struct ToyIds(pub(crate) ToyUnits);

impl ToyIds {
    pub(crate) fn new(bug: UnitBug) -> Self {
        Self(ToyUnits::new(bug, 1, (0, 4096), 1 << (usize::BITS - 1)))
    }
}

impl BaseAllocator for ToyIds {
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult {
        self.0.region(start, size, true)
    }

    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult {
        self.0.region(start, size, false)
    }
}

impl allocator_core::IdAllocator for ToyIds {
    fn alloc_id(&mut self, count: usize, align_pow2: usize) -> AllocResult<usize> {
        self.0.alloc(count, align_pow2)
    }

    fn dealloc_id(&mut self, start_id: usize, count: usize) -> AllocResult {
        self.0.dealloc(start_id, count)
    }

    fn is_allocated(&self, id: usize) -> bool {
        self.0.is_allocated(id)
    }

    fn alloc_fixed_id(&mut self, id: usize) -> AllocResult {
        self.0.alloc_at(id, 1, 1).map(|_| ())
    }

    fn size(&self) -> usize {
        self.0.total()
    }

    fn used(&self) -> usize {
        self.0.used()
    }
}
