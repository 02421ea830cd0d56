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
