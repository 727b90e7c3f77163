//! `dockhand mcp`: serve the MCP tools on stdin/stdout until the client hangs up.
//! Nothing else is written to stdout.

use std::path::PathBuf;

use super::Outcome;
use crate::error::Error;
use crate::mcp::{Server, serve};
use crate::settings::Env;

pub fn run(root: PathBuf, env: &Env) -> Result<Outcome, Error> {
    let rt = super::runtime()?;
    rt.block_on(serve(Server::new(root, env.clone())))?;
    Ok(Outcome::Clean)
}
