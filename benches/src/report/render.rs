//! Markdown tables and SVG plots of a [`Report`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Report, Row, Table, Unit, median};
use crate::contenders::Kind;
use crate::svg::{Series, bar_chart, line_plot};

fn fmt_value(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match unit {
        Unit::NsPerOp | Unit::Ms if v >= 100.0 => format!("{v:.0}"),
        Unit::NsPerOp | Unit::Ms | Unit::Percent => format!("{v:.1}"),
    }
}

fn header(out: &mut String, first: &str, columns: &[String]) {
    let _ = writeln!(out, "| {first} | {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(columns.len()));
}

/// Rows that appear in tables (the variants only where they are measured).
fn shown(table: &Table) -> impl Iterator<Item = &Row> {
    table
        .rows
        .iter()
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
}

fn figures(out: &mut String, table: &Table) {
    let _ = writeln!(out, "### {}\n\n{}\n", table.title, table.note);
    header(out, "allocator (kind)", &table.columns);
    for row in shown(table) {
        let cells: Vec<String> = (0..table.columns.len())
            .map(|c| fmt_value(row.median(c), table.unit))
            .collect();
        let failed = if row.failures > 0 {
            format!(" ({} failed requests)", row.failures)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} ({}){failed} | {} |",
            row.name,
            row.kind.label(),
            cells.join(" | ")
        );
    }
    out.push('\n');
}

/// The best (lowest) median of each column among the real allocators (not the floor, not
/// the variants).
fn best(table: &Table) -> Vec<f64> {
    (0..table.columns.len())
        .map(|c| {
            table
                .rows
                .iter()
                .filter(|r| !matches!(r.kind, Kind::Floor | Kind::Variant))
                .map(|r| r.median(c))
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

fn relative(out: &mut String, table: &Table) {
    let best = best(table);
    let _ = writeln!(
        out,
        "Relative to the fastest allocator of each column (1.00 = fastest; the bump floor \
         excluded):\n"
    );
    header(out, "allocator", &table.columns);
    for row in shown(table).filter(|r| r.kind != Kind::Variant) {
        let cells: Vec<String> = best
            .iter()
            .enumerate()
            .map(|(c, b)| {
                let v = row.median(c) / b;
                if v.is_finite() {
                    format!("{v:.2}")
                } else {
                    "–".into()
                }
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", row.name, cells.join(" | "));
    }
    out.push('\n');
}

fn fmt_ratio(r: f64, target: f64) -> String {
    if !r.is_finite() {
        "–".into()
    } else if r <= target {
        format!("{r:.3}")
    } else {
        format!("**{r:.3}**")
    }
}

fn wrappers(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "## Wrappers against their upstream crates\n\nTime of the wrapper divided by the time \
         of the upstream crate it wraps, called directly in the same scenario code. Both run at \
         once over their own regions, their timed passes alternating (A B, B A, ...), and each \
         takes its fastest pass; the median of {} such runs (below 1 the wrapper was faster). \
         Ratios above each table's target are in bold.\n",
        report.pair_reps
    );
    for table in &report.pairs {
        let _ = writeln!(
            out,
            "{} (target: at most {:.2}):\n",
            table.title, table.target
        );
        header(out, "wrapper / upstream", &table.columns);
        for row in &table.rows {
            let cells: Vec<String> = row
                .ratios
                .iter()
                .map(|r| fmt_ratio(median(r), table.target))
                .collect();
            let _ = writeln!(
                out,
                "| {} / {} | {} |",
                row.wrapper,
                row.upstream,
                cells.join(" | ")
            );
        }
        out.push('\n');
    }
}

fn versus_talc(out: &mut String, report: &Report) {
    let mut lines = String::new();
    for table in &report.actions {
        let Some(talc) = table.row("talc") else {
            continue;
        };
        header(
            &mut lines,
            &table.title.replace(": ns per call", ""),
            &table.columns,
        );
        for row in table.rows.iter().filter(|r| r.kind == Kind::Workspace) {
            let cells: Vec<String> = (0..table.columns.len())
                .map(|c| format!("{:.2}", talc.median(c) / row.median(c)))
                .collect();
            let _ = writeln!(lines, "| {} | {} |", row.name, cells.join(" | "));
        }
        lines.push('\n');
    }
    if !lines.is_empty() {
        let _ = writeln!(
            out,
            "## The workspace's backends against talc\n\nTime of talc divided by the time of \
             each backend (above 1 the backend is faster than talc).\n\n{lines}"
        );
    }
}

fn realloc_factor(out: &mut String, report: &Report) {
    let Some((a, b, reps)) = report.tlsf_push else {
        return;
    };
    let _ = writeln!(
        out,
        "## TLSF: in-place realloc\n\n`vec_push_3M` through `AllocatorRc<TlsfByteAllocator>`: \
         {a:.2} ms; the same growth by allocate-copy-free (the trait's provided `realloc`): \
         {b:.2} ms (the fastest of {reps} alternating runs each): factor {:.2}.\n",
        b / a
    );
}

/// The markdown report.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Allocator comparison\n\nMachine: {}. Plan: {} (`cargo run --release -p benches{}`), \
         {:.0} s. Seeds are fixed; figures vary with the machine and its load.\n",
        report.machine,
        report.plan,
        if report.plan == "full" {
            " -- --full"
        } else {
            ""
        },
        report.seconds
    );
    wrappers(&mut out, report);
    versus_talc(&mut out, report);
    realloc_factor(&mut out, report);
    let _ = writeln!(out, "## Random actions\n");
    for table in &report.actions {
        figures(&mut out, table);
        relative(&mut out, table);
    }
    let _ = writeln!(out, "## Heap efficiency\n");
    figures(&mut out, &report.efficiency);
    let _ = writeln!(out, "## Pages and IDs\n");
    for table in &report.units {
        figures(&mut out, table);
    }
    if let Some(table) = &report.workloads {
        let _ = writeln!(out, "## Collection workloads\n");
        figures(&mut out, table);
        relative(&mut out, table);
    }
    out
}

fn ops_plot(table: &Table) -> String {
    let series: Vec<Series> = shown(table)
        .filter(|r| r.kind != Kind::Variant)
        .map(|r| Series {
            name: r.name.to_string(),
            points: table
                .keys
                .iter()
                .enumerate()
                .map(|(c, &n)| (n, 1e9 / r.median(c)))
                .filter(|p| p.1.is_finite())
                .collect(),
        })
        .collect();
    line_plot(
        &table
            .title
            .replace(": ns per call", ": operations per second"),
        "live blocks",
        "allocator calls per second",
        &series,
    )
}

fn efficiency_plot(table: &Table) -> String {
    // Every row but the variants, so that each keeps the colour it has in the other plots; a
    // row without figures (the system allocator has no region) gets no bars.
    let series: Vec<(String, Vec<f64>)> = table
        .rows
        .iter()
        .filter(|r| r.kind != Kind::Variant)
        .map(|r| {
            let values: Vec<f64> = (0..table.columns.len()).map(|c| r.median(c)).collect();
            let name = if values.iter().all(|v| v.is_nan()) {
                format!("{} (no region)", r.name)
            } else {
                r.name.to_string()
            };
            (name, values)
        })
        .collect();
    let groups: Vec<&str> = table.columns.iter().map(String::as_str).collect();
    bar_chart(
        "Heap efficiency: % of a 16 MiB region live at the first failure",
        "% live",
        100.0,
        &groups,
        &series,
    )
}

/// Writes `report.md` and the SVG plots into `dir` (created if needed) and returns their
/// paths.
///
/// # Errors
///
/// Any I/O error.
pub fn write_files(report: &Report, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = vec![(dir.join("report.md"), markdown(report))];
    for (table, name) in report
        .actions
        .iter()
        .zip(["random_actions.svg", "random_actions_realloc.svg"])
    {
        files.push((dir.join(name), ops_plot(table)));
    }
    files.push((
        dir.join("heap_efficiency.svg"),
        efficiency_plot(&report.efficiency),
    ));
    for (path, text) in &files {
        std::fs::write(path, text)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
