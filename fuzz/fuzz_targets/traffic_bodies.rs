//! Fuzz target: see `ferrozmq_proto::fuzzing::traffic_with_bodies` for the invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrozmq_proto::fuzzing::traffic_with_bodies(data));
