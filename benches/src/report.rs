//! The comparison report: runs the scenarios over every contender, interleaved, and renders
//! markdown tables and SVG plots.

mod render;

use std::io::Write as _;
use std::time::Instant;

use crate::contenders::{
    ByteContender, Kind, UnitContender, UnitPair, byte_contenders, byte_pairs, id_contenders,
    id_pairs, page_contenders, page_pairs, tlsf_realloc_variants,
};
use crate::plan::Plan;
use crate::region::Region;
use crate::scenarios::actions::{Script, Timed};
use crate::scenarios::efficiency::Sizes;
use crate::scenarios::pages::UnitScript;
use crate::scenarios::workloads::Workload;

pub use render::{markdown, write_files};

/// What a table's figures are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds per allocator call (lower is better).
    NsPerOp,
    /// Milliseconds per workload (lower is better).
    Ms,
    /// Percent of the region live at the first failure (higher is better).
    Percent,
}

/// One row of a table: a contender and its samples for each column.
#[derive(Clone, Debug)]
pub struct Row {
    /// The contender's name.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// For a workspace backend, its upstream row.
    pub upstream: Option<&'static str>,
    /// The samples of each column (empty: not measured).
    pub cells: Vec<Vec<f64>>,
    /// Requests that failed in all its runs.
    pub failures: u64,
}

impl Row {
    /// The median of a column, or NaN.
    #[must_use]
    pub fn median(&self, column: usize) -> f64 {
        median(self.cells.get(column).map_or(&[][..], Vec::as_slice))
    }
}

/// A table of results.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its title.
    pub title: String,
    /// A sentence on what was measured.
    pub note: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// The numeric column keys (live blocks for the random actions), for plots.
    pub keys: Vec<f64>,
    /// What the figures are.
    pub unit: Unit,
    /// The rows.
    pub rows: Vec<Row>,
}

impl Table {
    /// The row called `name`.
    #[must_use]
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }
}

/// A wrapper against its upstream crate: the ratio of their times in each run.
#[derive(Clone, Debug)]
pub struct PairRow {
    /// The wrapper's name.
    pub wrapper: &'static str,
    /// The upstream crate's name.
    pub upstream: &'static str,
    /// For each column, the ratio (wrapper / upstream) of each run.
    pub ratios: Vec<Vec<f64>>,
}

/// The wrapper/upstream ratios of one scenario.
#[derive(Clone, Debug)]
pub struct PairTable {
    /// The scenario.
    pub title: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// The pairs.
    pub rows: Vec<PairRow>,
    /// The largest ratio the wrappers aim at here (1.03 for byte heaps, 1.05 for pages and
    /// IDs).
    pub target: f64,
}

/// Everything a report run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The plan's name.
    pub plan: &'static str,
    /// The machine, in one line.
    pub machine: String,
    /// Random actions without and with resizing.
    pub actions: Vec<Table>,
    /// Wrappers against their upstream crates (random actions, pages, IDs).
    pub pairs: Vec<PairTable>,
    /// Heap efficiency.
    pub efficiency: Table,
    /// Pages and IDs.
    pub units: Vec<Table>,
    /// The collection workloads.
    pub workloads: Option<Table>,
    /// `vec_push_3M` on TLSF and on TLSF with the allocate-copy-free `realloc`: the fastest of
    /// alternating runs, in milliseconds.
    pub tlsf_push: Option<(f64, f64, usize)>,
    /// Runs of each wrapper/upstream pair.
    pub pair_reps: usize,
    /// Seconds the run took.
    pub seconds: f64,
}

/// The median of `samples` (NaN if empty).
#[must_use]
pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// A progress line on stderr.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: usize,
    start: Instant,
    quiet: bool,
}

impl Progress {
    /// A progress line for `total` steps; `quiet` prints nothing.
    #[must_use]
    pub fn new(total: usize, quiet: bool) -> Self {
        Self {
            total,
            done: 0,
            start: Instant::now(),
            quiet,
        }
    }

    /// Shows the step about to run.
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K[{:>4}/{}] {:>5.1}s  {what}",
            self.done.min(self.total),
            self.total,
            self.start.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }

    /// Ends the line.
    pub fn finish(&self) {
        if !self.quiet {
            eprintln!();
        }
    }
}

/// The pairs `(wrapper, upstream)` among `rows`, by index.
fn pairs(rows: &[(&'static str, Option<&'static str>)]) -> Vec<(usize, usize)> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, (_, up))| {
            let up = (*up)?;
            rows.iter().position(|(n, _)| *n == up).map(|j| (i, j))
        })
        .collect()
}

/// Runs `f` over every row `reps` times, in forward order on even repetitions and backward
/// on odd ones, so that the load of a shared machine falls evenly on all rows.
fn interleaved(
    names: &[(&'static str, Option<&'static str>)],
    reps: usize,
    progress: &mut Progress,
    label: &str,
    mut f: impl FnMut(usize) -> Timed,
) -> (Vec<Vec<f64>>, Vec<u64>) {
    let n = names.len();
    let mut samples = vec![Vec::new(); n];
    let mut failures = vec![0; n];
    let mut one = |i: usize, progress: &mut Progress| {
        progress.step(&format!("{label}: {}", names[i].0));
        let t = f(i);
        samples[i].push(t.ns_per_op());
        failures[i] += t.failures;
    };
    for rep in 0..reps {
        for k in 0..n {
            let i = if rep % 2 == 0 { k } else { n - 1 - k };
            one(i, progress);
        }
    }
    (samples, failures)
}

/// The number of progress steps of [`run`].
fn total_steps(plan: &Plan, bytes: usize, byte_pairs: usize, pages: usize, ids: usize) -> usize {
    let interleaved = |rows: usize, pairs: usize| rows * plan.reps + pairs * plan.pair_reps;
    let actions = 2 * plan.live.len() * interleaved(bytes, byte_pairs);
    let efficiency = bytes * Sizes::ALL.len();
    let units = 2 * interleaved(pages, 1) + 2 * interleaved(ids, 1);
    let workloads = plan.workload_list.len() * bytes * plan.workload_reps
        + 2 * plan.workload_reps
        + 2 * plan.pair_reps.max(1);
    actions + efficiency + units + workloads
}

/// A one-line description of the machine: CPU model, logical CPUs, OS and architecture.
#[must_use]
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "{model}, {cpus} logical CPUs, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn byte_rows(rows: &[ByteContender], cells: Vec<Vec<Vec<f64>>>, failures: &[u64]) -> Vec<Row> {
    rows.iter()
        .zip(cells)
        .zip(failures)
        .map(|((c, cells), &failures)| Row {
            name: c.name,
            kind: c.kind,
            upstream: c.upstream,
            cells,
            failures,
        })
        .collect()
}

/// Runs each pair `reps` times on `f` and returns the ratios (wrapper / upstream).
fn pair_ratios<P>(
    pairs: &[P],
    name: impl Fn(&P) -> (&'static str, &'static str),
    reps: usize,
    progress: &mut Progress,
    label: &str,
    mut f: impl FnMut(&P, usize) -> (Timed, Timed),
) -> Vec<Vec<f64>> {
    pairs
        .iter()
        .map(|p| {
            let (w, u) = name(p);
            (0..reps)
                .map(|rep| {
                    progress.step(&format!("{label}: {w} against {u}"));
                    let (a, b) = f(p, rep);
                    a.ns_per_op() / b.ns_per_op()
                })
                .collect()
        })
        .collect()
}

/// Runs every page or ID row on each script (one column a script), interleaved; `what` names
/// the rows in the progress line.
fn unit_rows(
    rows: &[UnitContender],
    scripts: &[(&str, UnitScript)],
    what: &str,
    plan: &Plan,
    progress: &mut Progress,
) -> Vec<Row> {
    let names: Vec<_> = rows.iter().map(|c| (c.name, c.upstream)).collect();
    let mut cells = vec![Vec::new(); rows.len()];
    let mut failures = vec![0; rows.len()];
    for (label, script) in scripts {
        let (samples, fails) = interleaved(
            &names,
            plan.reps,
            progress,
            &format!("{what}, {label}"),
            |i| (rows[i].run)(script, plan.passes),
        );
        for (i, s) in samples.into_iter().enumerate() {
            cells[i].push(s);
            failures[i] += fails[i];
        }
    }
    rows.iter()
        .zip(cells)
        .zip(&failures)
        .map(|((c, cells), &failures)| Row {
            name: c.name,
            kind: c.kind,
            upstream: c.upstream,
            cells,
            failures,
        })
        .collect()
}

fn unit_pair_table(
    title: &str,
    pairs: &[UnitPair],
    scripts: &[(&str, UnitScript)],
    plan: &Plan,
    progress: &mut Progress,
) -> PairTable {
    let mut rows: Vec<PairRow> = pairs
        .iter()
        .map(|p| PairRow {
            wrapper: p.wrapper,
            upstream: p.upstream,
            ratios: Vec::new(),
        })
        .collect();
    for (label, script) in scripts {
        let ratios = pair_ratios(
            pairs,
            |p| (p.wrapper, p.upstream),
            plan.pair_reps,
            progress,
            &format!("{title}, {label}"),
            |p, _| (p.run)(script, plan.passes),
        );
        for (row, r) in rows.iter_mut().zip(ratios) {
            row.ratios.push(r);
        }
    }
    PairTable {
        title: title.to_string(),
        columns: scripts.iter().map(|(l, _)| (*l).to_string()).collect(),
        rows,
        target: 1.05,
    }
}

/// Runs the report's scenarios under `plan`, with a progress line on stderr unless `quiet`.
#[must_use]
pub fn run(plan: &Plan, quiet: bool) -> Report {
    let start = Instant::now();
    let bytes = byte_contenders();
    let names: Vec<_> = bytes.iter().map(|c| (c.name, c.upstream)).collect();
    let page_rows = page_contenders();
    let id_rows = id_contenders();
    let variants = tlsf_realloc_variants();
    let mut progress = Progress::new(
        total_steps(
            plan,
            bytes.len(),
            pairs(&names).len(),
            page_rows.len(),
            id_rows.len(),
        ),
        quiet,
    );

    // 2. Random actions.
    let mut region = Region::new(plan.region);
    let mut second = Region::new(plan.region);
    let bp = byte_pairs();
    let mut pair_tables = Vec::new();
    let mut actions = Vec::new();
    for with_realloc in [false, true] {
        let mut cells = vec![Vec::new(); bytes.len()];
        let mut failures = vec![0; bytes.len()];
        let mut pair_rows: Vec<PairRow> = bp
            .iter()
            .map(|p| PairRow {
                wrapper: p.wrapper,
                upstream: p.upstream,
                ratios: Vec::new(),
            })
            .collect();
        for &live in &plan.live {
            let script = Script::new(live, plan.actions, with_realloc);
            let label = format!(
                "random actions{}, {live} live",
                if with_realloc { " with realloc" } else { "" }
            );
            let (samples, fails) = interleaved(&names, plan.reps, &mut progress, &label, |i| {
                (bytes[i].actions)(&mut region, &script, plan.passes)
            });
            let ratios = pair_ratios(
                &bp,
                |p| (p.wrapper, p.upstream),
                plan.pair_reps,
                &mut progress,
                &label,
                // The two regions swap sides on every run.
                |p, rep| {
                    let regions = if rep % 2 == 0 {
                        [&mut region, &mut second]
                    } else {
                        [&mut second, &mut region]
                    };
                    (p.actions)(regions, &script, plan.passes)
                },
            );
            for (row, r) in pair_rows.iter_mut().zip(ratios) {
                row.ratios.push(r);
            }
            for (i, s) in samples.into_iter().enumerate() {
                cells[i].push(s);
                failures[i] += fails[i];
            }
        }
        actions.push(Table {
            title: if with_realloc {
                "Random actions with realloc: ns per call".into()
            } else {
                "Random actions: ns per call".into()
            },
            note: format!(
                "At N live blocks (4 B to 2 KiB, biased small; alignment 8, one in eight 16 to 256), \
                 each step frees a random block and allocates a new one{}; ns per allocator call: \
                 the fastest of up to {} passes of {} steps (or {} ms), median of {} interleaved \
                 runs.",
                if with_realloc {
                    ", or one time in three resizes it instead"
                } else {
                    ""
                },
                plan.passes.passes,
                plan.actions,
                plan.passes.budget.as_millis(),
                plan.reps,
            ),
            columns: plan.live.iter().map(|n| format!("N={n}")).collect(),
            keys: plan.live.iter().map(|&n| n as f64).collect(),
            unit: Unit::NsPerOp,
            rows: byte_rows(&bytes, cells, &failures),
        });
        pair_tables.push(PairTable {
            title: if with_realloc {
                "Random actions with realloc".into()
            } else {
                "Random actions".into()
            },
            columns: plan.live.iter().map(|n| format!("N={n}")).collect(),
            rows: pair_rows,
            target: 1.03,
        });
    }
    drop(region);
    drop(second);

    // 3. Heap efficiency.
    let mut region = Region::new(plan.efficiency_region);
    let mut rows = Vec::new();
    for c in &bytes {
        let mut cells = Vec::new();
        for sizes in Sizes::ALL {
            progress.step(&format!("heap efficiency {}: {}", sizes.label(), c.name));
            if c.uses_region {
                cells.push(
                    (0..plan.efficiency_seeds)
                        .map(|seed| (c.efficiency)(&mut region, sizes, seed).percent())
                        .collect(),
                );
            } else {
                cells.push(Vec::new());
            }
        }
        rows.push(Row {
            name: c.name,
            kind: c.kind,
            upstream: c.upstream,
            cells,
            failures: 0,
        });
    }
    let efficiency = Table {
        title: "Heap efficiency: % of the region live at the first failure".into(),
        note: format!(
            "A {} MiB region; three steps in ten free a random live block, the others allocate \
             a random one, until an allocation fails; the share of the region then live in \
             requested bytes; median of {} seeds. The system allocator has no region.",
            plan.efficiency_region >> 20,
            plan.efficiency_seeds
        ),
        columns: Sizes::ALL.iter().map(|s| s.label().to_string()).collect(),
        keys: Vec::new(),
        unit: Unit::Percent,
        rows,
    };
    drop(region);

    // 4. Pages and IDs.
    let mut units = Vec::new();
    let page_scripts = [
        (
            "runs of 1-64 pages, align 1-16 pages",
            UnitScript::runs(plan.page_space, plan.page_runs, plan.run_actions, 64, 16),
        ),
        (
            "single pages at 50% fill",
            UnitScript::singles(plan.page_space, plan.unit_actions),
        ),
    ];
    let rows = unit_rows(&page_rows, &page_scripts, "pages", plan, &mut progress);
    pair_tables.push(unit_pair_table(
        "Pages",
        &page_pairs(),
        &page_scripts,
        plan,
        &mut progress,
    ));
    units.push(Table {
        title: "Pages: ns per call".into(),
        note: format!(
            "4 KiB pages in a {} GiB space. Runs: {} live runs of 1 to 64 pages aligned to 1 to 16 \
             pages, each step frees a random run and allocates a new one. Single pages: three \
             quarters of the space allocated one by one, a random third of them freed, each step \
             frees a random page and allocates one. The fastest of up to {} passes of {} (runs) \
             or {} (single pages) steps, median of {} interleaved runs.",
            (plan.page_space * 4096) >> 30,
            plan.page_runs,
            plan.passes.passes,
            plan.run_actions,
            plan.unit_actions,
            plan.reps,
        ),
        columns: page_scripts.iter().map(|(l, _)| (*l).to_string()).collect(),
        keys: Vec::new(),
        unit: Unit::NsPerOp,
        rows,
    });
    let id_scripts = [
        (
            "runs of 1-16 IDs, align 1-16",
            UnitScript::runs(plan.id_space, plan.id_runs, plan.run_actions, 16, 16),
        ),
        (
            "single IDs at 50% fill",
            UnitScript::singles(plan.id_space, plan.unit_actions),
        ),
    ];
    let rows = unit_rows(&id_rows, &id_scripts, "IDs", plan, &mut progress);
    pair_tables.push(unit_pair_table(
        "IDs",
        &id_pairs(),
        &id_scripts,
        plan,
        &mut progress,
    ));
    units.push(Table {
        title: "IDs: ns per call".into(),
        note: format!(
            "{} IDs; as for pages, with {} live runs of 1 to 16 IDs aligned to 1 to 16.",
            plan.id_space, plan.id_runs
        ),
        columns: id_scripts.iter().map(|(l, _)| (*l).to_string()).collect(),
        keys: Vec::new(),
        unit: Unit::NsPerOp,
        rows,
    });

    // 1. The collection workloads (every row, and the TLSF variants for `vec_push`).
    let mut region = Region::new(plan.region);
    let mut all = bytes.clone();
    all.extend(variants);
    let mut cells = vec![Vec::new(); all.len()];
    for &w in &plan.workload_list {
        let mut samples = vec![Vec::new(); all.len()];
        for rep in 0..plan.workload_reps {
            for k in 0..all.len() {
                let i = if rep % 2 == 0 { k } else { all.len() - 1 - k };
                let c = &all[i];
                if c.kind == Kind::Variant && w != Workload::VecPush {
                    continue;
                }
                progress.step(&format!("{}: {}", w.name(), c.name));
                let t = (c.workload)(&mut region, w, &plan.workloads);
                samples[i].push(t.as_secs_f64() * 1e3);
            }
        }
        for (i, s) in samples.into_iter().enumerate() {
            cells[i].push(s);
        }
    }
    let workloads = Some(Table {
        title: "Collection workloads: ms per run".into(),
        note: format!(
            "The original benchmarks' workloads through an `Allocator` handle (`AllocatorRc` for \
             the workspace's backends){}; median of {} interleaved runs.",
            if plan.workload_list.len() < Workload::ALL.len() {
                " (the others run with `--full` and in `cargo bench`)"
            } else {
                ""
            },
            plan.workload_reps
        ),
        columns: plan
            .workload_list
            .iter()
            .map(|w| w.name().to_string())
            .collect(),
        keys: Vec::new(),
        unit: Unit::Ms,
        rows: byte_rows(&all, cells, &vec![0; all.len()]),
    });
    // The TLSF resize factor: `vec_push_3M` on both, alternating, the fastest of each.
    let tlsf = all.iter().find(|c| c.name == "tlsf");
    let copy = all.iter().find(|c| c.name == "tlsf (copy realloc)");
    let tlsf_push = tlsf.zip(copy).map(|(tlsf, copy)| {
        let reps = plan.pair_reps.max(1);
        let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
        for rep in 0..reps {
            for (c, best) in if rep % 2 == 0 {
                [(tlsf, &mut a), (copy, &mut b)]
            } else {
                [(copy, &mut b), (tlsf, &mut a)]
            } {
                progress.step(&format!("vec_push_3M, resize factor: {}", c.name));
                let t = (c.workload)(&mut region, Workload::VecPush, &plan.workloads);
                *best = best.min(t.as_secs_f64() * 1e3);
            }
        }
        (a, b, reps)
    });
    progress.finish();

    Report {
        plan: plan.name,
        machine: machine(),
        actions,
        pairs: pair_tables,
        pair_reps: plan.pair_reps,
        efficiency,
        units,
        workloads,
        tlsf_push,
        seconds: start.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn pairs_find_upstream_rows() {
        let rows = [("a", Some("b")), ("b", None), ("c", Some("missing"))];
        assert_eq!(pairs(&rows), vec![(0, 1)]);
    }
}
