//! Page and ID operations as data.

use core::fmt;

use super::UnitModel;
use crate::entropy::Entropy;

/// One operation on a page or ID allocator. Values are addresses for pages and IDs for IDs;
/// counts are pages or IDs; alignments are in bytes for pages and in IDs for IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitOp {
    /// `init(start, size)`.
    Init {
        /// First address or ID.
        start: usize,
        /// Bytes or IDs.
        size: usize,
    },
    /// `add_memory(start, size)`.
    AddMemory {
        /// First address or ID.
        start: usize,
        /// Bytes or IDs.
        size: usize,
    },
    /// `alloc_pages(count, align)` or `alloc_id(count, align)`.
    Alloc {
        /// Pages or IDs.
        count: usize,
        /// The alignment (bytes for pages, IDs for IDs).
        align: usize,
    },
    /// `alloc_pages_at(at, count, align)`, or for IDs `alloc_fixed_id(at)` (count and align
    /// are then 1).
    AllocAt {
        /// The address or ID.
        at: usize,
        /// Pages (1 for IDs).
        count: usize,
        /// The alignment (1 for IDs).
        align: usize,
    },
    /// `dealloc_pages(at, count)` or `dealloc_id(at, count)`.
    Dealloc {
        /// The address or first ID.
        at: usize,
        /// Pages or IDs.
        count: usize,
    },
    /// `is_allocated(at)` for IDs; for pages only the counts are checked.
    Query {
        /// The ID.
        at: usize,
    },
}

impl fmt::Display for UnitOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Init { start, size } => write!(f, "init({start:#x}, {size:#x})"),
            Self::AddMemory { start, size } => write!(f, "add_memory({start:#x}, {size:#x})"),
            Self::Alloc { count, align } => write!(f, "alloc({count}, align {align:#x})"),
            Self::AllocAt { at, count, align } => {
                write!(f, "alloc_at({at:#x}, {count}, align {align:#x})")
            }
            Self::Dealloc { at, count } => write!(f, "dealloc({at:#x}, {count})"),
            Self::Query { at } => write!(f, "is_allocated({at:#x})"),
        }
    }
}

/// The shape of generated page or ID operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitShape {
    /// The longest run asked for.
    pub max_run: usize,
    /// The largest valid alignment asked for, in units (pages or IDs).
    pub max_align_units: usize,
    /// Whether the operations are on IDs (`AllocAt` is then `alloc_fixed_id`, and `Query` is
    /// generated).
    pub ids: bool,
}

impl UnitShape {
    fn count(&self, src: &mut impl Entropy) -> usize {
        let hi = match src.below(100) {
            0 => 0,
            1..=50 => 1,
            51..=80 => 8,
            81..=95 => 64,
            _ => self.max_run,
        };
        src.between(hi.min(1), hi.min(self.max_run))
    }

    /// An alignment in units times `scale`: mostly 1, sometimes up to `max_align_units`, rarely
    /// invalid (0, not a power of two, or below `scale`).
    fn align(&self, src: &mut impl Entropy, scale: usize) -> usize {
        match src.below(100) {
            0 => 0,
            1 => 3 * scale,
            2 if scale > 1 => scale / 2,
            3..=69 => scale,
            _ => {
                let max_log = self.max_align_units.max(1).trailing_zeros() as usize;
                scale << src.between(0, max_log)
            }
        }
    }

    /// A value: mostly a unit of the model's window, sometimes just outside it, rarely near
    /// the top of the address space or not a multiple of the unit.
    fn value(&self, src: &mut impl Entropy, model: &UnitModel) -> usize {
        let scale = model.scale();
        match src.below(100) {
            0..=87 => model.value(src.below_usize(model.len())),
            88..=93 => model.base() + (model.len() + src.below_usize(4)) * scale,
            94..=96 => model
                .base()
                .saturating_sub((1 + src.below_usize(4)) * scale),
            97..=98 => (usize::MAX - src.below_usize(4) * scale) & !(scale - 1),
            _ => model.value(src.below_usize(model.len())) + scale / 2,
        }
    }

    /// The next operation, given the model's state.
    pub fn generate(&self, src: &mut impl Entropy, model: &UnitModel) -> UnitOp {
        let scale = model.scale();
        let runs = model.runs();
        let kind = if runs.is_empty() {
            src.below(50)
        } else {
            src.below(100)
        };
        match kind {
            0..=29 => UnitOp::Alloc {
                count: self.count(src),
                align: self.align(src, scale),
            },
            30..=44 => {
                if self.ids {
                    UnitOp::AllocAt {
                        at: self.value(src, model),
                        count: 1,
                        align: 1,
                    }
                } else {
                    let align = self.align(src, scale);
                    let mut at = self.value(src, model);
                    if align.is_power_of_two() && src.chance(9, 10) {
                        at &= !(align - 1);
                    }
                    UnitOp::AllocAt {
                        at,
                        count: self.count(src),
                        align,
                    }
                }
            }
            45..=49 => {
                if self.ids {
                    UnitOp::Query {
                        at: self.value(src, model),
                    }
                } else {
                    UnitOp::Dealloc {
                        at: self.value(src, model),
                        count: self.count(src),
                    }
                }
            }
            50..=89 => {
                // Free all or part of a live run.
                let (first, n) = runs[src.below_usize(runs.len())];
                let skip = if src.chance(1, 2) {
                    0
                } else {
                    src.below_usize(n)
                };
                let count = if src.chance(1, 2) {
                    n - skip
                } else {
                    src.between(1, n - skip)
                };
                UnitOp::Dealloc {
                    at: model.value(first + skip),
                    count,
                }
            }
            90..=94 => {
                // Past the end of a live run: the next unit may be free or outside.
                let (first, n) = runs[src.below_usize(runs.len())];
                UnitOp::Dealloc {
                    at: model.value(first),
                    count: n + 1,
                }
            }
            _ => {
                // A live run again: taken.
                let (first, n) = runs[src.below_usize(runs.len())];
                if self.ids {
                    UnitOp::AllocAt {
                        at: model.value(first),
                        count: 1,
                        align: 1,
                    }
                } else {
                    UnitOp::AllocAt {
                        at: model.value(first),
                        count: n,
                        align: scale,
                    }
                }
            }
        }
    }
}
