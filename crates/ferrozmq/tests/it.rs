//! Integration tests, linked into one binary (one module per topic).

#[path = "it/support.rs"]
mod support;

#[path = "it/interop.rs"]
mod interop;
