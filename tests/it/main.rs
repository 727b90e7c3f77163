//! dockhand's one integration-test binary.

mod harness;
mod openai_server;

mod backends;
mod cli;
mod generate;
mod mcp;
mod peers;
mod prompts;
mod regen;
mod review;
mod safety;
mod session;
mod snapshots;
mod validate;
