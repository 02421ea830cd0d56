//! `Locked<TlsfByteAllocator>` as this process's `#[global_allocator]` over a static 256 MiB
//! region, running a std workload (see `support/global.rs`).

#[path = "support/global.rs"]
mod global;

use allocator::TlsfByteAllocator;

global::global_heap!(TlsfByteAllocator = TlsfByteAllocator::new());

fn main() {
    init_heap();
    global::run("tlsf", &HEAP, &REGION, Some(64 << 10), 64 << 20);
}
