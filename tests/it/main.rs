//! Integration tests: the real `terrace` binary in temporary projects.
//! One binary, one module per area.

mod apply;
mod backend;
mod blocks;
mod bounds;
mod catalog;
mod ci_examples;
mod cli;
mod command;
mod conformance;
mod consumers;
mod crash;
mod drift;
mod environments;
mod fixtures;
mod functions;
mod harness;
mod http;
mod language;
mod lock;
mod migrate;
mod numbers;
mod ops;
mod ordering;
mod pg;
mod pg_faults;
mod plugin;
mod policies;
mod postgres;
mod records;
mod rest;
mod secrets;
mod serve;
mod state;
mod streams;
mod views;
