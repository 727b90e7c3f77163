//! How findings are shown. Findings are data (`FileReport`s); each renderer is
//! one implementation of `Report`, chosen by `--format`.

mod json;
mod junit;
mod sarif;
mod text;

pub use json::Json;
pub use junit::Junit;
pub use sarif::Sarif;
pub use text::Text;

use crate::cli::Format;
use crate::validate::FileReport;

pub trait Report {
    /// Render every file's findings to one document.
    fn render(&self, files: &[FileReport]) -> String;
}

pub fn for_format(format: Format, color: bool) -> Box<dyn Report> {
    match format {
        Format::Text => Box::new(Text { color }),
        Format::Json => Box::new(Json),
        Format::Sarif => Box::new(Sarif),
        Format::Junit => Box::new(Junit),
    }
}
