//! The error every check returns.

use std::fmt;

/// A broken rule, found by one of the checks.
///
/// It names the check that failed (for example `contract/init-twice` or `random/overlap`), the
/// rule it found broken (`overlap`, `misaligned`, `wrong-result`, ...), and for the random
/// workload the seed and the step, so that the run can be replayed: run the same check with the
/// same seed and `ops = step + 1`, and the failure happens on the last operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    check: String,
    rule: &'static str,
    seed: Option<u64>,
    step: Option<u64>,
    message: String,
}

impl Failure {
    /// A failure of `rule`, described by `message`; the check is `model/<rule>` until
    /// [`within`](Self::within) names the check that ran.
    #[must_use]
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            check: format!("model/{rule}"),
            rule,
            seed: None,
            step: None,
            message: message.into(),
        }
    }

    /// Names the check in which the failure happened (`contract/alignment`, `random/overlap`).
    #[must_use]
    pub fn within(mut self, check: impl Into<String>) -> Self {
        self.check = check.into();
        self
    }

    /// Records the seed and the step (counted from 0) of a random run.
    #[must_use]
    pub fn at(mut self, seed: Option<u64>, step: u64) -> Self {
        self.seed = seed;
        self.step = Some(step);
        self
    }

    /// Records the seed of a random run, for a failure after its last step (while freeing
    /// everything): replay with the same seed and operation count.
    #[must_use]
    pub fn seeded(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    /// Appends context to the message.
    #[must_use]
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{} ({context})", self.message);
        self
    }

    /// The check that failed, for example `contract/init-twice` or `random/overlap`.
    #[must_use]
    pub fn check(&self) -> &str {
        &self.check
    }

    /// The rule found broken, for example `overlap`, `misaligned`, `contents`, `used-bounds`,
    /// `wrong-result` or `state-changed`.
    #[must_use]
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    /// The seed of the random run, if the failure happened in one.
    #[must_use]
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The step (operation index, from 0) of the random run, if any.
    #[must_use]
    pub fn step(&self) -> Option<u64> {
        self.step
    }

    /// What went wrong, with the values involved.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "check `{}` failed ({})", self.check, self.rule)?;
        if let Some(seed) = self.seed {
            write!(f, " with seed {seed:#x}")?;
        }
        if let Some(step) = self.step {
            write!(f, " at step {step}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(seed), Some(step)) = (self.seed, self.step) {
            write!(
                f,
                "; replay with seed = {seed:#x}, ops = {} (the failing operation is the last)",
                step + 1
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Shorthand for the checks.
pub(crate) type CheckResult<T = ()> = Result<T, Failure>;

/// Fails with `rule` in `check` unless `cond` holds.
pub(crate) fn ensure(
    cond: bool,
    check: &str,
    rule: &'static str,
    message: impl FnOnce() -> String,
) -> CheckResult {
    if cond {
        Ok(())
    } else {
        Err(Failure::new(rule, message()).within(check))
    }
}
