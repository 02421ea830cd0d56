//! Random actions at a steady number of live blocks: operations per second against the
//! heap's population.

use std::alloc::Layout;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{SEED, random_layout};
use crate::heap::ByteHeap;
use crate::region::Region;

/// Sizes of the random actions: 4 bytes to 2 KiB.
const MAX_LOG2: u32 = 10;

/// One step of the script.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// The slot (live block) it acts on.
    slot: u32,
    /// The new size.
    size: u32,
    /// The new alignment's log2 (for a replacement; a resize keeps the old alignment).
    align_log2: u8,
    /// Resize the slot's block instead of freeing it and allocating a new one.
    resize: bool,
}

/// The requests of one run: the blocks that make up the population, then the steps.
#[derive(Clone, Debug)]
pub struct Script {
    fill: Vec<Layout>,
    steps: Vec<Step>,
}

impl Script {
    /// `live` blocks, then `actions` steps, each on a random block: free it and allocate a
    /// new random one, or (one time in three when `with_realloc`) resize it to a random size.
    ///
    /// # Panics
    ///
    /// If `live` is 0 or at least 2^32.
    #[must_use]
    pub fn new(live: usize, actions: usize, with_realloc: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ live as u64);
        let fill = (0..live)
            .map(|_| random_layout(&mut rng, MAX_LOG2))
            .collect();
        let slots = u32::try_from(live).expect("fewer than 2^32 live blocks");
        let steps = (0..actions)
            .map(|_| {
                let layout = random_layout(&mut rng, MAX_LOG2);
                Step {
                    slot: rng.random_range(0..slots),
                    size: u32::try_from(layout.size()).expect("small sizes"),
                    align_log2: u8::try_from(layout.align().trailing_zeros())
                        .expect("small alignments"),
                    resize: with_realloc && rng.random_range(0..3) == 0,
                }
            })
            .collect();
        Self { fill, steps }
    }

    /// The number of live blocks.
    #[must_use]
    pub fn live(&self) -> usize {
        self.fill.len()
    }

    /// The number of steps of one pass.
    #[must_use]
    pub fn steps(&self) -> usize {
        self.steps.len()
    }
}

/// What a run measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timed {
    /// Time of the fastest timed pass, per allocator call, in nanoseconds.
    pub ns_per_op: f64,
    /// Time of all timed passes.
    pub elapsed: Duration,
    /// Allocator calls in all timed passes (a free and an allocation are two, a resize one).
    pub ops: u64,
    /// Requests that failed (the slot stays empty, or keeps its block for a resize).
    pub failures: u64,
}

impl Timed {
    /// Nanoseconds per allocator call.
    #[must_use]
    pub fn ns_per_op(&self) -> f64 {
        self.ns_per_op
    }
}

/// How long a run may take: up to `passes` timed passes, and no new pass (and no more steps
/// of a pass) once `budget` is spent. A slow heap thus runs fewer steps, which its figure
/// (per call) does not depend on.
#[derive(Clone, Copy, Debug)]
pub struct Passes {
    /// Timed passes at most.
    pub passes: u32,
    /// Time after which the run stops (checked every 256 steps).
    pub budget: Duration,
}

/// The fastest pass per call, over passes timed one by one: a pass that the scheduler
/// interrupted on a shared machine does not count.
#[derive(Debug)]
pub(crate) struct Fastest {
    best: f64,
    elapsed: Duration,
    ops: u64,
    failures: u64,
    start: Instant,
    budget: Duration,
}

impl Fastest {
    pub(crate) fn new(budget: Duration) -> Self {
        Self {
            best: f64::INFINITY,
            elapsed: Duration::ZERO,
            ops: 0,
            failures: 0,
            start: Instant::now(),
            budget,
        }
    }

    /// The instant after which passes stop.
    pub(crate) fn deadline(&self) -> Instant {
        self.start + self.budget
    }

    /// Times one pass, which returns (calls, failures).
    pub(crate) fn pass(&mut self, f: impl FnOnce(Instant) -> (u64, u64)) {
        let deadline = self.deadline();
        let start = Instant::now();
        let (ops, failures) = f(deadline);
        let elapsed = start.elapsed();
        self.elapsed += elapsed;
        if ops > 0 {
            self.best = self.best.min(elapsed.as_secs_f64() * 1e9 / ops as f64);
        }
        self.ops += ops;
        self.failures += failures;
    }

    /// Whether the budget is spent.
    pub(crate) fn spent(&self) -> bool {
        Instant::now() >= self.deadline()
    }

    pub(crate) fn finish(self, failures: u64) -> Timed {
        Timed {
            ns_per_op: self.best,
            elapsed: self.elapsed,
            ops: self.ops,
            failures: self.failures + failures,
        }
    }
}

/// Builds a heap `H` over `region`, allocates the script's population, runs one untimed pass
/// of its steps (to reach a steady state), then the timed ones, and frees everything.
pub fn run<H: ByteHeap>(region: &mut Region, script: &Script, passes: Passes) -> Timed {
    let mut h = Populated::<H>::new(region, script, passes.budget);
    let mut fastest = Fastest::new(passes.budget);
    for _ in 0..passes.passes {
        fastest.pass(|deadline| pass(&mut h.heap, &mut h.live, &script.steps, deadline));
        if fastest.spent() {
            break;
        }
    }
    let timed = fastest.finish(h.fill_failures);
    h.free_all();
    timed
}

/// A deadline that is never reached.
pub(crate) static FAR: std::sync::LazyLock<Instant> =
    std::sync::LazyLock::new(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));

/// A heap of the scenario with its population.
struct Populated<H> {
    heap: H,
    live: Vec<Option<(NonNull<u8>, Layout)>>,
    fill_failures: u64,
}

impl<H: ByteHeap> Populated<H> {
    /// Builds the heap over `region`, allocates the population and runs one untimed pass.
    fn new(region: &mut Region, script: &Script, budget: Duration) -> Self {
        // SAFETY: `region` is exclusively borrowed by the caller for the whole life of the
        // heap, which `free_all` consumes before the caller returns; its blocks are not used
        // after that.
        let mut heap = unsafe { H::new_in(region.start(), region.len()) };
        let mut live: Vec<Option<(NonNull<u8>, Layout)>> = script
            .fill
            .iter()
            .map(|&layout| heap.alloc(layout).map(|ptr| (ptr, layout)))
            .collect();
        let fill_failures = live.iter().filter(|slot| slot.is_none()).count() as u64;
        pass(&mut heap, &mut live, &script.steps, Instant::now() + budget);
        // (The warm-up pass may be cut short: it only brings the heap to a steady state.)
        Self {
            heap,
            live,
            fill_failures,
        }
    }

    fn free_all(mut self) {
        for (ptr, layout) in self.live.into_iter().flatten() {
            // SAFETY: a live block of this heap with its layout, freed once.
            unsafe { self.heap.dealloc(ptr, layout) };
        }
    }
}

/// Runs the script on a wrapper `A` and its upstream crate `B` at once, each over its own
/// region: both are populated, then their timed passes alternate (A B, B A, A B, ...) so that
/// whatever else the machine does falls on both alike. Passes are never cut short (both run
/// the same steps); no new pair of passes starts once the budget is spent. Returns both
/// figures.
pub fn run_pair<A: ByteHeap, B: ByteHeap>(
    regions: [&mut Region; 2],
    script: &Script,
    passes: Passes,
) -> (Timed, Timed) {
    let [ra, rb] = regions;
    let mut a = Populated::<A>::new(ra, script, passes.budget);
    let mut b = Populated::<B>::new(rb, script, passes.budget);
    let (fa, fb) = alternate(
        passes,
        || pass(&mut a.heap, &mut a.live, &script.steps, *FAR),
        || pass(&mut b.heap, &mut b.live, &script.steps, *FAR),
    );
    let ta = fa.finish(a.fill_failures);
    let tb = fb.finish(b.fill_failures);
    a.free_all();
    b.free_all();
    (ta, tb)
}

/// Times whole passes of `a` and `b` (each returning calls and failures), alternating A B,
/// B A, A B, ..., up to `passes.passes` pairs and no new pair once twice the budget is spent.
pub(crate) fn alternate(
    passes: Passes,
    mut a: impl FnMut() -> (u64, u64),
    mut b: impl FnMut() -> (u64, u64),
) -> (Fastest, Fastest) {
    let mut fa = Fastest::new(passes.budget * 2);
    let mut fb = Fastest::new(passes.budget * 2);
    for p in 0..passes.passes {
        // Whole passes only (no deadline), so that both run the same steps.
        if p % 2 == 0 {
            fa.pass(|_| a());
            fb.pass(|_| b());
        } else {
            fb.pass(|_| b());
            fa.pass(|_| a());
        }
        if fa.spent() {
            break;
        }
    }
    (fa, fb)
}

/// One pass of the steps, cut short at `deadline`; returns (allocator calls, failed
/// requests).
#[inline(never)]
fn pass<H: ByteHeap>(
    heap: &mut H,
    live: &mut [Option<(NonNull<u8>, Layout)>],
    steps: &[Step],
    deadline: Instant,
) -> (u64, u64) {
    let mut ops = 0;
    let mut failures = 0;
    for (i, step) in steps.iter().enumerate() {
        if i % 256 == 255 && Instant::now() >= deadline {
            break;
        }
        let slot = &mut live[step.slot as usize];
        let size = step.size as usize;
        match slot.take() {
            Some((ptr, old)) if step.resize => {
                ops += 1;
                // SAFETY: a live block of this heap with its layout; on failure it stays
                // live, on success only the new one is used.
                *slot = match unsafe { heap.realloc(ptr, old, size) } {
                    // SAFETY: the old alignment is valid and `size` is small.
                    Some(new) => Some((new, unsafe {
                        Layout::from_size_align_unchecked(size, old.align())
                    })),
                    None => {
                        failures += 1;
                        Some((ptr, old))
                    }
                };
                continue;
            }
            Some((ptr, old)) => {
                ops += 1;
                // SAFETY: a live block of this heap with its layout, freed once.
                unsafe { heap.dealloc(ptr, old) };
            }
            None => {}
        }
        // SAFETY: a power of two up to 256 and a small size.
        let layout = unsafe { Layout::from_size_align_unchecked(size, 1 << step.align_log2) };
        ops += 1;
        *slot = heap.alloc(layout).map(|ptr| (ptr, layout));
        failures += u64::from(slot.is_none());
    }
    (ops, failures)
}
