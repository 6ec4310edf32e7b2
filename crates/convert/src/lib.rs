//! File → pages, text and images. No database, no HTTP (see ARCHITECTURE.md).
//!
//! [`sniff`] tells what an upload really is, [`convert`] turns it into page images (PNG for
//! PDFs and anything LibreOffice renders, SVG for pages we lay out ourselves), page text and
//! a thumbnail, and [`run_supervised`] / [`child_main`] run that in a child process with
//! bounded time and memory, because the input is hostile until proven otherwise.

mod epub;
mod error;
mod format;
mod html_text;
mod office;
mod ooxml;
mod pdf;
mod process;
mod sniff;
mod supervise;
mod text_pages;
mod textfile;
mod xml;
mod zipread;

pub use error::ConvertError;
pub use format::Format;
pub use office::find_soffice;
pub use pdf::find_cjk_font;
pub use sniff::{sniff, sniff_file};
pub use supervise::{Limits, child_main, run_supervised};

use serde::{Deserialize, Serialize};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to convert. `Default` finds LibreOffice and a CJK font on this machine.
#[derive(Clone, Debug)]
pub struct Options {
    /// Width of page preview images in pixels.
    pub page_width: u32,
    /// Width of the cover thumbnail in pixels.
    pub thumb_width: u32,
    /// Pages beyond this are dropped, with a note in the manifest.
    pub max_pages: u32,
    /// LibreOffice's `soffice`; `None` = not available.
    pub soffice: Option<PathBuf>,
    pub soffice_timeout: Duration,
    /// LibreOffice user profile for this worker (one per concurrent worker).
    pub profile_dir: PathBuf,
    /// Fallback font for PDFs that do not embed their (CJK) fonts.
    pub cjk_font: Option<PathBuf>,
    /// Zip-bomb guard: total uncompressed bytes we agree to read from one file.
    pub max_unzipped: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            page_width: 1000,
            thumb_width: 240,
            max_pages: 2000,
            soffice: find_soffice(),
            soffice_timeout: Duration::from_secs(120),
            profile_dir: std::env::temp_dir().join("gongzhi-soffice-profile"),
            cjk_font: find_cjk_font(),
            max_unzipped: 200 << 20,
        }
    }
}

/// What a conversion produced; files named here live in the output directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: Format,
    /// In order; page numbers start at 1.
    pub pages: Vec<PageEntry>,
    /// File name of the cover thumbnail ("thumb.png" or "thumb.svg").
    pub thumbnail: String,
    pub preview: PreviewKind,
    /// Things the reader should know, e.g. that pages were dropped.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageEntry {
    pub n: u32,
    /// File name in the output directory.
    pub image: String,
    /// "image/png" or "image/svg+xml".
    pub mime: String,
    pub text: String,
}

/// Whether the pages look like the original or are our own rendering of its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewKind {
    Faithful,
    TextOnly { reason: String },
}

/// Converts `input` (of format `format`) into page images, page text and a thumbnail in
/// `out_dir`. `progress(done, total)` is called as pages complete.
pub fn convert(
    input: &Path,
    format: Format,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    // A panic in a parser means a document we cannot read, not a dead worker.
    catch_unwind(AssertUnwindSafe(|| {
        convert_inner(input, format, opts, out_dir, progress)
    }))
    .unwrap_or_else(|_| {
        Err(ConvertError::Corrupt(
            "The document could not be read: the converter failed on its content.".into(),
        ))
    })
}

fn convert_inner(
    input: &Path,
    format: Format,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    if std::fs::metadata(input)?.len() == 0 {
        return Err(ConvertError::Empty);
    }
    std::fs::create_dir_all(out_dir)?;
    match format {
        Format::Pdf => pdf::convert(
            input,
            format,
            PreviewKind::Faithful,
            opts,
            out_dir,
            progress,
        ),
        Format::Doc | Format::Docx | Format::Ppt | Format::Pptx | Format::Xls | Format::Xlsx => {
            office::convert(input, format, opts, out_dir, progress)
        }
        Format::Txt => textfile::convert_txt(input, opts, out_dir, progress),
        Format::Markdown => textfile::convert_markdown(input, opts, out_dir, progress),
        Format::Epub => epub::convert(input, opts, out_dir, progress),
    }
}

/// Keeps requested image widths sane (0 or 10^6 px are mistakes, not wishes).
pub(crate) fn clamp_width(w: u32) -> u32 {
    w.clamp(16, 4000)
}
