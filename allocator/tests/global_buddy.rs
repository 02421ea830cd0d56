//! `Locked<BuddyByteAllocator>` as this process's `#[global_allocator]` over a static 256 MiB
//! region, running a std workload (see `support/global.rs`).

#[path = "support/global.rs"]
mod global;

use allocator::BuddyByteAllocator;

global::global_heap!(BuddyByteAllocator = BuddyByteAllocator::new());

fn main() {
    init_heap();
    global::run("buddy", &HEAP, &REGION, Some(64 << 10), 64 << 20);
}
