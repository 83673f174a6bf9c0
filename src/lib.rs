//! terrace: a declarative plan/apply engine for projects of versioned
//! architectures deployed through a chain of environments.
//!
//! The data flows one way, and so do the module dependencies:
//!
//! ```text
//! config  → eval  → plan → apply
//!   HCL      values   diff    concurrent walk
//!            graph            ↘
//!                    provider   state (journal, store, lock)
//! ```
//!
//! | module | owns | reads on disk |
//! | --- | --- | --- |
//! | [`value`] | values with unknown and sensitive marks | nothing |
//! | [`bounded`] | reads with a size limit | what its callers name |
//! | [`diag`] | diagnostics with spans, rendered by miette | nothing |
//! | [`config`] | HCL → typed definitions with spans | `*.hcl` in the root and architectures |
//! | [`catalog`] | catalog indexes, fetching, verifying, the cache | `.terrace/catalog/`, HTTP |
//! | [`graph`] | a generic DAG: order, cycles, DOT | nothing |
//! | [`ids`] | typed indices (`ConfigId`, `ResourceId`, …) and the tables only they index (`IdVec`) | nothing |
//! | [`eval`] | expressions, functions, the environment's node graph | files named by `file()` |
//! | [`provider`] | the `Provider` trait, `terrace_data`, `file`, `command`, `http`, plugins | managed files, commands, REST APIs, plugin processes |
//! | [`state`] | state model, file format, journal, lock file | nothing (its callers' paths) |
//! | [`store`] | the record-store interface (`Backend`, `StateStore`, `Lock`) and the local files behind it | `.terrace/envs/ENV/` |
//! | [`plan`] | refresh, diff, `Plan` as plain data | saved plan files |
//! | [`policy`] | Rego policies on the JSON plan (regorus), `policy test` | the policies' `.rego` files |
//! | [`apply`] | the concurrent walker; the only code that mutates | — |
//! | [`project`] | lifecycle, releases, approvals, audit, attention, export | `.terrace/` beside state |
//! | [`ops`] | the workflows (plan, apply, promote, …): typed requests, typed reports, one error type | through the modules above |
//! | [`render`] | text views of plans, state and outputs | — |
//! | [`server`] | `terrace serve`: HTTP API over [`ops`], tokens, roles, grants | `.terrace-serve/` or the database |
//! | [`cli`] | commands, flags, exit codes | — |
//!
//! `cli`, `server` and `render` sit on top; nothing imports them. The core never
//! prints: it reports through [`apply::Observer`] and returns values.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod address;
pub mod apply;
pub mod bounded;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod diag;
pub mod digest;
pub mod eval;
pub mod graph;
pub mod ids;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod project;
pub mod provider;
pub mod render;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;
pub mod value;
