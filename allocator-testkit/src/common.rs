//! Helpers shared by the contract cases.

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
