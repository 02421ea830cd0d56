#![doc = include_str!("../README.md")]
// The testkit runs on a host: it uses `std`.
#![cfg_attr(docsrs, feature(doc_cfg))]
