//! Integration tests: the real `terrace` binary in temporary projects.
//! One binary, one module per area.

mod apply;
mod catalog;
mod ci_examples;
mod cli;
mod command;
mod crash;
mod drift;
mod environments;
mod fixtures;
mod harness;
mod http;
mod lock;
mod plugin;
mod rest;
mod state;
mod views;
