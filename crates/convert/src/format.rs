//! The document formats the platform accepts.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Doc,
    Docx,
    Ppt,
    Pptx,
    Xls,
    Xlsx,
    Txt,
    Markdown,
    Epub,
}

/// A stored format word back into its `Format` (a database column read by name).
impl TryFrom<String> for Format {
    type Error = String;

    fn try_from(s: String) -> Result<Format, String> {
        Format::parse(&s).ok_or_else(|| format!("not a document format: {s:?}"))
    }
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Pdf,
        Format::Doc,
        Format::Docx,
        Format::Ppt,
        Format::Pptx,
        Format::Xls,
        Format::Xlsx,
        Format::Txt,
        Format::Markdown,
        Format::Epub,
    ];

    /// The serde name ("pdf", "markdown", …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Doc => "doc",
            Format::Docx => "docx",
            Format::Ppt => "ppt",
            Format::Pptx => "pptx",
            Format::Xls => "xls",
            Format::Xlsx => "xlsx",
            Format::Txt => "txt",
            Format::Markdown => "markdown",
            Format::Epub => "epub",
        }
    }

    /// Parses `as_str` names, case-insensitively; also accepts the extensions "md" and "text".
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.trim().trim_start_matches('.').to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .or(match s.as_str() {
                "md" => Some(Format::Markdown),
                "text" => Some(Format::Txt),
                _ => None,
            })
    }

    pub fn mime(&self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Doc => "application/msword",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Ppt => "application/vnd.ms-powerpoint",
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Xls => "application/vnd.ms-excel",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Txt => "text/plain",
            Format::Markdown => "text/markdown",
            Format::Epub => "application/epub+zip",
        }
    }

    /// Canonical file extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Markdown => "md",
            other => other.as_str(),
        }
    }

    /// Word, PowerPoint and Excel, old and new.
    pub fn is_office(&self) -> bool {
        matches!(
            self,
            Format::Doc | Format::Docx | Format::Ppt | Format::Pptx | Format::Xls | Format::Xlsx
        )
    }

    /// The 97–2003 binary (OLE2) formats, which only LibreOffice can read.
    pub fn is_ole2(&self) -> bool {
        matches!(self, Format::Doc | Format::Ppt | Format::Xls)
    }

    /// What a user calls it, for messages.
    pub fn human_name(&self) -> &'static str {
        match self {
            Format::Pdf => "PDF document",
            Format::Doc | Format::Docx => "Word document",
            Format::Ppt | Format::Pptx => "PowerPoint presentation",
            Format::Xls | Format::Xlsx => "Excel workbook",
            Format::Txt => "text file",
            Format::Markdown => "Markdown file",
            Format::Epub => "EPUB book",
        }
    }

    /// The format a file name's extension claims (a hint only).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(Format::Pdf),
            "doc" | "dot" | "wps" => Some(Format::Doc),
            "docx" | "docm" | "dotx" | "dotm" => Some(Format::Docx),
            "ppt" | "pps" | "pot" | "dps" => Some(Format::Ppt),
            "pptx" | "pptm" | "ppsx" | "potx" => Some(Format::Pptx),
            "xls" | "xlt" | "et" => Some(Format::Xls),
            "xlsx" | "xlsm" | "xltx" => Some(Format::Xlsx),
            "txt" | "text" | "log" => Some(Format::Txt),
            "md" | "markdown" | "mdown" | "mkd" => Some(Format::Markdown),
            "epub" => Some(Format::Epub),
            _ => None,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
