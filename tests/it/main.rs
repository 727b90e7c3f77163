//! dockhand's one integration-test binary.

mod harness;
mod openai_server;

mod asking;
mod assistants;
mod atomic;
mod backends;
mod cli;
mod contract;
mod generate;
mod mcp;
mod peers;
mod prompts;
mod regen;
mod review;
mod safety;
mod secrets;
mod session;
mod snapshots;
mod validate;
