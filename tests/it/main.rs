//! dockhand's one integration-test binary.

mod harness;
mod openai_server;

mod backends;
mod generate;
mod prompts;
mod regen;
mod session;
mod review;
mod safety;
mod peers;
mod validate;
