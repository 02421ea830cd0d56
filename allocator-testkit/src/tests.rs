//! The testkit's own tests: a correct toy passes, each broken toy is caught by the right check.

use crate::{
    ByteConfig, Failure, check_byte_contract, check_byte_random,
    toys::{ByteBug, ToyBytes},
};

fn byte_config() -> ByteConfig {
    let mut config = ByteConfig::default().with_ops(if cfg!(miri) { 300 } else { 20_000 });
    config.max_live = if cfg!(miri) { 32 } else { 256 };
    if !cfg!(miri) {
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
fn overlapping_blocks_are_caught() {
    assert_caught(random(ByteBug::Overlap), "random/overlap");
    assert_caught(contract(ByteBug::Overlap), "contract/add-memory-overlap");
}

#[test]
fn misaligned_blocks_are_caught() {
    assert_caught(random(ByteBug::Misalign), "random/misaligned");
    assert_caught(contract(ByteBug::CapsAlign), "contract/alignment");
}

#[test]
fn wrong_used_bytes_is_caught() {
    assert_caught(random(ByteBug::UsedUnderreported), "random/used-bounds");
    assert_caught(random(ByteBug::UsedLeaks), "random/not-restored");
}

#[test]
fn lost_contents_are_caught() {
    assert_caught(random(ByteBug::LosesContents), "random/contents");
    assert_caught(contract(ByteBug::LosesContents), "contract/realloc");
}

#[test]
fn region_errors_are_caught() {
    assert_caught(
        contract(ByteBug::AcceptsOverlap),
        "contract/add-memory-overlap",
    );
    assert_caught(contract(ByteBug::InitTwice), "contract/init-twice");
}

#[test]
fn shared_zero_size_blocks_are_caught() {
    assert_caught(contract(ByteBug::SharedZeroSize), "contract/zero-size");
}

#[test]
fn failed_requests_that_change_state_are_caught() {
    assert_caught(
        contract(ByteBug::FailureCounts),
        "contract/add-memory-overlap",
    );
}

#[test]
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

fn page_config() -> PageConfig {
    let mut config = PageConfig::default().with_ops(if cfg!(miri) { 200 } else { 20_000 });
    config.contract_size = if cfg!(miri) { 256 << 10 } else { 4 << 20 };
    config.random_size = if cfg!(miri) { 256 << 10 } else { 4 << 20 };
    config
}

fn id_config() -> IdConfig {
    let mut config = IdConfig::default().with_ops(if cfg!(miri) { 200 } else { 20_000 });
    config.contract_size = if cfg!(miri) { 128 } else { 1024 };
    config.random_size = if cfg!(miri) { 128 } else { 1024 };
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
    let (contract, random) = pages(UnitBug::None);
    contract.unwrap();
    random.unwrap();
    let (contract, random) = ids(UnitBug::None);
    contract.unwrap();
    random.unwrap();
    let stats = check_page_random(|| ToyPages::new(UnitBug::None), &page_config()).unwrap();
    assert!(stats.allocs > 1000 && stats.no_memory > 0, "{stats:?}");
}

#[test]
fn double_free_is_caught() {
    let (contract, random) = pages(UnitBug::DoubleFree);
    assert_caught(contract, "contract/dealloc-not-allocated");
    assert_caught(random, "random/wrong-result");
    assert_caught(ids(UnitBug::DoubleFree).0, "contract/dealloc-not-allocated");
}

#[test]
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
