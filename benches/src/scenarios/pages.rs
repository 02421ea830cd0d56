//! Pages and IDs: runs and single units allocated and freed at random in a partly full space.

use std::time::Instant;

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SEED;
use super::actions::{FAR, Fastest, Passes, Timed, alternate};
use crate::heap::{IdHeap, PageHeap};
use crate::upstream::PAGE;

/// Where the page space starts: 4 GiB, so that every alignment the scenarios ask is possible.
pub const PAGE_SPACE_START: usize = 1 << 32;

/// One request of a script: a run of `count` units at a multiple of `align` units, into
/// `slot`.
#[derive(Clone, Copy, Debug)]
struct Request {
    slot: u32,
    count: u16,
    align: u16,
}

/// A script over a space of units (pages or IDs).
#[derive(Clone, Debug)]
pub struct UnitScript {
    /// Units in the space.
    space: usize,
    /// The runs allocated first, one per slot.
    fill: Vec<Request>,
    /// Slots freed right after the fill (the population is then the other slots).
    thin: Vec<usize>,
    /// The timed steps: free the slot's run, allocate the new one into it.
    steps: Vec<Request>,
}

impl UnitScript {
    /// Runs of 1 to `max_count` units aligned to 1 to `max_align` units (powers of two,
    /// uniform), `live` of them, then `actions` steps.
    ///
    /// # Panics
    ///
    /// If `live` is 0 or at least 2^32, `max_count` is 0, or `max_align` is not a power of
    /// two.
    #[must_use]
    pub fn runs(space: usize, live: usize, actions: usize, max_count: u16, max_align: u16) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x9a9e ^ space as u64);
        let max_align_log2 = max_align.trailing_zeros();
        let request = |rng: &mut ChaCha8Rng, slot: u32| Request {
            slot,
            count: rng.random_range(1..=max_count),
            align: 1 << rng.random_range(0..=max_align_log2),
        };
        let fill = (0..live).map(|_| request(&mut rng, 0)).collect();
        let slots = u32::try_from(live).expect("fewer than 2^32 runs");
        let steps = (0..actions)
            .map(|_| {
                let slot = rng.random_range(0..slots);
                request(&mut rng, slot)
            })
            .collect();
        Self {
            space,
            fill,
            thin: Vec::new(),
            steps,
        }
    }

    /// Single units at half fill: three quarters of the space allocated, a random third of
    /// those freed, then `actions` steps each freeing a random unit and allocating one.
    ///
    /// # Panics
    ///
    /// If `space` is below 4 or above 2^33.
    #[must_use]
    pub fn singles(space: usize, actions: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x5146 ^ space as u64);
        let filled = space / 4 * 3;
        let one = Request {
            slot: 0,
            count: 1,
            align: 1,
        };
        let mut thin = sample(&mut rng, filled, filled / 3).into_vec();
        thin.sort_unstable();
        let slots = u32::try_from(filled - thin.len()).expect("fewer than 2^32 units");
        let steps = (0..actions)
            .map(|_| Request {
                slot: rng.random_range(0..slots),
                ..one
            })
            .collect();
        Self {
            space,
            fill: vec![one; filled],
            thin,
            steps,
        }
    }

    /// Units in the space.
    #[must_use]
    pub fn space(&self) -> usize {
        self.space
    }
}

/// A page or ID allocator seen as units.
trait Units {
    fn take(&mut self, count: usize, align: usize) -> Option<usize>;
    fn give(&mut self, start: usize, count: usize, align: usize) -> bool;
}

/// Pages as units: counts and alignments in pages, addresses in bytes.
struct Pages<'a, P: ?Sized>(&'a mut P);

impl<P: PageHeap + ?Sized> Units for Pages<'_, P> {
    #[inline]
    fn take(&mut self, count: usize, align: usize) -> Option<usize> {
        self.0.alloc_pages(count, align * PAGE)
    }

    #[inline]
    fn give(&mut self, start: usize, count: usize, align: usize) -> bool {
        self.0.dealloc_pages(start, count, align * PAGE)
    }
}

/// IDs as units.
struct Ids<'a, I: ?Sized>(&'a mut I);

impl<I: IdHeap + ?Sized> Units for Ids<'_, I> {
    #[inline]
    fn take(&mut self, count: usize, align: usize) -> Option<usize> {
        self.0.alloc_id(count, align)
    }

    #[inline]
    fn give(&mut self, start: usize, count: usize, _align: usize) -> bool {
        self.0.dealloc_id(start, count)
    }
}

/// Runs `script` on a page allocator `P` over `script.space()` pages from
/// [`PAGE_SPACE_START`]: fill, thin, then `passes` timed passes of the steps.
pub fn run_pages<P: PageHeap>(script: &UnitScript, passes: Passes) -> Timed {
    let mut pages = P::new_boxed(PAGE_SPACE_START, script.space * PAGE);
    run(&mut Pages(&mut *pages), script, passes)
}

/// Runs `script` on an ID allocator `I` over the IDs `0..script.space()`.
pub fn run_ids<I: IdHeap>(script: &UnitScript, passes: Passes) -> Timed {
    let mut ids = I::new_boxed(0, script.space);
    run(&mut Ids(&mut *ids), script, passes)
}

/// A live run: start, count, alignment.
type Run = Option<(usize, usize, usize)>;

/// Runs the script's fill and thinning; returns the live runs and the failed requests.
fn populate<U: Units>(units: &mut U, script: &UnitScript) -> (Vec<Run>, u64) {
    let mut live: Vec<Run> = script
        .fill
        .iter()
        .map(|r| {
            let (count, align) = (usize::from(r.count), usize::from(r.align));
            units.take(count, align).map(|start| (start, count, align))
        })
        .collect();
    let fill_failures = live.iter().filter(|r| r.is_none()).count() as u64;
    if !script.thin.is_empty() {
        let mut thin = script.thin.iter().peekable();
        let mut index = 0;
        live.retain(|run| {
            let drop = thin.next_if_eq(&&index).is_some();
            index += 1;
            if drop {
                if let Some((start, count, align)) = *run {
                    assert!(units.give(start, count, align), "a fill run was refused");
                }
            }
            !drop
        });
    }
    (live, fill_failures)
}

fn free_all<U: Units>(units: &mut U, live: &[Run]) {
    for &(start, count, align) in live.iter().flatten() {
        assert!(units.give(start, count, align), "a live run was refused");
    }
}

fn run<U: Units>(units: &mut U, script: &UnitScript, passes: Passes) -> Timed {
    let (mut live, fill_failures) = populate(units, script);
    let mut fastest = Fastest::new(passes.budget);
    for _ in 0..passes.passes {
        fastest.pass(|deadline| pass(units, &mut live, &script.steps, deadline));
        if fastest.spent() {
            break;
        }
    }
    free_all(units, &live);
    fastest.finish(fill_failures)
}

/// Runs the script on two allocators at once, their timed passes alternating (A B, B A, ...),
/// as [`actions::run_pair`](super::actions::run_pair) does.
fn run_pair<U: Units, V: Units>(
    u: &mut U,
    v: &mut V,
    script: &UnitScript,
    passes: Passes,
) -> (Timed, Timed) {
    let (lu, fu) = populate(u, script);
    let (lv, fv) = populate(v, script);
    // Both lists in one allocation: they are large (tens of MiB for single pages in 4 GiB)
    // and read at random, so how the memory under each happens to be mapped changes the time
    // per step by more than the allocators differ; one allocation makes it alike for both.
    let split = lu.len();
    let mut both = lu;
    both.extend(lv);
    let (lu, lv) = both.split_at_mut(split);
    let (tu, tv) = alternate(
        passes,
        || pass(u, lu, &script.steps, *FAR),
        || pass(v, lv, &script.steps, *FAR),
    );
    free_all(u, lu);
    free_all(v, lv);
    (tu.finish(fu), tv.finish(fv))
}

/// [`run_pages`] on a wrapper `P` and its upstream crate `Q` at once, passes alternating.
pub fn run_pair_pages<P: PageHeap, Q: PageHeap>(
    script: &UnitScript,
    passes: Passes,
) -> (Timed, Timed) {
    let mut p = P::new_boxed(PAGE_SPACE_START, script.space * PAGE);
    let mut q = Q::new_boxed(PAGE_SPACE_START, script.space * PAGE);
    run_pair(&mut Pages(&mut *p), &mut Pages(&mut *q), script, passes)
}

/// [`run_ids`] on a wrapper `I` and its upstream crate `J` at once, passes alternating.
pub fn run_pair_ids<I: IdHeap, J: IdHeap>(script: &UnitScript, passes: Passes) -> (Timed, Timed) {
    let mut i = I::new_boxed(0, script.space);
    let mut j = J::new_boxed(0, script.space);
    run_pair(&mut Ids(&mut *i), &mut Ids(&mut *j), script, passes)
}

#[inline(never)]
fn pass<U: Units>(
    units: &mut U,
    live: &mut [Run],
    steps: &[Request],
    deadline: Instant,
) -> (u64, u64) {
    let mut ops = 0;
    let mut failures = 0;
    for (i, step) in steps.iter().enumerate() {
        if i % 256 == 255 && Instant::now() >= deadline {
            break;
        }
        let slot = &mut live[step.slot as usize];
        if let Some((start, count, align)) = slot.take() {
            ops += 1;
            let freed = units.give(start, count, align);
            debug_assert!(freed, "a live run was refused");
        }
        let (count, align) = (usize::from(step.count), usize::from(step.align));
        ops += 1;
        *slot = units.take(count, align).map(|start| (start, count, align));
        failures += u64::from(slot.is_none());
    }
    (ops, failures)
}
