//! Integration tests: the real `terrace` binary in temporary projects.
//! One binary, one module per area.

mod apply;
mod blocks;
mod bounds;
mod catalog;
mod ci_examples;
mod cli;
mod command;
mod conformance;
mod crash;
mod drift;
mod environments;
mod fixtures;
mod functions;
mod harness;
mod http;
mod language;
mod lock;
mod numbers;
mod ordering;
mod plugin;
mod rest;
mod state;
mod views;
