//! The testkit's own tests: a correct toy passes, each broken toy is caught by the right check.

use crate::{
    ByteConfig, Failure, check_byte_contract, check_byte_random,
    toys::{ByteBug, ToyBytes},
};

fn byte_config() -> ByteConfig {
    let mut config = ByteConfig::default().with_ops(if cfg!(miri) { 150 } else { 20_000 });
    config.max_live = if cfg!(miri) { 32 } else { 256 };
    if cfg!(miri) {
        // Every toy request costs Miri tens of milliseconds (a first-fit scan, the model, the
        // pattern): 64 KiB regions, half the default, halve the blocks of the exhaustion,
        // overlap and hole cases. The realloc case needs 64 KiB.
        config.small_region_size = 64 << 10;
    } else {
        config.region_size = 16 << 20;
    }
    config
}

fn contract(bug: ByteBug) -> Result<(), Failure> {
    check_byte_contract(|| ToyBytes::new(bug), &byte_config())
}

fn random(bug: ByteBug) -> Result<(), Failure> {
    check_byte_random(|| ToyBytes::new(bug), &byte_config()).map(|_| ())
}

#[track_caller]
fn assert_caught(result: Result<(), Failure>, check: &str) {
    match result {
        Ok(()) => panic!("the bug was not caught; expected a failure of `{check}`"),
        Err(f) => assert_eq!(f.check(), check, "caught by another check: {f}"),
    }
}

#[test]
fn correct_byte_toy_passes() {
    contract(ByteBug::None).unwrap();
    let stats = check_byte_random(|| ToyBytes::new(ByteBug::None), &byte_config()).unwrap();
    assert_eq!(stats.ops, byte_config().ops);
    assert!(stats.allocs > stats.ops / 3, "{stats:?}");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn overlapping_blocks_are_caught() {
    assert_caught(random(ByteBug::Overlap), "random/overlap");
    assert_caught(contract(ByteBug::Overlap), "contract/add-memory-overlap");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn misaligned_blocks_are_caught() {
    assert_caught(random(ByteBug::Misalign), "random/misaligned");
    assert_caught(contract(ByteBug::CapsAlign), "contract/alignment");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn wrong_used_bytes_is_caught() {
    assert_caught(random(ByteBug::UsedUnderreported), "random/used-bounds");
    let leak = random(ByteBug::UsedLeaks);
    assert_eq!(
        leak.as_ref().err().and_then(Failure::step),
        None,
        "found after the last step"
    );
    assert_eq!(
        leak.as_ref().err().and_then(Failure::seed),
        Some(byte_config().seed)
    );
    assert_caught(leak, "random/not-restored");
}

#[test]
fn lost_contents_are_caught() {
    // Under Miri too: the model finds the missing byte by reading the block's pattern in real
    // memory. The contract half runs every case before `realloc` (seconds under Miri), so it
    // runs natively only.
    assert_caught(random(ByteBug::LosesContents), "random/contents");
    if !cfg!(miri) {
        assert_caught(contract(ByteBug::LosesContents), "contract/realloc");
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn region_errors_are_caught() {
    assert_caught(
        contract(ByteBug::AcceptsOverlap),
        "contract/add-memory-overlap",
    );
    assert_caught(contract(ByteBug::InitTwice), "contract/init-twice");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn shared_zero_size_blocks_are_caught() {
    assert_caught(contract(ByteBug::SharedZeroSize), "contract/zero-size");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn failed_requests_that_change_state_are_caught() {
    assert_caught(
        contract(ByteBug::FailureCounts),
        "contract/add-memory-overlap",
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn lost_memory_is_caught() {
    assert_caught(contract(ByteBug::LeaksLargeFrees), "contract/exhaustion");
}

#[test]
fn failure_names_seed_and_step() {
    let f = random(ByteBug::Overlap).unwrap_err();
    assert_eq!(f.seed(), Some(byte_config().seed));
    let step = f.step().unwrap();
    let text = f.to_string();
    assert!(
        text.contains("random/overlap") && text.contains(&format!("step {step}")),
        "{text}"
    );
    // Replaying with `ops = step + 1` fails on the last operation.
    let replay = check_byte_random(
        || ToyBytes::new(ByteBug::Overlap),
        &byte_config().with_ops(step + 1),
    );
    assert_eq!(replay.unwrap_err().step(), Some(step));
}

use crate::{
    IdConfig, PageConfig, check_id_contract, check_id_random, check_page_contract,
    check_page_random,
    toys::{ToyIds, ToyPages, UnitBug},
};

// Under Miri the unit toys get 16 pages and 32 IDs: every request costs Miri milliseconds per
// unit scanned (the toy's first fit, the model's `has_fit`), and these checks touch no memory.
fn page_config() -> PageConfig {
    let mut config = PageConfig::default().with_ops(if cfg!(miri) { 100 } else { 20_000 });
    config.contract_size = if cfg!(miri) { 64 << 10 } else { 4 << 20 };
    config.random_size = if cfg!(miri) { 64 << 10 } else { 4 << 20 };
    config
}

fn id_config() -> IdConfig {
    let mut config = IdConfig::default().with_ops(if cfg!(miri) { 100 } else { 20_000 });
    config.contract_size = if cfg!(miri) { 32 } else { 1024 };
    config.random_size = if cfg!(miri) { 32 } else { 1024 };
    config
}

fn pages(bug: UnitBug) -> (Result<(), Failure>, Result<(), Failure>) {
    (
        check_page_contract(|| ToyPages::new(bug), &page_config()),
        check_page_random(|| ToyPages::new(bug), &page_config()).map(|_| ()),
    )
}

fn ids(bug: UnitBug) -> (Result<(), Failure>, Result<(), Failure>) {
    (
        check_id_contract(|| ToyIds::new(bug), &id_config()),
        check_id_random(|| ToyIds::new(bug), &id_config()).map(|_| ()),
    )
}

#[test]
fn correct_unit_toys_pass() {
    let (contract, random) = ids(UnitBug::None);
    contract.unwrap();
    random.unwrap();
    // The page random workload runs once, for its statistics too.
    check_page_contract(|| ToyPages::new(UnitBug::None), &page_config()).unwrap();
    let stats = check_page_random(|| ToyPages::new(UnitBug::None), &page_config()).unwrap();
    assert!(
        stats.allocs > stats.ops / 10 && stats.no_memory > 0,
        "{stats:?}"
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn double_free_is_caught() {
    let (contract, random) = pages(UnitBug::DoubleFree);
    assert_caught(contract, "contract/dealloc-not-allocated");
    assert_caught(random, "random/wrong-result");
    assert_caught(ids(UnitBug::DoubleFree).0, "contract/dealloc-not-allocated");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "safe detection logic; the toys run under Miri in the passing tests"
)]
fn unit_bugs_are_caught() {
    // (bug, page contract check, page random check, ID contract check)
    let cases = [
        (
            UnitBug::MiscountsUsed,
            "contract/alloc-at",
            "random/count-mismatch",
            "contract/alloc-at",
        ),
        (
            UnitBug::AllocAtTaken,
            "contract/alloc-at-taken",
            "random/wrong-result",
            "contract/fixed-id-taken",
        ),
        (
            UnitBug::HolesAllocatable,
            "contract/regions-with-holes",
            "random/out-of-region",
            "contract/regions-with-holes",
        ),
        (
            UnitBug::WrongError,
            "contract/unaligned-address",
            "random/wrong-result",
            "contract/out-of-range",
        ),
        (
            UnitBug::PartialFree,
            "contract/dealloc-partial",
            "random/count-mismatch",
            "contract/dealloc-partial",
        ),
        (
            UnitBug::GivesUpEarly,
            "contract/regions-with-holes",
            "random/spurious-no-memory",
            "contract/regions-with-holes",
        ),
        (
            UnitBug::AcceptsOverlap,
            "contract/add-memory-overlap",
            "",
            "contract/add-memory-overlap",
        ),
    ];
    let mut wrong = Vec::new();
    for (bug, page_contract, page_random, id_contract) in cases {
        let (contract, random) = pages(bug);
        let (id, _) = ids(bug);
        for (what, got, want) in [
            ("page contract", contract, page_contract),
            ("page random", random, page_random),
            ("id contract", id, id_contract),
        ] {
            let got = got.err().map(|f| f.check().to_owned()).unwrap_or_default();
            if got != want {
                wrong.push(format!(
                    "{bug:?} {what}: caught by `{got}`, expected `{want}`"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

mod pieces {
    use core::{alloc::Layout, ptr::NonNull};

    use allocator_core::AllocError;

    use crate::{
        ByteModel, Entropy, FuzzInput, HostRegion, IdConfig, PageConfig, TestRng, UnitModel,
        fuzz_byte_allocator, fuzz_id_allocator, fuzz_page_allocator,
        toys::{ByteBug, ToyBytes, ToyIds, ToyPages, UnitBug},
    };

    #[test]
    fn fuzz_input_takes_as_few_bytes_as_needed() {
        let mut input = FuzzInput::new(&[5, 1, 2, 7]);
        assert_eq!(input.below(10), 5);
        assert_eq!(input.below(1000), 513);
        assert_eq!(input.below(1), 0, "a range of one takes no byte");
        assert!(!input.is_exhausted());
        assert_eq!(input.below(256), 7);
        assert!(input.is_exhausted());
        assert_eq!(input.below(100), 0);
    }

    #[test]
    fn host_region_finds_changed_bytes() {
        let region = HostRegion::new(3 * 4096, 4096);
        region.fill(100, 10_000, 0xa5);
        assert_eq!(region.find_not(100, 10_000, 0xa5), None);
        region.fill(9_000, 1, 0);
        assert_eq!(region.find_not(100, 10_000, 0xa5), Some(9_000));
        assert_eq!(region.find_not(0, 200, 0xa5), Some(0));
        assert_eq!(region.find_not(9_001, 1_099, 0xa5), None);
    }

    #[test]
    fn test_rng_is_reproducible() {
        let a: Vec<u64> = (0..4)
            .scan(TestRng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(TestRng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .scan(TestRng::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut r = TestRng::new(1);
        assert!((0..1000).all(|_| r.between(3, 5) >= 3 && r.between(3, 5) <= 5));
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    fn at(region: &HostRegion, offset: usize) -> NonNull<u8> {
        NonNull::new(region.as_ptr().wrapping_add(offset)).unwrap()
    }

    #[test]
    fn byte_model_judges_placement_and_contents() {
        let region = HostRegion::new(4096, 4096);
        let mut model = ByteModel::new();
        model.add_region(region.start(), 4096);
        // SAFETY: (all calls) the blocks lie in `region`, which outlives the model's use.
        unsafe {
            model.insert(at(&region, 0), layout(100, 4)).unwrap();
            assert_eq!(
                model
                    .insert(at(&region, 96), layout(8, 8))
                    .unwrap_err()
                    .rule(),
                "overlap"
            );
            assert_eq!(
                model
                    .insert(at(&region, 50), layout(0, 1))
                    .unwrap_err()
                    .rule(),
                "overlap"
            );
            assert_eq!(
                model
                    .insert(at(&region, 102), layout(8, 4))
                    .unwrap_err()
                    .rule(),
                "misaligned"
            );
            assert_eq!(
                model
                    .insert(at(&region, 4090), layout(8, 2))
                    .unwrap_err()
                    .rule(),
                "out-of-region"
            );
            model.insert(at(&region, 100), layout(0, 4)).unwrap();
            assert_eq!(
                model
                    .insert(at(&region, 100), layout(0, 4))
                    .unwrap_err()
                    .rule(),
                "overlap"
            );
            assert_eq!((model.live_count(), model.live_bytes()), (2, 100));
            assert_eq!(
                model.check_stats(99, 4096).unwrap_err().rule(),
                "used-bounds"
            );
            model.check_stats(100, 4096).unwrap();
            region.fill(42, 1, 0x11);
            region.fill(43, 1, 0x22);
            assert_eq!(model.check(at(&region, 0)).unwrap_err().rule(), "contents");
            assert_eq!(model.remove(at(&region, 0)).unwrap_err().rule(), "contents");
            assert_eq!(model.live_count(), 2, "a failed remove keeps the block");
            assert_eq!(model.remove(at(&region, 100)).unwrap(), layout(0, 4));
            assert_eq!(
                model.remove(at(&region, 100)).unwrap_err().rule(),
                "unknown-block"
            );
        }
    }

    #[test]
    fn byte_model_follows_realloc() {
        let region = HostRegion::new(4096, 4096);
        let mut model = ByteModel::new();
        model.add_region(region.start(), 4096);
        // SAFETY: (all calls) the blocks lie in `region`; the "realloc" copies by hand.
        unsafe {
            model.insert(at(&region, 0), layout(64, 8)).unwrap();
            model.insert(at(&region, 64), layout(64, 8)).unwrap();
            assert_eq!(
                model
                    .resized(at(&region, 0), at(&region, 32), 64)
                    .unwrap_err()
                    .rule(),
                "overlap"
            );
            core::ptr::copy_nonoverlapping(region.as_ptr(), region.as_ptr().add(1024), 63);
            let f = model
                .resized(at(&region, 0), at(&region, 1024), 200)
                .unwrap_err();
            assert_eq!(f.rule(), "contents", "one byte was not copied: {f}");
            region.fill(1024 + 63, 1, 0);
            core::ptr::copy_nonoverlapping(region.as_ptr().add(64), region.as_ptr().add(2048), 64);
            model
                .resized(at(&region, 64), at(&region, 2048), 10)
                .unwrap();
            model.check(at(&region, 2048)).unwrap();
            assert_eq!(model.layout_of(at(&region, 2048)), Some(layout(10, 8)));
        }
    }

    #[test]
    fn unit_model_predicts_every_answer() {
        // Pages of 0x1000 from 0x10_0000; regions are pages 2..6 and 8..12.
        let mut m = UnitModel::new(0x10_0000, 0x1000, 16, 0x4000);
        let page = |p: usize| 0x10_0000 + p * 0x1000;
        let units = m.predict_region(page(2), 4 * 0x1000, true).unwrap();
        m.add_units(units);
        assert_eq!(
            m.predict_region(page(8), 0x4000, true),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            m.predict_region(page(5), 0x2000, false),
            Err(AllocError::MemoryOverlap)
        );
        assert_eq!(
            m.predict_region(page(15), 0x2000, false),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(
            m.predict_region(page(7) + 1, 0x1000, false),
            Err(AllocError::InvalidParam)
        );
        let units = m.predict_region(page(8), 0x4000, false).unwrap();
        m.add_units(units);
        assert_eq!(m.total(), 8);
        assert_eq!(
            m.predict_alloc_at(page(6), 1, 0x1000),
            Err(AllocError::InvalidParam),
            "a hole"
        );
        assert_eq!(
            m.predict_alloc_at(page(5), 2, 0x1000),
            Err(AllocError::InvalidParam),
            "into a hole"
        );
        assert_eq!(
            m.predict_alloc_at(page(3), 1, 0x2000),
            Err(AllocError::InvalidParam),
            "misaligned"
        );
        assert_eq!(
            m.predict_alloc_at(page(4), 1, 0x8000),
            Err(AllocError::InvalidParam),
            "beyond max"
        );
        assert_eq!(
            m.predict_alloc_at(page(4), 0, 0x1000),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(m.predict_alloc_at(page(4), 2, 0x2000), Ok(page(4)));
        m.mark(page(4), 2, true);
        assert_eq!(
            m.predict_alloc_at(page(5), 1, 0x1000),
            Err(AllocError::NoMemory)
        );
        assert_eq!(m.predict_dealloc(page(3), 2), Err(AllocError::NotAllocated));
        assert_eq!(
            m.predict_dealloc(page(4) + 8, 1),
            Err(AllocError::InvalidParam)
        );
        assert_eq!(m.predict_dealloc(page(4), 2), Ok(()));
        assert!(
            m.has_fit(4, 0x4000),
            "pages 8..12 start at a multiple of 0x4000"
        );
        assert!(!m.has_fit(5, 0x1000));
        assert!(m.check_alloc(page(5), 1, 0x1000).is_err());
        m.mark(page(5), 1, false);
        assert_eq!((m.used(), m.runs()), (1, &[(4, 1)][..]));
        m.mark(page(8), 4, true);
        m.mark(page(9), 2, false);
        let mut runs = m.runs().to_vec();
        runs.sort_unstable();
        assert_eq!(runs, [(4, 1), (8, 1), (11, 1)]);
        assert_eq!(m.used(), 3);
    }

    #[test]
    fn fuzz_entry_points_accept_any_bytes() {
        let mut rng = TestRng::new(3);
        let n = if cfg!(miri) { 2 } else { 40 };
        let page_config = PageConfig {
            random_size: 1 << 20,
            ..PageConfig::default()
        };
        let id_config = IdConfig::default().with_window(0, if cfg!(miri) { 256 } else { 4096 });
        for i in 0..n {
            let len = if cfg!(miri) { 200 } else { 4000 };
            let data: Vec<u8> = (0..len)
                .map(|_| u8::try_from(rng.below(256)).unwrap())
                .collect();
            let bytes = &data[..i * len / n.max(1)];
            fuzz_byte_allocator(|| ToyBytes::new(ByteBug::None), bytes).unwrap();
            fuzz_page_allocator(
                || Box::new(ToyPages::new(UnitBug::None)),
                &page_config,
                bytes,
            )
            .unwrap();
            fuzz_id_allocator(|| Box::new(ToyIds::new(UnitBug::None)), &id_config, bytes).unwrap();
        }
        let data: Vec<u8> = (0..20_000)
            .map(|_| u8::try_from(rng.below(256)).unwrap())
            .collect();
        let data = if cfg!(miri) { &data[..2000] } else { &data[..] };
        let found = fuzz_page_allocator(
            || Box::new(ToyPages::new(UnitBug::DoubleFree)),
            &page_config,
            data,
        );
        assert_eq!(found.unwrap_err().check(), "random/wrong-result");
    }
}
