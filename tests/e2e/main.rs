//! End-to-end tests: the real gomux binaries in a sandbox (one test binary for the whole suite).

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod cache;
mod cache_base;
mod cache_base_real;
#[cfg(unix)]
mod cache_store;
mod cacheprog;
mod commands;
mod config;
mod deps;
mod doctor;
mod foundation;
mod goproxy;
mod harm_delete;
mod harm_dist;
mod harm_files;
mod harm_input;
mod install;
mod json_docs;
mod one_binary;
mod output;
mod proxy_trace;
mod real_go;
#[cfg(unix)]
mod real_go_store;
mod recipes;
mod selection;
mod setup;
mod snapshots;
