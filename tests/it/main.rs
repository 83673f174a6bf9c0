//! Integration tests: the real `terrace` binary in temporary projects.
//! One binary, one module per area.

mod apply;
mod catalog;
mod ci_examples;
mod crash;
mod environments;
mod fixtures;
mod harness;
mod lock;
mod state;
mod views;
