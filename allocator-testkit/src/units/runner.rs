//! Runs page or ID operations against an allocator and the exact model.

use allocator_core::{AllocError, AllocResult};

use super::{UnitModel, UnitOp};
use crate::{
    byte::RunStats,
    failure::{CheckResult, Failure},
};

/// The calls a page or ID allocator answers, in the common terms of [`UnitOp`].
pub(crate) trait Target {
    /// `init`.
    ///
    /// # Safety
    ///
    /// As for `BaseAllocator::init`.
    unsafe fn init(&mut self, start: usize, size: usize) -> AllocResult;
    /// `add_memory`.
    ///
    /// # Safety
    ///
    /// As for `BaseAllocator::add_memory`.
    unsafe fn add_memory(&mut self, start: usize, size: usize) -> AllocResult;
    fn alloc(&mut self, count: usize, align: usize) -> AllocResult<usize>;
    fn alloc_at(&mut self, at: usize, count: usize, align: usize) -> AllocResult<usize>;
    fn dealloc(&mut self, at: usize, count: usize) -> AllocResult;
    /// `Some(is_allocated(at))` for IDs, `None` for pages.
    fn query(&self, at: usize) -> Option<bool>;
    /// `(total, used, available)`.
    fn counts(&self) -> (usize, usize, usize);
}

/// Applies [`UnitOp`]s to a target and checks each answer against a [`UnitModel`].
#[derive(Debug)]
pub(crate) struct UnitRunner<T> {
    pub(crate) target: T,
    pub(crate) model: UnitModel,
    seed: Option<u64>,
    /// `None` in the random workload (checks are named `random/<rule>`), else the contract
    /// case's name.
    case: Option<&'static str>,
    /// While `free_all` runs: the operations before it (failures then carry no step).
    finishing: Option<u64>,
    stats: RunStats,
}

impl<T: Target> UnitRunner<T> {
    pub(crate) fn new(target: T, model: UnitModel, seed: Option<u64>) -> Self {
        Self {
            target,
            model,
            seed,
            case: None,
            finishing: None,
            stats: RunStats::default(),
        }
    }

    /// Names the failures of the next operations after a contract case.
    pub(crate) fn case(&mut self, case: &'static str) -> &mut Self {
        self.case = Some(case);
        self
    }

    pub(crate) fn stats(&self) -> RunStats {
        self.stats
    }

    fn name(&self, f: Failure, op: Option<UnitOp>) -> Failure {
        let f = match self.case {
            Some(case) => f.within(case),
            None if self.finishing.is_some() => {
                let check = format!("random/{}", f.rule());
                f.within(check).seeded(self.seed).context(format_args!(
                    "while freeing every run after {} operations",
                    self.finishing.unwrap_or_default()
                ))
            }
            None => {
                let check = format!("random/{}", f.rule());
                f.within(check).at(self.seed, self.stats.ops)
            }
        };
        match op {
            Some(op) => f.context(format_args!("during {op}")),
            None => f,
        }
    }

    fn expect<V: PartialEq + core::fmt::Debug>(
        got: AllocResult<V>,
        want: AllocResult<V>,
    ) -> CheckResult {
        if got == want {
            Ok(())
        } else {
            Err(Failure::new(
                "wrong-result",
                format!("answered {got:?}, the contract requires {want:?}"),
            ))
        }
    }

    fn check_counts(&self) -> CheckResult {
        let (total, used, available) = self.target.counts();
        let (t, u) = (self.model.total(), self.model.used());
        if (total, used, available) == (t, u, t - u) {
            Ok(())
        } else {
            Err(Failure::new(
                "count-mismatch",
                format!(
                    "(total, used, available) are ({total}, {used}, {available}), the model says \
                     ({t}, {u}, {})",
                    t - u
                ),
            ))
        }
    }

    /// Applies `op`, checks the answer and the counts, and returns the answer.
    pub(crate) fn apply(&mut self, op: UnitOp) -> CheckResult<AllocResult<usize>> {
        let result = self
            .apply_inner(op)
            .and_then(|r| self.check_counts().map(|()| r));
        let result = result.map_err(|f| self.name(f, Some(op)));
        self.stats.ops += 1;
        self.stats.peak_live = self.stats.peak_live.max(self.model.runs().len());
        result
    }

    /// Applies `op`, which must give `want` (a check of the script itself, besides the
    /// model's).
    pub(crate) fn expect_op(&mut self, op: UnitOp, want: AllocResult<usize>) -> CheckResult {
        let got = self.apply(op)?;
        if got == want {
            Ok(())
        } else {
            let f = Failure::new(
                "wrong-result",
                format!("answered {got:?}, expected {want:?}"),
            );
            Err(self.name(f, Some(op)))
        }
    }

    fn apply_inner(&mut self, op: UnitOp) -> CheckResult<AllocResult<usize>> {
        let model = &self.model;
        match op {
            UnitOp::Init { start, size } | UnitOp::AddMemory { start, size } => {
                let init = matches!(op, UnitOp::Init { .. });
                let predicted = model.predict_region(start, size, init);
                // SAFETY: page and ID allocators never touch their regions, and the runner
                // owns the values it hands over; nothing else uses them.
                let got = unsafe {
                    if init {
                        self.target.init(start, size)
                    } else {
                        self.target.add_memory(start, size)
                    }
                };
                match (&predicted, got) {
                    (Ok(units), Ok(())) => {
                        let units = units.clone();
                        self.model.add_units(units);
                    }
                    // "The backend cannot track the region": allowed, if nothing changed.
                    (Ok(_), Err(AllocError::NoMemory)) => {}
                    _ => Self::expect(got, predicted.map(|_| ()))?,
                }
                Ok(got.map(|()| 0))
            }
            UnitOp::Alloc { count, align } => {
                let got = self.target.alloc(count, align);
                if count == 0 || !model.valid_align(align) {
                    Self::expect(got, Err(AllocError::InvalidParam))?;
                    return Ok(got);
                }
                match got {
                    Ok(at) => {
                        model.check_alloc(at, count, align)?;
                        self.model.mark(at, count, true);
                        self.stats.allocs += 1;
                    }
                    Err(AllocError::NoMemory) => {
                        self.stats.no_memory += 1;
                        if model.has_fit(count, align) {
                            return Err(Failure::new(
                                "spurious-no-memory",
                                format!(
                                    "NoMemory although a free run of {count} aligned to {align:#x} exists"
                                ),
                            ));
                        }
                    }
                    Err(e) => {
                        return Err(Failure::new(
                            "wrong-result",
                            format!("answered Err({e:?}) to a valid request"),
                        ));
                    }
                }
                Ok(got)
            }
            UnitOp::AllocAt { at, count, align } => {
                let predicted = model.predict_alloc_at(at, count, align);
                let got = self.target.alloc_at(at, count, align);
                Self::expect(got, predicted)?;
                if got.is_ok() {
                    self.model.mark(at, count, true);
                    self.stats.allocs += 1;
                }
                Ok(got)
            }
            UnitOp::Dealloc { at, count } => {
                let predicted = model.predict_dealloc(at, count);
                let got = self.target.dealloc(at, count);
                Self::expect(got, predicted)?;
                if got.is_ok() {
                    self.model.mark(at, count, false);
                }
                Ok(got.map(|()| 0))
            }
            UnitOp::Query { at } => {
                if let Some(got) = self.target.query(at) {
                    let want = model.is_allocated(at);
                    if got != want {
                        return Err(Failure::new(
                            "wrong-result",
                            format!("is_allocated({at:#x}) is {got}, the model says {want}"),
                        ));
                    }
                }
                Ok(Ok(0))
            }
        }
    }

    /// Frees every allocated run, then checks the counts are back to zero used.
    pub(crate) fn free_all(&mut self) -> CheckResult {
        let ops = self.stats.ops;
        self.finishing = Some(ops);
        while let Some(&(first, n)) = self.model.runs().last() {
            let at = self.model.value(first);
            self.expect_op(UnitOp::Dealloc { at, count: n }, Ok(0))?;
        }
        self.finishing = None;
        self.stats.ops = ops;
        if self.model.used() == 0 {
            Ok(())
        } else {
            Err(self.name(
                Failure::new(
                    "not-restored",
                    format!("{} units still used", self.model.used()),
                ),
                None,
            ))
        }
    }
}
