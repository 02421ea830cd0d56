//! One-line test suites.

/// Stamps `#[test]` functions that run the byte-allocator suite on an allocator made by `$new`
/// (an expression evaluated once per fresh allocator), optionally with a
/// [`ByteConfig`](crate::ByteConfig): `byte_contract` (the contract cases) and `byte_random`
/// (the random workload), so the two run in parallel.
///
/// ```ignore
/// allocator_testkit::byte_allocator_tests!(my_crate::MyHeap::new());
/// allocator_testkit::byte_allocator_tests!(my_crate::MyHeap::new(), allocator_testkit::ByteConfig::default().with_ops(10_000));
/// ```
///
/// Wrap each call in its own `mod` to test several allocators in one file.
#[macro_export]
macro_rules! byte_allocator_tests {
    ($new:expr $(,)?) => {
        $crate::byte_allocator_tests!($new, $crate::ByteConfig::default());
    };
    ($new:expr, $config:expr $(,)?) => {
        #[test]
        fn byte_contract() {
            if let Err(failure) = $crate::check_byte_contract(|| $new, &$config) {
                panic!("{failure}");
            }
        }

        #[test]
        fn byte_random() {
            match $crate::check_byte_random(|| $new, &$config) {
                Ok(stats) => println!("{stats:?}"),
                Err(failure) => panic!("{failure}"),
            }
        }
    };
}
