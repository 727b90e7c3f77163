//! dockhand's one integration-test binary.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skipped

mod harness;
mod openai_server;

mod asking;
mod assistants;
mod atomic;
mod backends;
mod chart_speed;
mod chart_values;
mod charts;
mod cli;
mod contract;
mod faults;
mod generate;
mod hints;
mod init;
mod justfile;
mod mcp;
mod peers;
mod prompts;
mod realworld;
mod regen;
mod review;
mod safety;
mod secrets;
mod session;
mod snapshots;
mod structure;
mod validate;
