//! `Locked<SlabByteAllocator>` as this process's `#[global_allocator]` over a static 256 MiB
//! region, running a std workload (see `support/global.rs`).

#[path = "support/global.rs"]
mod global;

use allocator::SlabByteAllocator;

global::global_heap!(SlabByteAllocator = SlabByteAllocator::new());

fn main() {
    init_heap();
    global::run("slab", &HEAP, &REGION, Some(0), 64 << 20);
}
