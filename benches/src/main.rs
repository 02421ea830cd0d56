//! Benchmarks and the comparison report.

fn main() {}
