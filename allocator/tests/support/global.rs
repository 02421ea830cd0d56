//! The std workload of the `#[global_allocator]` test binaries: the process's own allocator is
//! a `Locked` heap over a static 256 MiB region, initialised at the start of `main`.

// Test data: every truncating cast below is of a value already reduced below the target type's range.
#![allow(dead_code, unreachable_pub, clippy::cast_possible_truncation)]

use core::cell::UnsafeCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use allocator::{ByteAllocator, Locked};

/// The size of the static region.
pub const REGION_SIZE: usize = 256 << 20;

/// A static, page-aligned region; lands in `.bss`, so it costs nothing until touched.
#[repr(C, align(4096))]
pub struct Region(UnsafeCell<[u8; REGION_SIZE]>);

// SAFETY: the region is only reached through the heap, which is `Sync` (behind its lock), and
// through blocks it hands out, each owned by one user.
unsafe impl Sync for Region {}

impl Region {
    pub const fn new() -> Self {
        Self(UnsafeCell::new([0; REGION_SIZE]))
    }

    pub fn start(&self) -> usize {
        self.0.get() as usize
    }

    pub fn contains(&self, addr: usize) -> bool {
        (self.start()..self.start() + REGION_SIZE).contains(&addr)
    }
}

/// Declares the binary's heap: `static HEAP: Locked<$ty>`, made by `$new`, as the
/// `#[global_allocator]`, over `static REGION`; and `init_heap`, which gives it the region (see
/// [`init`]), run as an ELF constructor and to be called again first thing in `main`.
macro_rules! global_heap {
    ($ty:ty = $new:expr) => {
        static REGION: global::Region = global::Region::new();

        #[global_allocator]
        static HEAP: allocator::Locked<$ty> = allocator::Locked::new($new);

        extern "C" fn init_heap() {
            global::init(&HEAP, &REGION);
        }

        // Runs before std's start-up, which already allocates (see `global::init`).
        #[cfg(target_os = "linux")]
        #[used]
        #[unsafe(link_section = ".init_array")]
        static INIT_HEAP: extern "C" fn() = init_heap;
    };
}

pub(crate) use global_heap;

/// Gives `heap` the region, unless it has memory already.
///
/// A kernel calls this first thing in its entry point. A hosted process cannot: std allocates
/// before `main` (the main thread's handle), so each binary also calls it from an ELF
/// constructor (`.init_array`), which runs before std's start-up; `main` then calls it again
/// for targets without one.
pub fn init<A: ByteAllocator>(heap: &Locked<A>, region: &'static Region) {
    if heap.is_initialized() {
        return;
    }
    // SAFETY: the region is a static used by nothing else: it is handed to the heap for the
    // rest of the program.
    unsafe { heap.init(region.start(), REGION_SIZE) }.expect("init of the global heap failed");
}

/// Runs the workload and checks the statistics: `used_bytes` back to its start value (within
/// 4 KiB), and, if `total_slack` is given, `total_bytes` within that many bytes of the region's
/// size and unchanged (a two-level heap grows, so it passes `None`). The workload's largest
/// `Vec` grows to `largest_vec` bytes.
pub fn run<A: ByteAllocator>(
    name: &str,
    heap: &Locked<A>,
    region: &'static Region,
    total_slack: Option<usize>,
    largest_vec: usize,
) {
    let total = heap.total_bytes();
    if let Some(slack) = total_slack {
        assert!(
            total <= REGION_SIZE && total + slack >= REGION_SIZE,
            "{name}: total {total}"
        );
    }
    // Warm up what std keeps for the whole run (stdout's buffer), then take the start value.
    println!("{name}: global heap of {total} bytes");
    let start_used = heap.used_bytes();

    let boxed = Box::new(42u64);
    assert!(
        region.contains(&*boxed as *const u64 as usize),
        "{name}: Box not in the region"
    );
    drop(boxed);

    collections(name);
    formatting();
    threads(region);
    large_realloc(region, largest_vec);

    let used = heap.used_bytes();
    println!("{name}: used {start_used} bytes at the start, {used} at the end, peak checks passed");
    assert!(
        used <= start_used + 4096,
        "{name}: {} bytes not freed",
        used - start_used
    );
    if total_slack.is_some() {
        assert_eq!(heap.total_bytes(), total, "{name}: total changed");
    }
}

fn collections(name: &str) {
    let mut map: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut hash: HashMap<u64, String> = HashMap::new();
    let mut queue: VecDeque<(u64, Box<[u8]>)> = VecDeque::new();
    for i in 0..20_000u64 {
        map.entry(format!("key_{}", i % 5_000)).or_default().push(i);
        hash.insert(i, format!("{name}-{i}"));
        queue.push_back((
            i,
            vec![(i % 251) as u8; (i % 300) as usize].into_boxed_slice(),
        ));
        if queue.len() > 1_000 {
            let (j, old) = queue.pop_front().unwrap();
            assert_eq!(old.len() as u64, j % 300);
            assert!(old.iter().all(|&b| u64::from(b) == j % 251));
        }
        if i % 3 == 0 {
            hash.remove(&(i / 2));
        }
    }
    assert_eq!(map.len(), 5_000);
    assert!(map.values().all(|v| v.len() == 4));
    for (k, v) in &hash {
        assert_eq!(v, &format!("{name}-{k}"));
    }
    let mut sorted: Vec<u64> = hash.keys().copied().collect();
    sorted.sort_unstable();
    assert!(sorted.windows(2).all(|w| w[0] < w[1]));
}

fn formatting() {
    let mut s = String::new();
    for i in 0..50_000 {
        write!(s, "{i:>8}|{:x}|{:?};", i * 31, [i, i + 1]).unwrap();
    }
    assert!(s.starts_with("       0|0|[0, 1];"));
    let parts: Vec<&str> = s.split(';').collect();
    assert_eq!(parts.len(), 50_001);
    let upper = s.to_uppercase();
    assert_eq!(upper.len(), s.len());
}

fn threads(region: &'static Region) {
    let shared = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut mine: Vec<Vec<u32>> = Vec::new();
                for i in 0..20_000u32 {
                    let len = ((i * 7 + t) % 200) as usize;
                    let v: Vec<u32> = (0..len as u32).map(|x| x ^ t << 24).collect();
                    assert!(v.is_empty() || region.contains(v.as_ptr() as usize));
                    mine.push(v);
                    if mine.len() > 500 {
                        let v = mine.swap_remove((i as usize * 13) % mine.len());
                        assert!(
                            v.iter()
                                .enumerate()
                                .all(|(x, &y)| y == (x as u32) ^ t << 24)
                        );
                    }
                    if i % 1_000 == 0 {
                        shared.lock().unwrap().push(vec![t; 100]);
                    }
                }
                for v in mine {
                    assert!(
                        v.iter()
                            .enumerate()
                            .all(|(x, &y)| y == (x as u32) ^ t << 24)
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let shared = Arc::try_unwrap(shared).unwrap().into_inner().unwrap();
    assert_eq!(shared.len(), 80);
}

/// A `Vec` grown by pushes (so by `realloc`) to `len` bytes, checked, then shrunk.
fn large_realloc(region: &'static Region, len: usize) {
    let mut v: Vec<u8> = Vec::new();
    for i in 0..len {
        v.push((i % 251) as u8);
    }
    assert!(region.contains(v.as_ptr() as usize));
    assert!(v.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    v.truncate(1000);
    v.shrink_to_fit();
    assert!(v.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
}
