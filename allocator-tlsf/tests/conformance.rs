//! The shared conformance suite of `allocator-testkit`: the contract cases, and the seeded
//! random workload (1,000,000 operations in a 128 MiB region; scaled down under Miri).

allocator_testkit::byte_allocator_tests!(allocator_tlsf::TlsfByteAllocator::new());
