//! The comparison report: `cargo run --release -p benches [-- --full] [-- --out DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use benches::plan::Plan;
use benches::report;

const USAGE: &str = "\
usage: cargo run --release -p benches -- [--full] [--out DIR] [--quiet]

Runs the random actions, heap efficiency, page/ID and collection scenarios over every
allocator, prints markdown tables and writes report.md and SVG plots into DIR
(default: target/report of the workspace).

  --full    the long version (more steps, runs and seeds)
  --out DIR where to write the files
  --quiet   no progress line

  --one ROW N [realloc]   only one run of the random actions of the byte heap ROW at N live
                          blocks (for profilers, e.g. valgrind --tool=callgrind
                          --toggle-collect='*actions::pass*')
  --one-pages ROW runs|single   the same for a page allocator (--toggle-collect='*pages::pass*')
  --one-ids ROW runs|single     the same for an ID allocator";

fn main() -> ExitCode {
    let mut plan = Plan::quick();
    let mut out = None;
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--full" => plan = Plan::full(),
            "--quiet" => quiet = true,
            "--out" => match args.next() {
                Some(dir) => out = Some(PathBuf::from(dir)),
                None => {
                    eprintln!("--out needs a directory\n\n{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            "--one" => return one(args.collect()),
            "--one-pages" => return one_units(true, args.collect()),
            "--one-ids" => return one_units(false, args.collect()),
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            // `cargo bench` passes `--bench` to every target; nothing to do for it here.
            "--bench" => {}
            other => {
                eprintln!("unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run with --release for meaningful figures");
    }
    let out = out.unwrap_or_else(default_out);
    let report = report::run(&plan, quiet);
    println!("{}", report::markdown(&report));
    match report::write_files(&report, &out) {
        Ok(paths) => {
            println!("Written:");
            for p in paths {
                println!("  {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write into {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

/// `--one ROW N [realloc]`: one run of the random actions, its figure on stdout.
fn one(args: Vec<String>) -> ExitCode {
    let rows = benches::contenders::byte_contenders();
    let (Some(name), Some(Ok(live))) = (args.first(), args.get(1).map(|n| n.parse::<usize>()))
    else {
        eprintln!("--one needs a row and a number of live blocks\n\n{USAGE}");
        return ExitCode::FAILURE;
    };
    let Some(row) = rows.iter().find(|r| r.name == name) else {
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        eprintln!("no row {name:?}; rows: {}", names.join(", "));
        return ExitCode::FAILURE;
    };
    let plan = Plan::quick();
    let realloc = args.get(2).is_some_and(|a| a == "realloc");
    let script = benches::scenarios::actions::Script::new(live, plan.actions, realloc);
    let mut region = benches::Region::new(plan.region);
    // One timed pass without a time limit: the same steps for every row, even under a
    // profiler.
    let passes = benches::scenarios::actions::Passes {
        passes: 1,
        budget: std::time::Duration::from_secs(3600),
    };
    let t = (row.actions)(&mut region, &script, passes);
    println!(
        "{name} N={live}{}: {:.2} ns per call (fastest pass), {} calls, {} failures",
        if realloc { " with realloc" } else { "" },
        t.ns_per_op,
        t.ops,
        t.failures
    );
    ExitCode::SUCCESS
}

/// `--one-pages` and `--one-ids`: one run of a page or ID scenario, its figure on stdout.
fn one_units(pages: bool, args: Vec<String>) -> ExitCode {
    use benches::scenarios::pages::UnitScript;
    let plan = Plan::quick();
    let rows = if pages {
        benches::contenders::page_contenders()
    } else {
        benches::contenders::id_contenders()
    };
    let (Some(name), Some(kind)) = (args.first(), args.get(1)) else {
        eprintln!("a row and `runs` or `single` are needed\n\n{USAGE}");
        return ExitCode::FAILURE;
    };
    let Some(row) = rows.iter().find(|r| r.name == name) else {
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        eprintln!("no row {name:?}; rows: {}", names.join(", "));
        return ExitCode::FAILURE;
    };
    let (space, live, max) = if pages {
        (plan.page_space, plan.page_runs, 64)
    } else {
        (plan.id_space, plan.id_runs, 16)
    };
    let script = match kind.as_str() {
        "runs" => UnitScript::runs(space, live, plan.run_actions, max, 16),
        "single" => UnitScript::singles(space, plan.unit_actions),
        _ => {
            eprintln!("`runs` or `single`, not {kind:?}");
            return ExitCode::FAILURE;
        }
    };
    let t = (row.run)(&script, benches::scenarios::actions::Passes::exactly(1));
    println!(
        "{name} {kind}: {:.2} ns per call, {} calls, {} failures",
        t.ns_per_op, t.ops, t.failures
    );
    ExitCode::SUCCESS
}

/// `$CARGO_TARGET_DIR/report`, or `target/report` of the workspace.
fn default_out() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/report"),
        |dir| PathBuf::from(dir).join("report"),
    )
}
