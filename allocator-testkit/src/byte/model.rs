//! The shadow model of a byte allocator: which blocks are live, and what they must contain.

use core::{alloc::Layout, ptr::NonNull};
use std::collections::BTreeMap;

use crate::{
    failure::{CheckResult, Failure},
    pattern,
    regions::RegionSet,
};

#[derive(Debug, Clone, Copy)]
struct Live {
    ptr: NonNull<u8>,
    layout: Layout,
    id: u64,
    /// Index in `ByteModel::order`.
    slot: usize,
}

/// A shadow model of the blocks one user holds from a byte allocator.
///
/// For every block it is told about it checks that the block lies in the regions the allocator
/// was given, is aligned, and overlaps no other live block (a block of size 0 counts as one
/// byte, so it must be unique too); it writes a pattern derived from a per-block id into the
/// block and checks the whole pattern before the block is freed, and the preserved prefix after
/// a `realloc`. It also checks the bounds on the statistics.
///
/// One model describes the blocks of one user: a concurrency test keeps one per thread (the
/// model is not `Send`, because it holds the blocks' pointers; create it on its thread). Look-ups
/// are O(log n) in the number of live blocks.
#[derive(Debug, Default)]
pub struct ByteModel {
    regions: RegionSet,
    live: BTreeMap<usize, Live>,
    order: Vec<usize>,
    live_bytes: usize,
    next_id: u64,
}

impl ByteModel {
    /// An empty model with no regions.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the allocator was given `[start, start + size)`.
    pub fn add_region(&mut self, start: usize, size: usize) {
        self.regions.insert(start, size);
    }

    /// The number of live blocks.
    #[must_use]
    pub fn live_count(&self) -> usize {
        self.order.len()
    }

    /// The sum of the layout sizes of the live blocks.
    #[must_use]
    pub fn live_bytes(&self) -> usize {
        self.live_bytes
    }

    /// The live block number `index % live_count()`, or `None` when there is none.
    #[must_use]
    pub fn pick(&self, index: usize) -> Option<(NonNull<u8>, Layout)> {
        if self.order.is_empty() {
            return None;
        }
        let addr = self.order[index % self.order.len()];
        self.live.get(&addr).map(|b| (b.ptr, b.layout))
    }

    /// The layout of the live block at `ptr`.
    #[must_use]
    pub fn layout_of(&self, ptr: NonNull<u8>) -> Option<Layout> {
        self.live.get(&(ptr.as_ptr() as usize)).map(|b| b.layout)
    }

    /// Checks a block about to become live: inside the regions, aligned, no overlap with any
    /// live block except `except`.
    fn check_placement(
        &self,
        ptr: NonNull<u8>,
        layout: Layout,
        except: Option<usize>,
    ) -> CheckResult {
        let addr = ptr.as_ptr() as usize;
        let len = layout.size().max(1);
        if !self.regions.contains(addr, len) {
            return Err(Failure::new(
                "out-of-region",
                format!(
                    "block {addr:#x}..{:#x} ({layout:?}) is not inside the given regions {:x?}",
                    addr.wrapping_add(len),
                    self.regions.iter().collect::<Vec<_>>()
                ),
            ));
        }
        if addr % layout.align() != 0 {
            return Err(Failure::new(
                "misaligned",
                format!(
                    "block at {addr:#x} is not aligned to {} ({layout:?})",
                    layout.align()
                ),
            ));
        }
        let end = addr + len;
        let overlap = |other: usize, b: &Live| {
            Failure::new(
                "overlap",
                format!(
                    "block {addr:#x}..{end:#x} ({layout:?}) overlaps live block {other:#x}..{:#x} \
                     ({:?})",
                    other + b.layout.size().max(1),
                    b.layout
                ),
            )
        };
        // Live blocks are disjoint, so only the last one starting at or before `addr` and those
        // starting inside the new block can overlap it.
        if let Some((&other, b)) = self.live.range(..=addr).next_back() {
            if Some(other) != except && other + b.layout.size().max(1) > addr {
                return Err(overlap(other, b));
            }
        }
        if let Some((&other, b)) = self
            .live
            .range(addr..end)
            .find(|&(&a, _)| Some(a) != except)
        {
            return Err(overlap(other, b));
        }
        Ok(())
    }

    /// Records a block the allocator just returned for `layout`, after checking that it lies
    /// in the regions, is aligned and overlaps no live block, and writes its pattern.
    ///
    /// # Errors
    ///
    /// A [`Failure`] with rule `out-of-region`, `misaligned` or `overlap`; the block is then not
    /// recorded and not written to.
    ///
    /// # Safety
    ///
    /// The regions given to [`add_region`](Self::add_region) are memory the caller owns and
    /// may write, for as long as the model is used; `ptr` was returned by the allocator for
    /// `layout`. (The model writes only after checking that the block lies inside the regions
    /// and overlaps no live block.)
    pub unsafe fn insert(&mut self, ptr: NonNull<u8>, layout: Layout) -> CheckResult {
        self.check_placement(ptr, layout, None)?;
        let id = self.next_id;
        self.next_id += 1;
        // SAFETY: the block lies inside the caller's writable regions (checked above; caller's
        // contract) and overlaps no other live block.
        unsafe { pattern::write(ptr.as_ptr(), id, 0, layout.size()) };
        let addr = ptr.as_ptr() as usize;
        self.live.insert(
            addr,
            Live {
                ptr,
                layout,
                id,
                slot: self.order.len(),
            },
        );
        self.order.push(addr);
        self.live_bytes += layout.size();
        Ok(())
    }

    /// Checks the whole pattern of the live block at `ptr`.
    ///
    /// # Errors
    ///
    /// Rule `contents` if a byte changed, `unknown-block` if `ptr` is not live.
    ///
    /// # Safety
    ///
    /// As for [`insert`](Self::insert).
    pub unsafe fn check(&self, ptr: NonNull<u8>) -> CheckResult {
        let b = self.get(ptr)?;
        // SAFETY: the block was checked to lie in the caller's regions and was written whole
        // by `insert`/`resized` (caller's contract).
        unsafe { Self::check_range(&b, 0, b.layout.size(), "") }
    }

    fn get(&self, ptr: NonNull<u8>) -> CheckResult<Live> {
        let addr = ptr.as_ptr() as usize;
        self.live
            .get(&addr)
            .copied()
            .ok_or_else(|| Failure::new("unknown-block", format!("no live block at {addr:#x}")))
    }

    /// # Safety
    ///
    /// `at + from .. at + to` is readable and initialised.
    unsafe fn check_range_at(
        at: NonNull<u8>,
        b: &Live,
        from: usize,
        to: usize,
        what: &str,
    ) -> CheckResult {
        // SAFETY: as the caller promises.
        match unsafe { pattern::check(at.as_ptr(), b.id, from, to) } {
            None => Ok(()),
            Some((offset, found, expected)) => Err(Failure::new(
                "contents",
                format!(
                    "{what}block at {:#x} ({:?}, id {}) changed at offset {offset}: found \
                     {found:#04x}, expected {expected:#04x}",
                    at.as_ptr() as usize,
                    b.layout,
                    b.id
                ),
            )),
        }
    }

    /// # Safety
    ///
    /// As for [`check`](Self::check).
    unsafe fn check_range(b: &Live, from: usize, to: usize, what: &str) -> CheckResult {
        // SAFETY: the block is live and whole (caller).
        unsafe { Self::check_range_at(b.ptr, b, from, to, what) }
    }

    /// Checks the pattern of the live block at `ptr` and forgets it; returns the layout to free
    /// it with. Call it right before `dealloc`.
    ///
    /// # Errors
    ///
    /// Rule `contents` or `unknown-block`; the block is then still recorded.
    ///
    /// # Safety
    ///
    /// As for [`insert`](Self::insert).
    pub unsafe fn remove(&mut self, ptr: NonNull<u8>) -> CheckResult<Layout> {
        // SAFETY: as the caller promises.
        unsafe { self.check(ptr)? };
        Ok(self.forget(ptr.as_ptr() as usize).layout)
    }

    fn forget(&mut self, addr: usize) -> Live {
        let b = self.live.remove(&addr).expect("the block is live");
        let last = self.order.pop().expect("order holds every live block");
        if b.slot < self.order.len() {
            self.order[b.slot] = last;
            self.live.get_mut(&last).expect("live").slot = b.slot;
        }
        self.live_bytes -= b.layout.size();
        b
    }

    /// Records that the live block at `old` was resized by `realloc` to `new_size` bytes and
    /// now lies at `new`: checks the new place (regions, the old alignment, no overlap with
    /// other live blocks), checks that the first `min(old size, new_size)` bytes were kept, and
    /// writes the pattern into the grown tail.
    ///
    /// Check the old block with [`check`](Self::check) before calling `realloc`.
    ///
    /// # Errors
    ///
    /// Rule `out-of-region`, `misaligned`, `overlap`, `contents` or `unknown-block`. On a
    /// placement error the old block is still recorded; on a `contents` error the new block is.
    ///
    /// # Safety
    ///
    /// As for [`insert`](Self::insert); `new` was returned by the allocator's `realloc` of `old`
    /// to `new_size`.
    pub unsafe fn resized(
        &mut self,
        old: NonNull<u8>,
        new: NonNull<u8>,
        new_size: usize,
    ) -> CheckResult {
        let b = self.get(old)?;
        let layout = Layout::from_size_align(new_size, b.layout.align()).map_err(|_| {
            Failure::new(
                "invalid-layout",
                format!("realloc to {new_size} bytes succeeded with an impossible layout"),
            )
        })?;
        self.check_placement(new, layout, Some(old.as_ptr() as usize))?;
        let mut b = self.forget(old.as_ptr() as usize);
        let kept = b.layout.size().min(new_size);
        b.layout = layout;
        b.ptr = new;
        let addr = new.as_ptr() as usize;
        b.slot = self.order.len();
        self.live.insert(addr, b);
        self.order.push(addr);
        self.live_bytes += new_size;
        // SAFETY: the new block lies in the caller's regions and overlaps no other live block
        // (checked); its first `kept` bytes were written by the allocator's copy or were never
        // moved.
        unsafe { Self::check_range_at(new, &b, 0, kept, "after realloc, ")? };
        // SAFETY: as above, the tail is inside the new block.
        unsafe { pattern::write(new.as_ptr(), b.id, kept, new_size) };
        Ok(())
    }

    /// Checks the statistics: `live_bytes() <= used <= total`.
    ///
    /// # Errors
    ///
    /// Rule `used-bounds`.
    pub fn check_stats(&self, used: usize, total: usize) -> CheckResult {
        if self.live_bytes <= used && used <= total {
            Ok(())
        } else {
            Err(Failure::new(
                "used-bounds",
                format!(
                    "used_bytes = {used} is not between the sum of live sizes {} and total_bytes \
                     = {total} ({} live blocks)",
                    self.live_bytes,
                    self.live_count()
                ),
            ))
        }
    }

    /// The live blocks, in address order.
    pub fn blocks(&self) -> impl Iterator<Item = (NonNull<u8>, Layout)> + '_ {
        self.live.values().map(|b| (b.ptr, b.layout))
    }
}
