//! The table of contenders: every scenario runs over every row.
//!
//! A row is a name, a kind, and the scenarios instantiated for its type, whose constructor
//! takes the region ([`ByteHeap::new_in`], [`PageHeap::new_boxed`], [`IdHeap::new_boxed`]).
//! Add a row here and every benchmark and the report pick it up.

use std::time::Duration;

use allocator::{
    AllocatorRc, BitmapIdAllocator, BitmapPageAllocator, BuddyByteAllocator, ByteAllocator,
    SlabByteAllocator, TlsfByteAllocator,
};

use allocator_bitmap::Ids64K;

use crate::heap::{ByteHeap, IdHeap, PageHeap};
use crate::peers::{BuddyFrames, BumpHeap, CopyRealloc, LinkedListHeap, SystemHeap, TalcHeap};
use crate::rc::HeapRc;
use crate::region::Region;
use crate::scenarios::actions::{self, Passes, Script, Timed};
use crate::scenarios::efficiency::{self, Efficiency, Sizes};
use crate::scenarios::pages::{self, UnitScript};
use crate::scenarios::workloads::{self, Workload, WorkloadSizes};
use crate::upstream::{PAGE, RawBitmapIds, RawBitmapPages, RawBuddy, RawSlab, RawTlsf};

/// What a row is, for the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A backend of this workspace.
    Workspace,
    /// The upstream crate a backend wraps, called directly.
    Upstream,
    /// An allocator users pick instead.
    Peer,
    /// The hosted reference (the system allocator).
    Reference,
    /// The floor: a bump allocator.
    Floor,
    /// A variant of a backend, for one comparison (not in the main tables).
    Variant,
}

impl Kind {
    /// A label for tables.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Workspace => "workspace",
            Self::Upstream => "upstream",
            Self::Peer => "peer",
            Self::Reference => "reference",
            Self::Floor => "floor",
            Self::Variant => "variant",
        }
    }
}

/// A byte heap row.
#[derive(Clone, Copy, Debug)]
pub struct ByteContender {
    /// Its name in tables and plots.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// For a workspace backend: the name of the row of the upstream crate it wraps.
    pub upstream: Option<&'static str>,
    /// Whether it allocates from the region it is given (the system allocator does not).
    pub uses_region: bool,
    /// The random actions over this heap.
    pub actions: fn(&mut Region, &Script, Passes) -> Timed,
    /// The heap efficiency of this heap.
    pub efficiency: fn(&mut Region, Sizes, u64) -> Efficiency,
    /// A collection workload over this heap through an `Allocator` handle.
    pub workload: fn(&mut Region, Workload, &WorkloadSizes) -> Duration,
}

impl ByteContender {
    /// A row for a heap that is not a `ByteAllocator`: the workloads use [`HeapRc`].
    fn raw<H: ByteHeap>(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            upstream: None,
            uses_region: true,
            actions: actions::run::<H>,
            efficiency: efficiency::run::<H>,
            workload: workload_raw::<H>,
        }
    }

    /// A row for a `ByteAllocator` of this workspace: the workloads use `AllocatorRc`.
    fn backend<A: ByteAllocator + Default>(
        name: &'static str,
        kind: Kind,
        upstream: Option<&'static str>,
    ) -> Self {
        Self {
            upstream,
            workload: workload_backend::<A>,
            ..Self::raw::<A>(name, kind)
        }
    }

    /// Whether this row appears in the main tables and plots.
    #[must_use]
    pub fn in_main_tables(&self) -> bool {
        self.kind != Kind::Variant
    }
}

fn workload_raw<H: ByteHeap>(region: &mut Region, w: Workload, sizes: &WorkloadSizes) -> Duration {
    // SAFETY: `region` is exclusively borrowed while the handle and every collection using it
    // live: all are dropped inside `workloads::run` or at the end of this function.
    let handle = HeapRc::new(unsafe { H::new_in(region.start(), region.len()) });
    workloads::run(&handle, w, sizes)
}

fn workload_backend<A: ByteAllocator + Default>(
    region: &mut Region,
    w: Workload,
    sizes: &WorkloadSizes,
) -> Duration {
    // SAFETY: as in `workload_raw`: the region outlives the handle and every block.
    let handle = unsafe {
        AllocatorRc::from_raw_region(A::default(), region.start() as usize, region.len())
    }
    .expect("the backend refused the region");
    workloads::run(&handle, w, sizes)
}

/// The byte heap rows, each workspace backend beside the upstream crate it wraps.
#[must_use]
pub fn byte_contenders() -> Vec<ByteContender> {
    vec![
        ByteContender::backend::<BuddyByteAllocator>(
            "buddy",
            Kind::Workspace,
            Some("buddy_system_allocator"),
        ),
        ByteContender::raw::<RawBuddy>("buddy_system_allocator", Kind::Upstream),
        ByteContender::backend::<SlabByteAllocator>(
            "slab",
            Kind::Workspace,
            Some("ax_slab_allocator"),
        ),
        ByteContender::raw::<RawSlab>("ax_slab_allocator", Kind::Upstream),
        ByteContender::backend::<TlsfByteAllocator>("tlsf", Kind::Workspace, Some("rlsf")),
        ByteContender::raw::<RawTlsf>("rlsf", Kind::Upstream),
        ByteContender::raw::<TalcHeap>("talc", Kind::Peer),
        ByteContender::raw::<LinkedListHeap>("linked_list_allocator", Kind::Peer),
        ByteContender::raw::<SystemHeap>("system", Kind::Reference),
        ByteContender::raw::<BumpHeap>("bump", Kind::Floor),
    ]
    .into_iter()
    .map(|row| ByteContender {
        uses_region: row.kind != Kind::Reference,
        ..row
    })
    .collect()
}

/// A page allocator row (4 KiB pages) or an ID allocator row.
#[derive(Clone, Copy, Debug)]
pub struct UnitContender {
    /// Its name.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// For a workspace backend: the upstream row.
    pub upstream: Option<&'static str>,
    /// Runs a page or ID script.
    pub run: fn(&UnitScript, Passes) -> Timed,
}

/// The page allocator rows.
#[must_use]
pub fn page_contenders() -> Vec<UnitContender> {
    fn row<P: PageHeap>(
        name: &'static str,
        kind: Kind,
        upstream: Option<&'static str>,
    ) -> UnitContender {
        UnitContender {
            name,
            kind,
            upstream,
            run: pages::run_pages::<P>,
        }
    }
    vec![
        row::<BitmapPageAllocator<PAGE>>("bitmap", Kind::Workspace, Some("bitmap-allocator")),
        row::<RawBitmapPages>("bitmap-allocator", Kind::Upstream, None),
        row::<BuddyFrames>("buddy frames", Kind::Peer, None),
    ]
}

/// The ID allocator rows (64 Ki IDs).
#[must_use]
pub fn id_contenders() -> Vec<UnitContender> {
    fn row<I: IdHeap>(
        name: &'static str,
        kind: Kind,
        upstream: Option<&'static str>,
    ) -> UnitContender {
        UnitContender {
            name,
            kind,
            upstream,
            run: pages::run_ids::<I>,
        }
    }
    vec![
        row::<BitmapIdAllocator<Ids64K>>("bitmap", Kind::Workspace, Some("bitmap-allocator")),
        row::<RawBitmapIds>("bitmap-allocator", Kind::Upstream, None),
    ]
}

/// The TLSF backend with the allocate-copy-free `realloc`, beside the real one (for the
/// in-place resize factor).
#[must_use]
pub fn tlsf_realloc_variants() -> Vec<ByteContender> {
    vec![ByteContender::backend::<CopyRealloc<TlsfByteAllocator>>(
        "tlsf (copy realloc)",
        Kind::Variant,
        None,
    )]
}

/// A wrapper and the upstream crate it wraps, for the random actions: both run at once, their
/// passes alternating ([`actions::run_pair`]), so that the ratio is fair on a busy machine.
#[derive(Clone, Copy, Debug)]
pub struct BytePair {
    /// The wrapper's row name.
    pub wrapper: &'static str,
    /// The upstream crate's row name.
    pub upstream: &'static str,
    /// Runs a script on both.
    pub actions: fn([&mut Region; 2], &Script, Passes) -> (Timed, Timed),
}

/// The byte heap pairs.
#[must_use]
pub fn byte_pairs() -> Vec<BytePair> {
    fn pair<A: ByteHeap, B: ByteHeap>(wrapper: &'static str, upstream: &'static str) -> BytePair {
        BytePair {
            wrapper,
            upstream,
            actions: actions::run_pair::<A, B>,
        }
    }
    vec![
        pair::<BuddyByteAllocator, RawBuddy>("buddy", "buddy_system_allocator"),
        pair::<SlabByteAllocator, RawSlab>("slab", "ax_slab_allocator"),
        pair::<TlsfByteAllocator, RawTlsf>("tlsf", "rlsf"),
    ]
}

/// A page or ID wrapper and its upstream crate, run at once (passes alternating).
#[derive(Clone, Copy, Debug)]
pub struct UnitPair {
    /// The wrapper's row name.
    pub wrapper: &'static str,
    /// The upstream crate's row name.
    pub upstream: &'static str,
    /// Runs a script on both.
    pub run: fn(&UnitScript, Passes) -> (Timed, Timed),
}

/// The page allocator pairs.
#[must_use]
pub fn page_pairs() -> Vec<UnitPair> {
    vec![UnitPair {
        wrapper: "bitmap",
        upstream: "bitmap-allocator",
        run: pages::run_pair_pages::<BitmapPageAllocator<PAGE>, RawBitmapPages>,
    }]
}

/// The ID allocator pairs.
#[must_use]
pub fn id_pairs() -> Vec<UnitPair> {
    vec![UnitPair {
        wrapper: "bitmap",
        upstream: "bitmap-allocator",
        run: pages::run_pair_ids::<BitmapIdAllocator<Ids64K>, RawBitmapIds>,
    }]
}
