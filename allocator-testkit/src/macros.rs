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

/// Stamps `#[test]` functions that run the page-allocator suite on allocators made by `$new`:
/// `page_contract` and `page_random`, optionally with a [`PageConfig`](crate::PageConfig).
///
/// For allocators too large for the stack, give an expression that makes a `Box` (or anything
/// that derefs to the allocator) after the keyword `boxed`.
///
/// ```ignore
/// allocator_testkit::page_allocator_tests!(allocator_bitmap::BitmapPageAllocator::<4096>::new());
/// allocator_testkit::page_allocator_tests!(boxed: make_boxed_allocator(), my_config());
/// ```
#[macro_export]
macro_rules! page_allocator_tests {
    (boxed: $new:expr $(,)?) => {
        $crate::page_allocator_tests!(boxed: $new, $crate::PageConfig::default());
    };
    (boxed: $new:expr, $config:expr $(,)?) => {
        #[test]
        fn page_conformance() {
            if let Err(failure) = $crate::check_page_allocator_boxed(|| $new, &$config) {
                panic!("{failure}");
            }
        }
    };
    ($new:expr $(,)?) => {
        $crate::page_allocator_tests!($new, $crate::PageConfig::default());
    };
    ($new:expr, $config:expr $(,)?) => {
        #[test]
        fn page_contract() {
            if let Err(failure) = $crate::check_page_contract(|| $new, &$config) {
                panic!("{failure}");
            }
        }

        #[test]
        fn page_random() {
            match $crate::check_page_random(|| $new, &$config) {
                Ok(stats) => println!("{stats:?}"),
                Err(failure) => panic!("{failure}"),
            }
        }
    };
}

/// Stamps `#[test]` functions that run the ID-allocator suite on allocators made by `$new`:
/// `id_contract` and `id_random`, optionally with an [`IdConfig`](crate::IdConfig).
///
/// ```ignore
/// allocator_testkit::id_allocator_tests!(allocator_bitmap::BitmapIdAllocator::<allocator_bitmap::Ids4K>::new());
/// ```
#[macro_export]
macro_rules! id_allocator_tests {
    ($new:expr $(,)?) => {
        $crate::id_allocator_tests!($new, $crate::IdConfig::default());
    };
    ($new:expr, $config:expr $(,)?) => {
        #[test]
        fn id_contract() {
            if let Err(failure) = $crate::check_id_contract(|| $new, &$config) {
                panic!("{failure}");
            }
        }

        #[test]
        fn id_random() {
            match $crate::check_id_random(|| $new, &$config) {
                Ok(stats) => println!("{stats:?}"),
                Err(failure) => panic!("{failure}"),
            }
        }
    };
}
