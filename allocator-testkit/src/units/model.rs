//! The exact model of a page or ID allocator: which units (pages or IDs) are in the regions,
//! and which are allocated.

use core::ops::Range;
use std::collections::BTreeMap;

use allocator_core::{AllocError, AllocResult, checked_align_up};

use crate::failure::{CheckResult, Failure};

/// The exact model of a page or ID allocator.
///
/// It covers a window of `len` units (pages or IDs); unit `u` has the value `base + u * scale`
/// (an address for pages, with `scale` the page size; an ID, with `scale` 1). For every call it
/// predicts the answer the contract of allocator-core requires, exactly: which error, or the
/// one success; for `alloc_pages`/`alloc_id`, whose answer is any fitting run, it checks the
/// run returned and predicts `NoMemory` exactly when no run fits.
#[derive(Debug, Clone)]
pub struct UnitModel {
    base: usize,
    scale: usize,
    max_align: usize,
    in_region: Vec<bool>,
    allocated: Vec<bool>,
    total: usize,
    used: usize,
    has_memory: bool,
    /// The allocated runs `(first unit, count)`, in no order, for picking by index.
    runs: Vec<(usize, usize)>,
    /// First unit of each run -> its index in `runs`.
    run_at: BTreeMap<usize, usize>,
}

impl UnitModel {
    /// A model of an allocator without memory, covering `len` units from `base`, each `scale`
    /// wide (a power of two), that honours alignments up to `max_align` (larger ones are
    /// predicted to fail with `InvalidParam`).
    ///
    /// # Panics
    ///
    /// If `scale` is not a power of two or `base` is not a multiple of it.
    #[must_use]
    pub fn new(base: usize, scale: usize, len: usize, max_align: usize) -> Self {
        assert!(
            scale.is_power_of_two() && base % scale == 0,
            "bad model window"
        );
        Self {
            base,
            scale,
            max_align,
            in_region: vec![false; len],
            allocated: vec![false; len],
            total: 0,
            used: 0,
            has_memory: false,
            runs: Vec::new(),
            run_at: BTreeMap::new(),
        }
    }

    /// The value of unit 0.
    #[must_use]
    pub fn base(&self) -> usize {
        self.base
    }

    /// The width of a unit: the page size, or 1 for IDs.
    #[must_use]
    pub fn scale(&self) -> usize {
        self.scale
    }

    /// The number of units covered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.in_region.len()
    }

    /// Whether the model covers no unit.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.in_region.is_empty()
    }

    /// The number of units in the regions (`total_pages`, `size`).
    #[must_use]
    pub fn total(&self) -> usize {
        self.total
    }

    /// The number of allocated units (`used_pages`, `used`).
    #[must_use]
    pub fn used(&self) -> usize {
        self.used
    }

    /// The value of unit `u`.
    #[must_use]
    pub fn value(&self, unit: usize) -> usize {
        self.base + unit * self.scale
    }

    /// Whether the unit with value `value` is allocated (false outside the regions).
    #[must_use]
    pub fn is_allocated(&self, value: usize) -> bool {
        self.unit(value).is_some_and(|u| self.allocated[u])
    }

    /// Whether the unit with value `value` lies in the regions.
    #[must_use]
    pub fn in_region(&self, value: usize) -> bool {
        self.unit(value).is_some_and(|u| self.in_region[u])
    }

    /// The allocated runs, as `(first unit, count)`; a run freed in part is split.
    #[must_use]
    pub fn runs(&self) -> &[(usize, usize)] {
        &self.runs
    }

    fn unit(&self, value: usize) -> Option<usize> {
        let offset = value.checked_sub(self.base)?;
        if offset % self.scale != 0 {
            return None;
        }
        let u = offset / self.scale;
        (u < self.len()).then_some(u)
    }

    /// The units of `count` units from `value`, if all lie in the regions.
    fn span(&self, value: usize, count: usize) -> AllocResult<Range<usize>> {
        if count == 0 || value % self.scale != 0 {
            return Err(AllocError::InvalidParam);
        }
        count
            .checked_mul(self.scale)
            .and_then(|bytes| value.checked_add(bytes))
            .ok_or(AllocError::InvalidParam)?;
        let u = self.unit(value).ok_or(AllocError::InvalidParam)?;
        let end = u + count;
        if end > self.len() || !self.in_region[u..end].iter().all(|&r| r) {
            return Err(AllocError::InvalidParam);
        }
        Ok(u..end)
    }

    /// Whether `align` is one the allocator must honour.
    #[must_use]
    pub fn valid_align(&self, align: usize) -> bool {
        align.is_power_of_two() && align % self.scale == 0 && align <= self.max_align
    }

    /// The units a region `[start, start + size)` adds (trimmed to whole units), or the error
    /// `init` (if `init`) or `add_memory` must give.
    ///
    /// # Errors
    ///
    /// The predicted error.
    pub fn predict_region(
        &self,
        start: usize,
        size: usize,
        init: bool,
    ) -> AllocResult<Range<usize>> {
        if init && self.has_memory {
            return Err(AllocError::InvalidParam);
        }
        let end = start.checked_add(size).ok_or(AllocError::InvalidParam)?;
        if size == 0 {
            return Err(AllocError::InvalidParam);
        }
        let first = checked_align_up(start, self.scale).ok_or(AllocError::InvalidParam)?;
        let last = end & !(self.scale - 1);
        if first >= last {
            return Err(AllocError::InvalidParam);
        }
        let window_end = self.base + self.len() * self.scale;
        if first < self.base || last > window_end {
            return Err(AllocError::InvalidParam);
        }
        let units = (first - self.base) / self.scale..(last - self.base) / self.scale;
        if self.in_region[units.clone()].iter().any(|&r| r) {
            return Err(AllocError::MemoryOverlap);
        }
        Ok(units)
    }

    /// Records the units of a region the allocator accepted.
    pub fn add_units(&mut self, units: Range<usize>) {
        for u in units {
            if !self.in_region[u] {
                self.in_region[u] = true;
                self.total += 1;
            }
        }
        self.has_memory = true;
    }

    /// The answer `alloc_pages_at`/`alloc_fixed_id` must give.
    ///
    /// # Errors
    ///
    /// The predicted error.
    pub fn predict_alloc_at(&self, value: usize, count: usize, align: usize) -> AllocResult<usize> {
        if count == 0 || !self.valid_align(align) || value % align != 0 {
            return Err(AllocError::InvalidParam);
        }
        let units = self.span(value, count)?;
        if self.allocated[units].iter().any(|&a| a) {
            return Err(AllocError::NoMemory);
        }
        Ok(value)
    }

    /// The answer `dealloc_pages`/`dealloc_id` must give.
    ///
    /// # Errors
    ///
    /// The predicted error.
    pub fn predict_dealloc(&self, value: usize, count: usize) -> AllocResult {
        let units = self.span(value, count)?;
        if self.allocated[units].iter().all(|&a| a) {
            Ok(())
        } else {
            Err(AllocError::NotAllocated)
        }
    }

    /// Whether some run of `count` free units in the regions starts at a multiple of `align`.
    #[must_use]
    pub fn has_fit(&self, count: usize, align: usize) -> bool {
        let free = |u: usize| self.in_region[u] && !self.allocated[u];
        let mut u = 0;
        while u < self.len() {
            if !free(u) {
                u += 1;
                continue;
            }
            let start = u;
            while u < self.len() && free(u) {
                u += 1;
            }
            let Some(aligned) = checked_align_up(self.value(start), align) else {
                return false;
            };
            let first = (aligned - self.base) / self.scale;
            if first.checked_add(count).is_some_and(|end| end <= u) {
                return true;
            }
        }
        false
    }

    /// Checks a run the allocator handed out for `count` units aligned to `align`: aligned,
    /// inside the regions, and every unit free.
    ///
    /// # Errors
    ///
    /// Rule `misaligned`, `out-of-region` or `overlap` (a unit already allocated).
    pub fn check_alloc(&self, value: usize, count: usize, align: usize) -> CheckResult {
        if value % align != 0 {
            return Err(Failure::new(
                "misaligned",
                format!("{value:#x} is not aligned to {align:#x}"),
            ));
        }
        let units = self.span(value, count).map_err(|_| {
            Failure::new(
                "out-of-region",
                format!("the run of {count} at {value:#x} is not inside the regions"),
            )
        })?;
        if let Some(u) = units.clone().find(|&u| self.allocated[u]) {
            return Err(Failure::new(
                "overlap",
                format!(
                    "the run of {count} at {value:#x} includes {:#x}, already allocated",
                    self.value(u)
                ),
            ));
        }
        Ok(())
    }

    /// Marks `count` units from `value` allocated (`true`) or free.
    ///
    /// # Panics
    ///
    /// If the run is not inside the regions.
    pub fn mark(&mut self, value: usize, count: usize, allocated: bool) {
        let units = self.span(value, count).expect("a checked run");
        for u in units.clone() {
            if self.allocated[u] != allocated {
                self.allocated[u] = allocated;
                if allocated {
                    self.used += 1;
                } else {
                    self.used -= 1;
                }
            }
        }
        if allocated {
            self.add_run(units.start, units.len());
            return;
        }
        let (start, end) = (units.start, units.end);
        // Runs are disjoint: only the last one starting before `start` and those starting
        // inside the range can overlap it.
        let mut hit: Vec<usize> = self.run_at.range(start..end).map(|(&s, _)| s).collect();
        if let Some((&s, &i)) = self.run_at.range(..start).next_back() {
            if s + self.runs[i].1 > start {
                hit.push(s);
            }
        }
        for s in hit {
            let n = self.remove_run(s);
            let e = s + n;
            if s < start {
                self.add_run(s, start - s);
            }
            if end < e {
                self.add_run(end, e - end);
            }
        }
    }

    fn add_run(&mut self, start: usize, count: usize) {
        self.run_at.insert(start, self.runs.len());
        self.runs.push((start, count));
    }

    /// Removes the run starting at `start`; returns its count.
    fn remove_run(&mut self, start: usize) -> usize {
        let i = self.run_at.remove(&start).expect("a recorded run");
        let (_, count) = self.runs.swap_remove(i);
        if let Some(&(moved, _)) = self.runs.get(i) {
            self.run_at.insert(moved, i);
        }
        count
    }
}
