//! Workloads shared by the collection tests: the original's collection tests, on stable with
//! allocator-api2's `Vec` and hashbrown's `HashMap`, generic over the allocator handle.

// Test data: every truncating cast below is of a value already reduced below the target type's range.
#![allow(dead_code, unreachable_pub, clippy::cast_possible_truncation)]

use core::alloc::Layout;
use core::hash::BuildHasherDefault;
use core::ptr::NonNull;
use std::collections::hash_map::DefaultHasher;

use allocator_api2::alloc::Allocator;
use allocator_api2::vec::Vec as AVec;

/// A small seeded generator (SplitMix64): deterministic runs without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// A size biased to small ones: mostly up to 64 bytes, sometimes up to 4 KiB, rarely up to
    /// 64 KiB.
    pub fn size(&mut self) -> usize {
        match self.below(16) {
            0 => 1 + self.below(64 * 1024),
            1..=3 => 1 + self.below(4096),
            _ => 1 + self.below(64),
        }
    }

    /// A power-of-two alignment, mostly small, up to 4 KiB.
    pub fn align(&mut self) -> usize {
        match self.below(8) {
            0 => 1 << self.below(13),
            _ => 1 << self.below(4),
        }
    }
}

/// The byte at offset `i` of the block with tag `tag`.
pub fn pattern(tag: u64, i: usize) -> u8 {
    (tag.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8
}

/// Writes `tag`'s pattern into `len` bytes at `ptr`.
///
/// # Safety
///
/// `ptr` is valid for writes of `len` bytes.
pub unsafe fn fill(ptr: *mut u8, len: usize, tag: u64) {
    for i in 0..len {
        // SAFETY: in bounds (caller).
        unsafe { ptr.add(i).write(pattern(tag, i)) };
    }
}

/// Checks `tag`'s pattern in `len` bytes at `ptr`.
///
/// # Safety
///
/// `ptr` is valid for reads of `len` bytes.
pub unsafe fn check(ptr: *const u8, len: usize, tag: u64) {
    for i in 0..len {
        // SAFETY: in bounds (caller).
        let got = unsafe { ptr.add(i).read() };
        assert_eq!(got, pattern(tag, i), "block {tag}: byte {i} corrupted");
    }
}

/// 3,000,000 pushed `u32`s, sorted and checked.
pub fn vec_sort<A: Allocator>(alloc: A, rng: &mut Rng) {
    const N: usize = if cfg!(miri) { 3_000 } else { 3_000_000 };
    let mut v = AVec::new_in(alloc);
    let mut sum = 0u64;
    for _ in 0..N {
        let x = rng.next_u64() as u32;
        sum += u64::from(x);
        v.push(x);
    }
    v.sort_unstable();
    assert_eq!(v.len(), N);
    assert!(v.windows(2).all(|w| w[0] <= w[1]), "not sorted");
    assert_eq!(
        v.iter().map(|&x| u64::from(x)).sum::<u64>(),
        sum,
        "contents changed"
    );
}

/// 30,000 `Vec<u64>` of capacity 64 and 7,500 of capacity 520, filled, then checked and freed
/// in shuffled order.
pub fn many_vecs<A: Allocator + Clone>(alloc: A, rng: &mut Rng) {
    let (small, large) = if cfg!(miri) {
        (300, 75)
    } else {
        (30_000, 7_500)
    };
    let mut vecs = Vec::with_capacity(small + large);
    for i in 0..small + large {
        let cap = if i < small { 64 } else { 520 };
        let mut v = AVec::with_capacity_in(cap, alloc.clone());
        v.extend((0..cap as u64).map(|j| (i as u64) << 20 | j));
        assert_eq!(v.as_ptr() as usize % 8, 0, "misaligned");
        vecs.push((i as u64, v));
    }
    rng.shuffle(&mut vecs);
    for (i, v) in vecs {
        assert!(
            v.iter().enumerate().all(|(j, &x)| x == i << 20 | j as u64),
            "vec {i} corrupted"
        );
    }
}

/// 50,000 steps on a `HashMap<Vec<u8>, usize>`: 1 in 5 removes a key (the oldest still present
/// every other time, a random one otherwise), else inserts `key_N`; then checks every entry.
pub fn hash_map<A: Allocator + Clone>(alloc: A, rng: &mut Rng) {
    let steps = if cfg!(miri) { 500 } else { 50_000 };
    let mut map: hashbrown::HashMap<AVec<u8, A>, usize, BuildHasherDefault<DefaultHasher>, A> =
        hashbrown::HashMap::with_hasher_in(BuildHasherDefault::default(), alloc.clone());
    let mut model: Vec<usize> = Vec::new();
    let key = |n: usize| {
        let mut k = AVec::new_in(alloc.clone());
        k.extend_from_slice(format!("key_{n}").as_bytes());
        k
    };
    for step in 0..steps {
        if rng.below(5) == 0 && !model.is_empty() {
            let at = if step % 2 == 0 {
                0
            } else {
                rng.below(model.len())
            };
            let n = model.remove(at);
            assert_eq!(map.remove(&key(n)), Some(n), "key_{n} lost");
        } else {
            assert_eq!(map.insert(key(step), step), None);
            model.push(step);
        }
    }
    assert_eq!(map.len(), model.len());
    for n in model {
        assert_eq!(map.get(&key(n)), Some(&n), "key_{n} wrong");
    }
}

/// Random sizes and alignments allocated, patterned, grown or shrunk, checked and freed in
/// random order, through the `Allocator` trait directly (zero sizes included).
pub fn random_blocks<A: Allocator>(alloc: &A, rng: &mut Rng) {
    let rounds = if cfg!(miri) { 200 } else { 20_000 };
    let mut live: Vec<(NonNull<u8>, Layout, u64)> = Vec::new();
    for tag in 0..rounds as u64 {
        match rng.below(8) {
            0..=2 => {
                let size = if rng.below(50) == 0 { 0 } else { rng.size() };
                let layout = Layout::from_size_align(size, rng.align()).unwrap();
                let block = alloc.allocate(layout).expect("allocation failed");
                let ptr = block.cast::<u8>();
                assert_eq!(block.len(), size);
                assert_eq!(ptr.as_ptr() as usize % layout.align(), 0, "misaligned");
                // SAFETY: the block has `size` bytes.
                unsafe { fill(ptr.as_ptr(), size, tag) };
                live.push((ptr, layout, tag));
            }
            3 | 4 if !live.is_empty() => {
                let i = rng.below(live.len());
                let (ptr, old, t) = live[i];
                let new = Layout::from_size_align(rng.size(), rng.align()).unwrap();
                // SAFETY: `ptr` is live with `old`; the size relation picks grow or shrink.
                let block = unsafe {
                    if new.size() >= old.size() {
                        alloc.grow(ptr, old, new)
                    } else {
                        alloc.shrink(ptr, old, new)
                    }
                }
                .expect("resize failed");
                let moved = block.cast::<u8>();
                assert_eq!(
                    moved.as_ptr() as usize % new.align(),
                    0,
                    "misaligned after resize"
                );
                // SAFETY: the kept prefix is valid; the block has `new.size()` bytes.
                unsafe {
                    check(moved.as_ptr(), old.size().min(new.size()), t);
                    fill(moved.as_ptr(), new.size(), tag);
                }
                live[i] = (moved, new, tag);
            }
            _ if !live.is_empty() => {
                let (ptr, layout, t) = live.swap_remove(rng.below(live.len()));
                // SAFETY: live with `layout`, freed once.
                unsafe {
                    check(ptr.as_ptr(), layout.size(), t);
                    alloc.deallocate(ptr, layout);
                }
            }
            _ => {}
        }
        if tag % 1000 == 0 {
            assert_disjoint(&live);
        }
    }
    assert_disjoint(&live);
    rng.shuffle(&mut live);
    for (ptr, layout, t) in live {
        // SAFETY: live with `layout`, freed once.
        unsafe {
            check(ptr.as_ptr(), layout.size(), t);
            alloc.deallocate(ptr, layout);
        }
    }
}

/// Asserts that no two non-empty live blocks overlap.
pub fn assert_disjoint(live: &[(NonNull<u8>, Layout, u64)]) {
    let mut ranges: Vec<(usize, usize)> = live
        .iter()
        .filter(|(_, l, _)| l.size() > 0)
        .map(|(p, l, _)| (p.as_ptr() as usize, p.as_ptr() as usize + l.size()))
        .collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        assert!(
            w[0].1 <= w[1].0,
            "blocks {:x?} and {:x?} overlap",
            w[0],
            w[1]
        );
    }
}
