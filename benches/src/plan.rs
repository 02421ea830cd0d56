//! How large each run is: the report's quick and full versions, criterion's runs, and the
//! test mode that `cargo test` uses.

use std::time::Duration;

use crate::scenarios::actions::Passes;
use crate::scenarios::workloads::{Workload, WorkloadSizes};

/// The sizes and repetitions of one run of the scenarios.
#[derive(Clone, Debug)]
pub struct Plan {
    /// A name for the report.
    pub name: &'static str,
    /// The live-block counts of the random actions.
    pub live: Vec<usize>,
    /// Steps of one pass of the random actions.
    pub actions: usize,
    /// Timed passes per run of the random actions (and of the page and ID scenarios); the
    /// fastest counts.
    pub passes: Passes,
    /// Runs of each row (interleaved, the median is reported).
    pub reps: usize,
    /// Extra interleaved runs of each wrapper and its upstream crate, for their ratio.
    pub pair_reps: usize,
    /// The region of the random actions and the workloads.
    pub region: usize,
    /// The region of the heap efficiency (16 MiB).
    pub efficiency_region: usize,
    /// Seeds of the heap efficiency (the mean is reported).
    pub efficiency_seeds: u64,
    /// Pages in the page space (4 GiB of 4 KiB pages).
    pub page_space: usize,
    /// Live runs in the page-run scenario.
    pub page_runs: usize,
    /// Steps of the single page and single ID scenarios.
    pub unit_actions: usize,
    /// Steps of the page-run and ID-run scenarios (first-fit scans: slower per call).
    pub run_actions: usize,
    /// IDs in the ID space.
    pub id_space: usize,
    /// Live runs in the ID-run scenario.
    pub id_runs: usize,
    /// The collection workloads run by the report.
    pub workload_list: Vec<Workload>,
    /// Their sizes.
    pub workloads: WorkloadSizes,
    /// Runs of each workload.
    pub workload_reps: usize,
}

/// The live-block counts of the issue.
/// (200 to 30,000 blocks.)
pub const LIVE: [usize; 5] = [200, 1000, 3000, 10_000, 30_000];

impl Plan {
    /// The report's default: about a minute on two cores. Of the collection workloads only
    /// `vec_push_3M` runs (for the TLSF resize factor): the others take minutes on the buddy
    /// heaps.
    #[must_use]
    pub fn quick() -> Self {
        Self {
            name: "quick",
            live: LIVE.to_vec(),
            actions: 10_000,
            passes: Passes {
                passes: 8,
                budget: Duration::from_millis(25),
            },
            reps: 5,
            pair_reps: 8,
            region: 128 << 20,
            efficiency_region: 16 << 20,
            efficiency_seeds: 3,
            page_space: 1 << 20,
            page_runs: 4096,
            unit_actions: 20_000,
            run_actions: 500,
            id_space: 1 << 16,
            id_runs: 2048,
            workload_list: vec![Workload::VecPush],
            workloads: WorkloadSizes::FULL,
            workload_reps: 3,
        }
    }

    /// `--full`: more steps and repetitions, more seeds.
    #[must_use]
    pub fn full() -> Self {
        Self {
            name: "full",
            passes: Passes {
                passes: 30,
                budget: Duration::from_millis(200),
            },
            reps: 11,
            pair_reps: 20,
            efficiency_seeds: 10,
            run_actions: 2_000,
            workload_list: Workload::ALL.to_vec(),
            workload_reps: 3,
            ..Self::quick()
        }
    }

    /// One short run of everything: `cargo test` (criterion's test mode), debug builds.
    #[must_use]
    pub fn test() -> Self {
        Self {
            name: "test",
            live: vec![200, 1000],
            actions: 200,
            passes: Passes {
                passes: 1,
                budget: Duration::from_secs(10),
            },
            reps: 1,
            pair_reps: 0,
            region: 16 << 20,
            efficiency_region: 1 << 20,
            efficiency_seeds: 1,
            page_space: 1 << 16,
            page_runs: 64,
            unit_actions: 200,
            run_actions: 200,
            id_space: 1 << 12,
            id_runs: 64,
            workload_list: Workload::ALL.to_vec(),
            workloads: WorkloadSizes::TEST,
            workload_reps: 1,
        }
    }

    /// Criterion's plan (`cargo bench`), or [`test`](Self::test) when the bench binary runs
    /// in test mode (`cargo test`, which does not pass `--bench`).
    #[must_use]
    pub fn for_criterion() -> Self {
        if std::env::args().any(|a| a == "--bench") {
            Self {
                name: "criterion",
                ..Self::quick()
            }
        } else {
            Self::test()
        }
    }
}

impl Passes {
    /// Exactly `passes` passes, without a time limit (for criterion's `iter_custom`).
    #[must_use]
    pub fn exactly(passes: u64) -> Self {
        Self {
            passes: u32::try_from(passes).unwrap_or(u32::MAX),
            budget: Duration::from_secs(24 * 3600),
        }
    }
}
