//! Runs byte operations against an allocator and the shadow model.

use core::alloc::Layout;

use allocator_core::{AllocError, ByteAllocator};

use super::{ByteModel, ByteOp};
use crate::failure::{CheckResult, Failure};

/// What a run did, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Operations applied.
    pub ops: u64,
    /// Successful allocations (including reallocs).
    pub allocs: u64,
    /// Requests answered with `NoMemory`.
    pub no_memory: u64,
    /// The largest number of live blocks (pages, IDs) at once.
    pub peak_live: usize,
}

/// Applies [`ByteOp`]s to a byte allocator, checking every answer against a [`ByteModel`].
///
/// After every operation it checks the statistics: `used_bytes` between the sum of live sizes
/// and `total_bytes`, and `total_bytes` unchanged since the runner was made. A `NoMemory`
/// answer must leave the statistics unchanged, and must not come while the allocator is
/// nearly empty (`used_bytes` at most an eighth of `total_bytes`, and the request at most a
/// 64th of it). [`finish`](Self::finish) frees every live block and checks that `used_bytes`
/// is back to its value when the runner was made.
#[derive(Debug)]
pub struct ByteRunner<'a, A: ByteAllocator + ?Sized> {
    alloc: &'a mut A,
    model: ByteModel,
    total: usize,
    start_used: usize,
    seed: Option<u64>,
    stats: RunStats,
}

impl<'a, A: ByteAllocator + ?Sized> ByteRunner<'a, A> {
    /// A runner for an allocator that already has its regions, all of them recorded in `model`
    /// (with [`ByteModel::add_region`]), and no live blocks other than those in `model`.
    /// `seed` is only reported in failures.
    pub fn new(alloc: &'a mut A, model: ByteModel, seed: Option<u64>) -> Self {
        let total = alloc.total_bytes();
        let start_used = alloc.used_bytes();
        Self {
            alloc,
            model,
            total,
            start_used,
            seed,
            stats: RunStats::default(),
        }
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &ByteModel {
        &self.model
    }

    /// What the run did so far.
    #[must_use]
    pub fn stats(&self) -> RunStats {
        self.stats
    }

    fn fail(&self, f: Failure, op: Option<ByteOp>) -> Failure {
        let check = format!("random/{}", f.rule());
        let f = f.within(check);
        match op {
            Some(op) => f
                .at(self.seed, self.stats.ops)
                .context(format_args!("during {op}")),
            None => f.seeded(self.seed).context(format_args!(
                "while freeing every block after {} operations",
                self.stats.ops
            )),
        }
    }

    fn check_stats(&self) -> CheckResult {
        let total = self.alloc.total_bytes();
        if total != self.total {
            return Err(Failure::new(
                "total-changed",
                format!("total_bytes changed from {} to {total}", self.total),
            ));
        }
        self.model.check_stats(self.alloc.used_bytes(), total)
    }

    fn no_memory(&mut self, layout: Layout, used_before: usize) -> CheckResult {
        self.stats.no_memory += 1;
        let used = self.alloc.used_bytes();
        if used != used_before {
            return Err(Failure::new(
                "state-changed",
                format!("a failed request changed used_bytes from {used_before} to {used}"),
            ));
        }
        let request = layout.size().saturating_add(layout.align());
        if used <= self.total / 8 && request <= self.total / 64 {
            return Err(Failure::new(
                "spurious-no-memory",
                format!(
                    "NoMemory for {layout:?} with only {used} of {} bytes used",
                    self.total
                ),
            ));
        }
        Ok(())
    }

    fn unexpected(err: AllocError, what: &str) -> Failure {
        Failure::new(
            "unexpected-error",
            format!("{what} failed with {err:?} ({err})"),
        )
    }

    /// Applies one operation and checks the answer.
    ///
    /// # Errors
    ///
    /// The first broken rule, with check `random/<rule>`, the seed and this step.
    pub fn apply(&mut self, op: ByteOp) -> CheckResult {
        let result = self.apply_inner(op).map_err(|f| self.fail(f, Some(op)));
        self.stats.ops += 1;
        self.stats.peak_live = self.stats.peak_live.max(self.model.live_count());
        result
    }

    fn apply_inner(&mut self, op: ByteOp) -> CheckResult {
        match op {
            ByteOp::Alloc { size, align } => {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    return Ok(());
                };
                let used = self.alloc.used_bytes();
                match self.alloc.alloc(layout) {
                    Ok(ptr) => {
                        self.stats.allocs += 1;
                        // SAFETY: the model's regions are the caller's memory given to the
                        // allocator (contract of `new`), and `ptr` came from it for `layout`.
                        unsafe { self.model.insert(ptr, layout)? };
                    }
                    Err(AllocError::NoMemory) => self.no_memory(layout, used)?,
                    Err(e) => return Err(Self::unexpected(e, "alloc")),
                }
            }
            ByteOp::Dealloc { pick } => {
                let Some((ptr, _)) = self.model.pick(pick) else {
                    return Ok(());
                };
                // SAFETY: as for `insert`; the block is live in the model.
                let layout = unsafe { self.model.remove(ptr)? };
                // SAFETY: `ptr` is live, from this allocator with `layout` (the model records
                // what the allocator returned), and forgotten by the model: freed once.
                unsafe { self.alloc.dealloc(ptr, layout) };
            }
            ByteOp::Realloc { pick, new_size } => {
                let Some((ptr, old)) = self.model.pick(pick) else {
                    return Ok(());
                };
                // SAFETY: as for `insert`.
                unsafe { self.model.check(ptr)? };
                let used = self.alloc.used_bytes();
                // SAFETY: `ptr` is live with layout `old` (see `Dealloc`); on success the model
                // moves to the returned block.
                match unsafe { self.alloc.realloc(ptr, old, new_size) } {
                    Ok(new) => {
                        self.stats.allocs += 1;
                        // SAFETY: as for `insert`; `new` came from `realloc` of `ptr`.
                        unsafe { self.model.resized(ptr, new, new_size)? };
                    }
                    Err(AllocError::NoMemory) => {
                        let layout = Layout::from_size_align(new_size, old.align()).unwrap_or(old);
                        self.no_memory(layout, used)?;
                        // SAFETY: as for `insert`: a failed realloc leaves the block live.
                        unsafe { self.model.check(ptr) }
                            .map_err(|f| f.context("after a failed realloc"))?;
                    }
                    Err(e) => return Err(Self::unexpected(e, "realloc")),
                }
            }
        }
        self.check_stats()
    }

    /// Frees every live block (checking its pattern first), then checks that `used_bytes` is
    /// back to its value when the runner was made and `total_bytes` unchanged.
    ///
    /// # Errors
    ///
    /// Rule `contents`, `used-bounds`, `total-changed` or `not-restored`, with check
    /// `random/<rule>`.
    pub fn finish(mut self) -> CheckResult<RunStats> {
        while let Some((ptr, _)) = self.model.pick(0) {
            // SAFETY: as in `apply`.
            let layout = unsafe { self.model.remove(ptr) }.map_err(|f| self.fail(f, None))?;
            // SAFETY: as in `apply`.
            unsafe { self.alloc.dealloc(ptr, layout) };
            self.check_stats().map_err(|f| self.fail(f, None))?;
        }
        let used = self.alloc.used_bytes();
        if used != self.start_used {
            let f = Failure::new(
                "not-restored",
                format!(
                    "after freeing every block used_bytes is {used}, not its start value {}",
                    self.start_used
                ),
            );
            return Err(self.fail(f, None));
        }
        Ok(self.stats)
    }

    /// Gives the model back without freeing anything (for callers that free themselves).
    #[must_use]
    pub fn into_model(self) -> ByteModel {
        self.model
    }
}
