//! The ChangeSet: what a run would write, with its findings and what is on disk now.

use std::sync::Arc;

use serde::Serialize;

use crate::backend::Answerer;
use crate::backend::cache::CacheEntry;
use crate::library::Template;
use crate::lock::LockEntry;
use crate::validate::diagnostic::Diagnostic;

/// One artifact file a job produced.
#[derive(Debug, Clone, Serialize)]
pub struct StagedFile {
    /// Target path relative to the root.
    pub path: String,
    pub content: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The file as it is on disk now (None when it does not exist).
    #[serde(skip)]
    pub current: Option<String>,
}

impl StagedFile {
    pub fn changed(&self) -> bool {
        self.current.as_deref() != Some(self.content.as_str())
    }
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// One answer in a job's repair loop.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub number: u32,
    /// Who gave this answer (`backend`, `model`).
    #[serde(flatten)]
    pub answerer: Answerer,
    pub from_cache: bool,
    pub hand_written: bool,
    pub errors: usize,
    pub warnings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Everything one job prepared; nothing of it is on disk yet.
#[derive(Debug, Clone)]
pub struct Staged {
    pub template: Arc<Template>,
    pub files: Vec<StagedFile>,
    pub attempts: Vec<Attempt>,
    pub lock: Vec<LockEntry>,
    pub cache: Vec<CacheEntry>,
    /// Who gave the final answer.
    pub answerer: Answerer,
    pub hand_written: bool,
    pub timings: Timings,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub backend_ms: u128,
    pub validate_ms: u128,
    pub total_ms: u128,
}

impl Staged {
    /// No error-level finding in any file.
    pub fn passed(&self) -> bool {
        self.files.iter().all(|f| f.errors() == 0)
    }
    pub fn changed(&self) -> bool {
        self.files.iter().any(StagedFile::changed)
    }
}

/// The ChangeSet of a run: the staged jobs that will be written together.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub jobs: Vec<Staged>,
}
