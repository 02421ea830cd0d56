//! The original benchmarks' four workloads (`vec_push_3M`, `vec_rand_free_25K_64`,
//! `vec_rand_free_7500_520`, `btree_map_50K`) through an `Allocator` handle over every byte
//! heap: `AllocatorRc` for the workspace's backends. `vec_push_3M` also runs the TLSF backend
//! with the allocate-copy-free `realloc`, to show what its in-place resize gains.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use benches::Region;
use benches::contenders::{byte_contenders, tlsf_realloc_variants};
use benches::plan::Plan;
use benches::scenarios::workloads::Workload;

fn workloads(c: &mut Criterion) {
    let plan = Plan::for_criterion();
    let mut region = Region::new(plan.region);
    for w in Workload::ALL {
        let mut group = c.benchmark_group(w.name());
        group.sample_size(10);
        let mut rows = byte_contenders();
        if w == Workload::VecPush {
            rows.extend(tlsf_realloc_variants());
        }
        for row in rows {
            group.bench_function(BenchmarkId::from_parameter(row.name), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| (row.workload)(&mut region, w, &plan.workloads))
                        .sum()
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, workloads);
criterion_main!(benches);
