//! `dockhand mcp`: dockhand's checks served over the Model Context Protocol (stdio), on the
//! official Rust SDK (`rmcp`).
//!
//! An assistant that can call `validate` while it writes fixes its own mistakes before
//! dockhand has to send them back. The tools (see [`tools::definitions`]): `validate`,
//! `extract`, `prompts_list`, `prompt_render`, `generate` (staged; it writes only with
//! `apply: true`, under the run lock, the dirty check and the same contract as
//! `dockhand generate`) and `regen_check`. Each has a JSON schema for its input.
//!
//! A tool that cannot run answers with a JSON-RPC error whose message is dockhand's own
//! (`-32602` for arguments that do not fit the schema, `-32000` for everything else).
//! Nothing but the protocol is written to stdout: the library never prints, and this
//! module writes only through the transport.

pub mod tools;

use std::path::PathBuf;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use crate::error::Error;
use crate::settings::Env;

/// Why a tool call failed.
#[derive(Debug)]
pub enum ToolError {
    /// The arguments do not fit the tool's schema.
    Arguments(String),
    /// dockhand could not do it.
    Dockhand(Error),
}

impl From<Error> for ToolError {
    fn from(e: Error) -> Self {
        ToolError::Dockhand(e)
    }
}

/// JSON-RPC code for a dockhand error (the implementation-defined server-error range).
pub const DOCKHAND_ERROR: i32 = -32000;

impl From<ToolError> for ErrorData {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::Arguments(m) => ErrorData::invalid_params(m, None),
            ToolError::Dockhand(e) => {
                ErrorData::new(ErrorCode(DOCKHAND_ERROR), e.to_string(), None)
            }
        }
    }
}

/// The server: the project root it serves and the environment it was started with.
#[derive(Debug, Clone)]
pub struct Server {
    pub root: PathBuf,
    pub env: Env,
}

impl Server {
    pub fn new(root: PathBuf, env: Env) -> Server {
        Server { root, env }
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("dockhand", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "dockhand checks Kubernetes manifests, Dockerfiles and Helm charts against strict \
                 schemas and the project's policies. Call `validate` on what you write before \
                 you answer, and fix every error-level finding.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::definitions()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let value = tools::call(self, &request.name, args).await?;
        Ok(CallToolResult::structured(value).into())
    }
}

/// Serve on stdin/stdout until the client closes the connection.
pub async fn serve(server: Server) -> Result<(), Error> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::Mcp {
            stage: "initializing",
            message: e.to_string(),
        })?;
    running.waiting().await.map_err(|e| Error::Mcp {
        stage: "serving",
        message: e.to_string(),
    })?;
    Ok(())
}
