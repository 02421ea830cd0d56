//! `Locked<SlabByteAllocator>` as this process's `#[global_allocator]` over a static 256 MiB
//! region, running a std workload (see `support/global.rs`).

#[path = "support/global.rs"]
mod global;

use allocator::{Locked, SlabByteAllocator};

static REGION: global::Region = global::Region::new();

#[global_allocator]
static HEAP: Locked<SlabByteAllocator> = Locked::new(SlabByteAllocator::new());

extern "C" fn init_heap() {
    global::init(&HEAP, &REGION);
}

// Runs before std's start-up, which already allocates (see `global::init`).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static INIT_HEAP: extern "C" fn() = init_heap;

fn main() {
    init_heap();
    global::run("slab", &HEAP, &REGION, Some(0));
}
