//! Heap efficiency: the share of a region that is live in blocks when the first request
//! fails, under random sizes and frees.

use std::alloc::Layout;
use std::ptr::NonNull;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{SEED, random_layout};
use crate::heap::ByteHeap;
use crate::region::Region;

/// The size mixes measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizes {
    /// 4 bytes to 2 KiB, biased small (as in the random actions).
    Small,
    /// 4 bytes to 64 KiB, biased small.
    Mixed,
}

impl Sizes {
    /// Both mixes.
    pub const ALL: [Self; 2] = [Self::Small, Self::Mixed];

    /// The largest power of two of the sizes drawn.
    #[must_use]
    pub fn max_log2(self) -> u32 {
        match self {
            Self::Small => 10,
            Self::Mixed => 15,
        }
    }

    /// A label for tables.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Small => "4 B..2 KiB",
            Self::Mixed => "4 B..64 KiB",
        }
    }
}

/// What one run found.
#[derive(Clone, Copy, Debug)]
pub struct Efficiency {
    /// Sum of the sizes of the live blocks when the first request failed.
    pub live_bytes: usize,
    /// Live blocks then.
    pub live_blocks: usize,
    /// The region's size.
    pub region: usize,
}

impl Efficiency {
    /// `live_bytes / region`, in percent.
    #[must_use]
    pub fn percent(&self) -> f64 {
        self.live_bytes as f64 * 100.0 / self.region as f64
    }
}

/// Builds a heap `H` over `region` and, from a script seeded by `seed`, frees a random live
/// block three times in ten and otherwise allocates a random one, until an allocation fails.
///
/// # Panics
///
/// If no allocation fails within a bound far beyond what the region can hold (a heap that
/// does not use the region, such as the system allocator).
pub fn run<H: ByteHeap>(region: &mut Region, sizes: Sizes, seed: u64) -> Efficiency {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ seed.rotate_left(32));
    // SAFETY: `region` is exclusively borrowed for the whole life of the heap, which is
    // dropped at the end of this function; its blocks are not used after that.
    let mut heap = unsafe { H::new_in(region.start(), region.len()) };
    let mut live: Vec<(NonNull<u8>, Layout)> = Vec::new();
    let mut live_bytes = 0;
    let bound = region.len();
    let mut result = None;
    for _ in 0..bound {
        if !live.is_empty() && rng.random_range(0..10) < 3 {
            let (ptr, layout) = live.swap_remove(rng.random_range(0..live.len()));
            live_bytes -= layout.size();
            // SAFETY: a live block of this heap with its layout, freed once.
            unsafe { heap.dealloc(ptr, layout) };
            continue;
        }
        let layout = random_layout(&mut rng, sizes.max_log2());
        if let Some(ptr) = heap.alloc(layout) {
            live.push((ptr, layout));
            live_bytes += layout.size();
        } else {
            result = Some(Efficiency {
                live_bytes,
                live_blocks: live.len(),
                region: region.len(),
            });
            break;
        }
    }
    for (ptr, layout) in live {
        // SAFETY: a live block of this heap with its layout, freed once.
        unsafe { heap.dealloc(ptr, layout) };
    }
    result.expect("the heap never ran out of its region")
}
