//! Random actions at 200 to 30,000 live blocks over every byte heap, without and with
//! realloc. One iteration is one pass of the script's steps.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use benches::Region;
use benches::contenders::byte_contenders;
use benches::plan::Plan;
use benches::scenarios::actions::{Passes, Script};

fn random_actions(c: &mut Criterion) {
    let plan = Plan::for_criterion();
    let mut region = Region::new(plan.region);
    for realloc in [false, true] {
        let mut group = c.benchmark_group(if realloc {
            "random_actions_realloc"
        } else {
            "random_actions"
        });
        group.sample_size(10);
        for &live in &plan.live {
            // Short passes: the slow heaps (linked_list_allocator at 30,000 blocks) take
            // tens of microseconds per call.
            let script = Script::new(live, plan.actions / 5, realloc);
            group.throughput(Throughput::Elements(script.steps() as u64));
            for row in byte_contenders().iter().filter(|r| r.in_main_tables()) {
                group.bench_with_input(BenchmarkId::new(row.name, live), &script, |b, script| {
                    b.iter_custom(|iters| {
                        (row.actions)(&mut region, script, Passes::exactly(iters)).elapsed
                    });
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, random_actions);
criterion_main!(benches);
