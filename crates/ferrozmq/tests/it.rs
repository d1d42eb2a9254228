//! Integration tests, linked into one binary (one module per topic).

#![allow(unreachable_pub, missing_debug_implementations)]

#[path = "it/support.rs"]
mod support;

#[path = "it/interop.rs"]
mod interop;

#[path = "it/interop_more.rs"]
mod interop_more;

#[path = "it/patterns.rs"]
mod patterns;

#[path = "it/lifecycle.rs"]
mod lifecycle;

#[path = "it/fast_path.rs"]
mod fast_path;

#[path = "it/pacing.rs"]
mod pacing;

#[path = "it/lagging.rs"]
mod lagging;
