//! dockhand's one integration-test binary.

mod harness;
mod openai_server;

mod generate;
mod prompts;
mod regen;
mod session;
mod peers;
mod validate;
