//! Content sniffing. The bytes decide; the file name only separates what bytes cannot
//! (which OLE2 application, .txt vs .md) and sharpens the error message when the two disagree.

use crate::{ConvertError, Format};
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a file `sniff_file` looks at before it opens the zip directory.
const HEAD_LEN: usize = 64 * 1024;

#[derive(Debug, PartialEq)]
enum Content {
    Pdf,
    /// An OLE2 compound file; which application made it if the stream names told us.
    Ole2 {
        app: Option<Format>,
        encrypted: bool,
    },
    Zip(ZipKind),
    Text,
    /// Something recognisable that we do not convert, described for a message.
    Known(&'static str),
    Unknown,
}

#[derive(Debug, PartialEq)]
enum ZipKind {
    Ooxml(Format),
    Epub,
    Odf,
    Other,
    /// Only part of the archive was seen and it did not tell.
    Undetermined,
}

/// Sniff the real format from `head` (the whole file, or at least its first 64 KiB).
pub fn sniff(head: &[u8], filename: Option<&str>) -> Result<Format, ConvertError> {
    if head.is_empty() {
        return Err(ConvertError::Empty);
    }
    let mut content = classify(head);
    if content == Content::Zip(ZipKind::Undetermined) {
        // `head` may be the whole file: then the central directory is in it.
        if let Ok(zip) = zip::ZipArchive::new(Cursor::new(head)) {
            content = Content::Zip(zip_kind_from_names(
                zip.file_names()
                    .filter_map(|n| n.ok())
                    .map(|n| n.to_string()),
                mimetype_in_head(head),
            ));
        }
    }
    decide(content, filename)
}

/// Like [`sniff`], reading what it needs from the file (the zip directory sits at the end).
pub fn sniff_file(path: &Path, filename: Option<&str>) -> Result<Format, ConvertError> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut file).take(HEAD_LEN as u64).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(ConvertError::Empty);
    }
    let mut content = classify(&head);
    match &content {
        Content::Zip(_) => {
            file.seek(SeekFrom::Start(0))?;
            content = Content::Zip(match zip::ZipArchive::new(&mut file) {
                Ok(zip) => zip_kind_from_names(
                    zip.file_names()
                        .filter_map(|n| n.ok())
                        .map(|n| n.to_string()),
                    mimetype_in_head(&head),
                ),
                // A broken directory: keep what the local headers said.
                Err(_) => zip_kind_from_local_headers(&head),
            });
        }
        Content::Ole2 { app: None, .. } => {
            // The directory sector may lie beyond the head: scan the file for stream names.
            file.seek(SeekFrom::Start(0))?;
            content = scan_ole2(&mut file)?;
        }
        _ => {}
    }
    decide(content, filename)
}

fn extension(filename: Option<&str>) -> Option<String> {
    let name = filename?.rsplit(['/', '\\']).next()?;
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn decide(content: Content, filename: Option<&str>) -> Result<Format, ConvertError> {
    let ext = extension(filename);
    let hint = ext.as_deref().and_then(Format::from_extension);
    let named = |f: Format| {
        format!(
            "The file is named “.{}”",
            ext.as_deref().unwrap_or(f.extension())
        )
    };
    match content {
        Content::Pdf => Ok(Format::Pdf),
        Content::Ole2 {
            encrypted: true, ..
        } => Err(ConvertError::Encrypted),
        Content::Ole2 { app: Some(f), .. } => Ok(f),
        Content::Ole2 { app: None, .. } => match hint {
            Some(Format::Doc | Format::Docx) => Ok(Format::Doc),
            Some(Format::Xls | Format::Xlsx) => Ok(Format::Xls),
            Some(Format::Ppt | Format::Pptx) => Ok(Format::Ppt),
            _ => Err(ConvertError::Unsupported(
                "This is a Microsoft Office 97–2003 style file, but neither its content nor its \
                 name says whether it is a Word, Excel or PowerPoint file. Rename it to .doc, \
                 .xls or .ppt and upload it again."
                    .into(),
            )),
        },
        Content::Zip(ZipKind::Ooxml(f)) => Ok(f),
        Content::Zip(ZipKind::Epub) => Ok(Format::Epub),
        Content::Zip(ZipKind::Odf) => Err(ConvertError::Unsupported(
            "OpenDocument files (.odt, .ods, .odp) are not supported yet. Save the file as \
             .docx, .xlsx, .pptx or PDF and upload it again."
                .into(),
        )),
        Content::Zip(ZipKind::Undetermined) => match hint {
            Some(f @ (Format::Docx | Format::Pptx | Format::Xlsx | Format::Epub)) => Ok(f),
            _ => Err(ConvertError::Unsupported(
                "This is a zip archive, not a document.".into(),
            )),
        },
        Content::Zip(ZipKind::Other) => match hint {
            Some(f) => Err(ConvertError::Corrupt(format!(
                "{} but it is not a valid {}: it is a zip archive without the parts such a file must have.",
                named(f),
                f.human_name()
            ))),
            None => Err(ConvertError::Unsupported(
                "This is a zip archive, not a document.".into(),
            )),
        },
        Content::Text => match hint {
            Some(Format::Markdown) => Ok(Format::Markdown),
            None | Some(Format::Txt) => Ok(Format::Txt),
            Some(f) => Err(ConvertError::Mismatch(format!(
                "{} but it contains plain text, not a {}.",
                named(f),
                f.human_name()
            ))),
        },
        Content::Known(what) => match hint {
            Some(f) => Err(ConvertError::Mismatch(format!(
                "{} but its content is {what}, not a {}.",
                named(f),
                f.human_name()
            ))),
            None => Err(ConvertError::Unsupported(format!(
                "This file is {what}, which is not a supported document format."
            ))),
        },
        Content::Unknown => match hint {
            Some(f) => Err(ConvertError::Corrupt(format!(
                "{} but its content is not a valid {}; the file may be damaged.",
                named(f),
                f.human_name()
            ))),
            None => Err(unsupported_generic()),
        },
    }
}

fn unsupported_generic() -> ConvertError {
    ConvertError::Unsupported(
        "This file type is not supported. Upload a PDF, Word, PowerPoint, Excel, EPUB, plain \
         text or Markdown file."
            .into(),
    )
}

const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn classify(head: &[u8]) -> Content {
    // Signatures at offset 0 come first: a program that happens to contain "%PDF-" is a program.
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x7fELF", "an executable program (ELF)"),
        (b"\xCA\xFE\xBA\xBE", "an executable program (Mach-O)"),
        (b"\xCF\xFA\xED\xFE", "an executable program (Mach-O)"),
        (b"\xCE\xFA\xED\xFE", "an executable program (Mach-O)"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"BM", ""), // checked below: too short to trust alone
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"BZh", ""),
        (b"\xFD7zXZ\x00", "an XZ archive"),
        (b"\x28\xB5\x2F\xFD", "a Zstandard archive"),
        (b"OggS", "an Ogg audio or video file"),
        (b"fLaC", "a FLAC audio file"),
        (b"ID3", "an MP3 audio file"),
        (b"\x00asm", "a WebAssembly program"),
        (b"SQLite format 3\x00", "an SQLite database"),
        (b"{\\rtf", "an RTF document (save it as .docx or PDF)"),
        (b"AT&TFORM", "a DjVu document"),
    ];
    if head.starts_with(OLE2_MAGIC) {
        return classify_ole2(head);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Content::Zip(zip_kind_from_local_headers(head));
    }
    for (magic, what) in MAGIC {
        if head.starts_with(magic) && !what.is_empty() {
            return Content::Known(what);
        }
    }
    if head.starts_with(b"MZ") && !looks_like_text(head) {
        return Content::Known("a Windows program");
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        return Content::Known(match &head[8..12] {
            b"WEBP" => "a WebP image",
            b"WAVE" => "a WAV audio file",
            b"AVI " => "an AVI video",
            _ => "a RIFF media file",
        });
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Content::Known("a video or image file (MP4/HEIF)");
    }
    // PDF allows junk before the header; readers look in the first 1 KiB.
    let window = &head[..head.len().min(1024)];
    if window.windows(5).any(|w| w == b"%PDF-") {
        return Content::Pdf;
    }
    if looks_like_text(head) {
        return Content::Text;
    }
    Content::Unknown
}

/// Plain text: a Unicode BOM, or no NUL bytes, few control bytes, and valid UTF-8 or GB18030.
pub(crate) fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(b"\xEF\xBB\xBF")
        || head.starts_with(b"\xFF\xFE")
        || head.starts_with(b"\xFE\xFF")
    {
        return true;
    }
    if head.contains(&0) {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    if controls * 100 > head.len() {
        return false;
    }
    // The head may cut a multi-byte character in two: forgive up to 3 trailing bytes.
    let trimmed = |n: usize| &head[..head.len().saturating_sub(n)];
    match std::str::from_utf8(head) {
        Ok(_) => return true,
        Err(e) if e.error_len().is_none() => return true,
        Err(_) => {}
    }
    (0..4).any(|n| {
        encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(trimmed(n))
            .is_some()
    })
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Which application wrote an OLE2 file, from the names of its streams (UTF-16LE in the
/// directory). "EncryptedPackage" is how Office stores a password-protected .docx/.xlsx/.pptx.
fn classify_ole2(bytes: &[u8]) -> Content {
    let has = |name: &str| contains(bytes, &utf16le(name));
    let encrypted = has("EncryptedPackage");
    let app = if has("WordDocument") {
        Some(Format::Doc)
    } else if has("PowerPoint Document") {
        Some(Format::Ppt)
    } else if has("Workbook") || has("Book\0") {
        Some(Format::Xls)
    } else {
        None
    };
    Content::Ole2 { app, encrypted }
}

/// Scans a whole OLE2 file (in chunks, up to 256 MiB) for stream names.
fn scan_ole2(file: &mut File) -> Result<Content, ConvertError> {
    const CHUNK: usize = 1 << 20;
    const OVERLAP: usize = 64;
    let mut buf = vec![0u8; CHUNK + OVERLAP];
    let mut keep = 0usize;
    let mut total = 0u64;
    let mut found = Content::Ole2 {
        app: None,
        encrypted: false,
    };
    loop {
        let n = file.read(&mut buf[keep..])?;
        if n == 0 || total > 256 << 20 {
            return Ok(found);
        }
        total += n as u64;
        let window = &buf[..keep + n];
        if let Content::Ole2 { app, encrypted } = classify_ole2(window) {
            if encrypted {
                return Ok(Content::Ole2 {
                    app,
                    encrypted: true,
                });
            }
            if app.is_some() {
                found = Content::Ole2 {
                    app,
                    encrypted: false,
                };
            }
        }
        let len = keep + n;
        keep = len.min(OVERLAP);
        buf.copy_within(len - keep..len, 0);
    }
}

/// Names of the entries in a zip's local headers inside `head` (no central directory needed).
fn local_header_names(head: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i + 30 <= head.len() && names.len() < 10_000 {
        if &head[i..i + 4] != b"PK\x03\x04" {
            i += 1;
            continue;
        }
        let name_len = u16::from_le_bytes([head[i + 26], head[i + 27]]) as usize;
        let start = i + 30;
        let Some(name) = head.get(start..start + name_len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        i = start + name_len;
    }
    names
}

/// The EPUB/ODF "mimetype" entry must be first and stored: its content is right in the head.
fn mimetype_in_head(head: &[u8]) -> Option<String> {
    if head.len() < 30 || &head[0..4] != b"PK\x03\x04" {
        return None;
    }
    let method = u16::from_le_bytes([head[8], head[9]]);
    let csize = u32::from_le_bytes([head[18], head[19], head[20], head[21]]) as usize;
    let name_len = u16::from_le_bytes([head[26], head[27]]) as usize;
    let extra_len = u16::from_le_bytes([head[28], head[29]]) as usize;
    if method != 0 || head.get(30..30 + name_len)? != b"mimetype" || csize > 200 {
        return None;
    }
    let start = 30 + name_len + extra_len;
    let data = head.get(start..start + csize)?;
    Some(String::from_utf8_lossy(data).trim().to_string())
}

fn zip_kind_from_local_headers(head: &[u8]) -> ZipKind {
    match zip_kind_from_names(local_header_names(head).into_iter(), mimetype_in_head(head)) {
        ZipKind::Other => ZipKind::Undetermined,
        k => k,
    }
}

fn zip_kind_from_names(names: impl Iterator<Item = String>, mimetype: Option<String>) -> ZipKind {
    match mimetype.as_deref() {
        Some("application/epub+zip") => return ZipKind::Epub,
        Some(m) if m.starts_with("application/vnd.oasis.opendocument") => return ZipKind::Odf,
        _ => {}
    }
    let (mut word, mut ppt, mut xl, mut content_types, mut container, mut opf) =
        (false, false, false, false, false, false);
    for name in names {
        match name.as_str() {
            "word/document.xml" => word = true,
            "ppt/presentation.xml" => ppt = true,
            "xl/workbook.xml" => xl = true,
            "[Content_Types].xml" => content_types = true,
            "META-INF/container.xml" => container = true,
            n if n.to_ascii_lowercase().ends_with(".opf") => opf = true,
            _ => {}
        }
    }
    if word {
        ZipKind::Ooxml(Format::Docx)
    } else if ppt {
        ZipKind::Ooxml(Format::Pptx)
    } else if xl {
        ZipKind::Ooxml(Format::Xlsx)
    } else if container && opf {
        ZipKind::Epub
    } else if content_types {
        // An OOXML package whose main part is elsewhere: undecided, let the name tell.
        ZipKind::Undetermined
    } else {
        ZipKind::Other
    }
}
