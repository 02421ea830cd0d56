//! The machinery shared by page and ID allocators: an exact model, operations, a runner and
//! the contract cases.

pub(crate) mod contract;
mod model;
mod ops;
pub(crate) mod runner;

pub use model::UnitModel;
pub use ops::{UnitOp, UnitShape};
pub(crate) use runner::UnitRunner;

use crate::{
    byte::RunStats,
    entropy::{Entropy, TestRng},
    failure::CheckResult,
};

/// Where and how a page or ID allocator is exercised, in values (bytes or IDs).
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    pub(crate) base: usize,
    pub(crate) window: usize,
    pub(crate) scale: usize,
    pub(crate) max_align: usize,
    pub(crate) contract_size: usize,
    pub(crate) random_size: usize,
    pub(crate) check_window_limit: bool,
    pub(crate) ids: bool,
    pub(crate) max_run: usize,
    pub(crate) random_max_align: usize,
}

impl Setup {
    /// The units the contract cases' model covers.
    pub(crate) fn contract_units(&self) -> usize {
        self.contract_size / self.scale
    }

    /// The model of the random workload: it covers only the random regions' span, so that
    /// `has_fit` scans little.
    pub(crate) fn random_model(&self) -> UnitModel {
        UnitModel::new(
            self.base,
            self.scale,
            self.random_size / self.scale,
            self.max_align,
        )
    }

    /// A quarter of the contract size, in whole units.
    pub(crate) fn quarter(&self) -> usize {
        (self.contract_size / 4) & !(self.scale - 1)
    }
}

/// The regions of the random workload: four parts of `size` with holes, two of them touching,
/// given out of order. Returns `(start, size)` in values.
pub(crate) fn random_regions(base: usize, size: usize, scale: usize) -> Vec<(usize, usize)> {
    let unit = (size / 16) & !(scale - 1);
    [(9, 3), (1, 4), (13, 3), (6, 3)]
        .iter()
        .map(|&(at, len)| (base + at * unit, len * unit))
        .collect()
}

/// The contract cases, each on a fresh target from `new`, then the random workload.
pub(crate) fn check<T: runner::Target>(
    mut new: impl FnMut() -> T,
    s: &Setup,
    ops: u64,
    seed: u64,
) -> CheckResult {
    contract::run(&mut new, s)?;
    random(new(), s, ops, seed).map(|_| ())
}

/// The random workload: `ops` seeded operations in the random regions, then every run freed.
pub(crate) fn random<T: runner::Target>(
    target: T,
    s: &Setup,
    ops: u64,
    seed: u64,
) -> CheckResult<RunStats> {
    workload(
        target,
        s,
        "random/init",
        Some(seed),
        &mut TestRng::new(seed),
        ops,
    )
}

/// Runs operations decoded from fuzzer bytes in the random regions, then frees every run.
pub(crate) fn fuzz<T: runner::Target>(target: T, s: &Setup, data: &[u8]) -> CheckResult<RunStats> {
    let mut src = crate::entropy::FuzzInput::new(data);
    workload(target, s, "fuzz/init", None, &mut src, u64::MAX)
}

/// Gives `target` the random regions (failures named `init_case`), then applies up to `ops`
/// operations drawn from `src` until it runs dry, then frees every run. Steps count from the
/// first drawn operation.
fn workload<T: runner::Target>(
    target: T,
    s: &Setup,
    init_case: &'static str,
    seed: Option<u64>,
    src: &mut impl Entropy,
    ops: u64,
) -> CheckResult<RunStats> {
    let mut r = UnitRunner::new(target, s.random_model(), seed);
    r.case(init_case);
    for (i, (start, size)) in random_regions(s.base, s.random_size, s.scale)
        .into_iter()
        .enumerate()
    {
        let op = if i == 0 {
            UnitOp::Init { start, size }
        } else {
            UnitOp::AddMemory { start, size }
        };
        r.expect_op(op, Ok(0))?;
    }
    let shape = UnitShape {
        max_run: s.max_run,
        max_align_units: s.random_max_align / s.scale,
        ids: s.ids,
    };
    let mut r = UnitRunner::new(r.target, r.model, seed);
    for _ in 0..ops {
        if src.is_exhausted() {
            break;
        }
        let op = shape.generate(src, &r.model);
        let _answer = r.apply(op)?;
    }
    r.free_all()?;
    Ok(r.stats())
}
