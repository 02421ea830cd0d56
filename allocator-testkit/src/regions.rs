//! The set of memory ranges an allocator was given.

use std::collections::BTreeMap;

/// Disjoint, merged address ranges `[start, end)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegionSet {
    ranges: BTreeMap<usize, usize>,
}

impl RegionSet {
    /// Adds `[start, start + size)`, merging with touching ranges. Overlaps are merged too.
    pub(crate) fn insert(&mut self, start: usize, size: usize) {
        if size == 0 {
            return;
        }
        let mut start = start;
        let mut end = start.saturating_add(size);
        if let Some((&s, &e)) = self.ranges.range(..=start).next_back() {
            if e >= start {
                start = s;
                end = end.max(e);
            }
        }
        let after: Vec<(usize, usize)> = self
            .ranges
            .range(start..)
            .take_while(|&(&s, _)| s <= end)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in after {
            self.ranges.remove(&s);
            end = end.max(e);
        }
        self.ranges.insert(start, end);
    }

    /// Whether `[start, start + len)` lies wholly inside the ranges (`len` 0 counts as 1).
    pub(crate) fn contains(&self, start: usize, len: usize) -> bool {
        let Some(end) = start.checked_add(len.max(1)) else {
            return false;
        };
        self.ranges
            .range(..=start)
            .next_back()
            .is_some_and(|(_, &e)| end <= e)
    }

    /// The ranges, in address order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.ranges.iter().map(|(&s, &e)| (s, e))
    }
}
