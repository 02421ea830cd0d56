//! Helpers shared by the contract cases, and the methods the config and runner types share.

use core::fmt::Debug;

use allocator_core::{AllocError, AllocResult};

use crate::failure::{CheckResult, Failure};

/// Fails unless `got` is one of the errors in `want`.
pub(crate) fn expect_err<T: Debug>(
    check: &str,
    what: &str,
    got: AllocResult<T>,
    want: &[AllocError],
) -> CheckResult {
    match got {
        Err(e) if want.contains(&e) => Ok(()),
        other => Err(Failure::new(
            "wrong-result",
            format!("{what}: expected {}, got {other:?}", alternatives(want)),
        )
        .within(check)),
    }
}

/// Fails unless `got` is `Ok`.
pub(crate) fn expect_ok<T: Debug>(check: &str, what: &str, got: AllocResult<T>) -> CheckResult<T> {
    got.map_err(|e| {
        Failure::new(
            "wrong-result",
            format!("{what}: expected success, got Err({e:?})"),
        )
        .within(check)
    })
}

fn alternatives(want: &[AllocError]) -> String {
    let names: Vec<String> = want.iter().map(|e| format!("Err({e:?})")).collect();
    names.join(" or ")
}

/// Fails unless the statistics `after` equal `before`.
pub(crate) fn expect_unchanged<S: PartialEq + Debug>(
    check: &str,
    what: &str,
    before: S,
    after: S,
) -> CheckResult {
    if before == after {
        Ok(())
    } else {
        Err(Failure::new(
            "state-changed",
            format!("{what} failed but changed the statistics from {before:?} to {after:?}"),
        )
        .within(check))
    }
}

/// The setters of a config's `ops` and `seed`, and with `window` also of its `window_start`
/// and `window_size` (clamping `contract_size` and `random_size` to the window).
macro_rules! config_setters {
    () => {
        /// Sets [`ops`](Self::ops).
        #[must_use]
        pub fn with_ops(mut self, ops: u64) -> Self {
            self.ops = ops;
            self
        }

        /// Sets [`seed`](Self::seed).
        #[must_use]
        pub fn with_seed(mut self, seed: u64) -> Self {
            self.seed = seed;
            self
        }
    };
    (window) => {
        $crate::common::config_setters!();

        /// Sets the window, [`window_start`](Self::window_start) and
        /// [`window_size`](Self::window_size), and clamps the other sizes to it.
        #[must_use]
        pub fn with_window(mut self, start: usize, size: usize) -> Self {
            self.window_start = start;
            self.window_size = size;
            self.contract_size = self.contract_size.min(size);
            self.random_size = self.random_size.min(size);
            self
        }
    };
}

/// The methods of a public runner over a `UnitRunner` field `inner`.
macro_rules! unit_runner_methods {
    () => {
        /// Applies `op`; returns the allocator's answer once the model agrees with it.
        ///
        /// # Errors
        ///
        /// A [`Failure`](crate::Failure) named `random/<rule>` when the answer or a count is
        /// not the one the contract requires.
        pub fn apply(
            &mut self,
            op: $crate::UnitOp,
        ) -> Result<::allocator_core::AllocResult<usize>, $crate::Failure> {
            self.inner.apply(op)
        }

        /// The model.
        #[must_use]
        pub fn model(&self) -> &$crate::UnitModel {
            &self.inner.model
        }

        /// Frees every allocated run, checking each answer.
        ///
        /// # Errors
        ///
        /// As for [`apply`](Self::apply).
        pub fn finish(mut self) -> Result<$crate::RunStats, $crate::Failure> {
            self.inner.free_all()?;
            Ok(self.inner.stats())
        }
    };
}

pub(crate) use {config_setters, unit_runner_methods};
