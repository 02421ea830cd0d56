//! Heap efficiency: prints the share of a 16 MiB region live at the first failed allocation
//! for every byte heap, and times that run (allocations and frees until the heap is full).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use benches::Region;
use benches::contenders::byte_contenders;
use benches::plan::Plan;
use benches::scenarios::efficiency::Sizes;

fn efficiency(c: &mut Criterion) {
    let plan = Plan::for_criterion();
    let mut region = Region::new(plan.efficiency_region);
    let rows: Vec<_> = byte_contenders()
        .into_iter()
        .filter(|r| r.uses_region && r.in_main_tables())
        .collect();
    for sizes in Sizes::ALL {
        println!("heap efficiency, sizes {}:", sizes.label());
        for row in &rows {
            let e = (row.efficiency)(&mut region, sizes, 0);
            println!(
                "  {:<24} {:5.1} % live ({} blocks)",
                row.name,
                e.percent(),
                e.live_blocks
            );
        }
        let mut group = c.benchmark_group(format!("fill_until_full_{sizes:?}").to_lowercase());
        group.sample_size(10);
        for row in &rows {
            group.bench_function(BenchmarkId::from_parameter(row.name), |b| {
                b.iter(|| (row.efficiency)(&mut region, sizes, 0));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, efficiency);
criterion_main!(benches);
