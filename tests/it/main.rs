//! Integration tests: the real `terrace` binary in temporary projects.
//! One binary, one module per area.

mod apply;
mod ci_examples;
mod crash;
mod fixtures;
mod harness;
mod lock;
mod state;
mod views;
