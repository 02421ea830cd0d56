//! Pages (runs of 1 to 64 pages aligned to 1 to 16 pages in a 4 GiB space; single pages at
//! half fill) and IDs (runs of 1 to 16 aligned to 1 to 16; single IDs at half fill) over
//! every page and ID allocator. One iteration is one pass of the script's steps.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use benches::UnitContender;
use benches::contenders::{id_contenders, page_contenders};
use benches::plan::Plan;
use benches::scenarios::actions::Passes;
use benches::scenarios::pages::UnitScript;

/// One group a script, one benchmark a row in each.
fn bench_scripts(c: &mut Criterion, scripts: &[(&str, UnitScript)], rows: &[UnitContender]) {
    for (name, script) in scripts {
        let mut group = c.benchmark_group(*name);
        group.sample_size(10);
        for row in rows {
            group.bench_with_input(
                BenchmarkId::from_parameter(row.name),
                script,
                |b, script| {
                    b.iter_custom(|iters| (row.run)(script, Passes::exactly(iters)).elapsed);
                },
            );
        }
        group.finish();
    }
}

fn pages(c: &mut Criterion) {
    let plan = Plan::for_criterion();
    let scripts = [
        (
            "page_runs",
            UnitScript::runs(plan.page_space, plan.page_runs, plan.run_actions, 64, 16),
        ),
        (
            "page_single_half_full",
            UnitScript::singles(plan.page_space, plan.unit_actions),
        ),
    ];
    bench_scripts(c, &scripts, &page_contenders());
}

fn ids(c: &mut Criterion) {
    let plan = Plan::for_criterion();
    let scripts = [
        (
            "id_runs",
            UnitScript::runs(plan.id_space, plan.id_runs, plan.run_actions, 16, 16),
        ),
        (
            "id_single_half_full",
            UnitScript::singles(plan.id_space, plan.unit_actions),
        ),
    ];
    bench_scripts(c, &scripts, &id_contenders());
}

criterion_group!(benches, pages, ids);
criterion_main!(benches);
