//! Zip access with a budget: OOXML and EPUB are zips, and zips can be bombs.
//! Declared sizes are checked first (cheap), and the bytes actually inflated are counted
//! too, because declared sizes can lie.

use crate::ConvertError;
use crate::error::{corrupt, too_large_unzipped};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use zip::ZipArchive;
use zip::result::ZipError;

/// More entries than any real document has; a directory of millions is an attack.
pub(crate) const MAX_ENTRIES: usize = 20_000;

pub(crate) struct Archive {
    zip: ZipArchive<BufReader<File>>,
    /// Lower-cased name → index, for case-insensitive lookups.
    lower: HashMap<String, usize>,
    /// Bytes we still agree to inflate.
    budget: u64,
    limit: u64,
    what: &'static str,
}

impl Archive {
    /// `what` names the format for messages ("Word document").
    pub(crate) fn open(
        path: &Path,
        max_unzipped: u64,
        what: &'static str,
    ) -> Result<Archive, ConvertError> {
        let mut file = File::open(path)?;
        // Refuse huge directories before the zip crate builds an index of them.
        let too_many = |n: u64| {
            ConvertError::TooLarge(format!(
                "The {what} contains {n} parts, more than this server accepts."
            ))
        };
        if let Some(n) = declared_entries(&mut file)?
            && n > MAX_ENTRIES as u64
        {
            return Err(too_many(n));
        }
        file.seek(SeekFrom::Start(0))?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|e| map_zip_error(e, what))?;
        if zip.len() > MAX_ENTRIES {
            return Err(too_many(zip.len() as u64));
        }
        let lower = zip
            .file_names()
            .enumerate()
            .filter_map(|(i, n)| Some((n.ok()?.to_ascii_lowercase(), i)))
            .collect();
        Ok(Archive {
            zip,
            lower,
            budget: max_unzipped,
            limit: max_unzipped,
            what,
        })
    }

    /// Inflates every entry once, counting, without keeping anything: catches bombs whose
    /// declared sizes lie, before LibreOffice (which trusts them) sees the file.
    pub(crate) fn check_actual_total(&mut self) -> Result<(), ConvertError> {
        let mut left = self.limit;
        for i in 0..self.zip.len() {
            let what = self.what;
            let mut entry = self.zip.by_index(i).map_err(|e| map_zip_error(e, what))?;
            if entry.encrypted() {
                return Err(ConvertError::Encrypted);
            }
            let n = std::io::copy(&mut (&mut entry).take(left + 1), &mut std::io::sink())
                .map_err(|e| unpack_error(e, what, self.limit))?;
            if n > left {
                return Err(too_large_unzipped(self.limit));
            }
            left -= n;
        }
        Ok(())
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(|n| n.ok())
            .map(|n| n.to_string())
            .collect()
    }

    /// Sum of declared uncompressed sizes must fit the budget (checked before LibreOffice
    /// is given the file: it has no such guard of its own).
    pub(crate) fn check_declared_total(&self) -> Result<(), ConvertError> {
        let mut total: u64 = 0;
        for i in 0..self.zip.len() {
            let entry = self
                .zip
                .by_index_data(i)
                .map_err(|e| map_zip_error(e, self.what))?;
            total = total.saturating_add(entry.size());
            if total > self.limit {
                return Err(too_large_unzipped(self.limit));
            }
        }
        Ok(())
    }

    /// Exact name first, then a case-insensitive match (some tools vary the case).
    fn resolve(&self, name: &str) -> Option<usize> {
        self.zip
            .index_for_name(name)
            .or_else(|| self.lower.get(&name.to_ascii_lowercase()).copied())
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// Reads one entry within the budget. `Ok(None)` if there is no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ConvertError> {
        let Some(index) = self.resolve(name) else {
            return Ok(None);
        };
        let what = self.what;
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(|e| map_zip_error(e, what))?;
        if entry.encrypted() {
            return Err(ConvertError::Encrypted);
        }
        if entry.size() > self.budget {
            return Err(too_large_unzipped(self.limit));
        }
        // Never trust the declared size for the allocation either.
        let mut out = Vec::with_capacity(entry.size().min(16 << 20) as usize);
        let read = (&mut entry)
            .take(self.budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| unpack_error(e, what, self.limit))?;
        if read as u64 > self.budget {
            return Err(too_large_unzipped(self.limit));
        }
        self.budget -= read as u64;
        Ok(Some(out))
    }

    /// Reads an XML/XHTML entry as text (UTF-8, or UTF-16 with a BOM).
    pub(crate) fn read_text(&mut self, name: &str) -> Result<Option<String>, ConvertError> {
        Ok(self.read(name)?.map(|bytes| decode_xml_bytes(&bytes)))
    }
}

pub(crate) fn decode_xml_bytes(bytes: &[u8]) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// An entry that inflates past its declared size is a bomb, not mere damage.
fn unpack_error(e: std::io::Error, what: &str, limit: u64) -> ConvertError {
    if e.to_string().contains("larger than its declared") {
        too_large_unzipped(limit)
    } else {
        corrupt(what, format!("a part could not be unpacked: {e}"))
    }
}

/// Entry count from the end-of-central-directory record (zip64 aware), if it can be found.
fn declared_entries(file: &mut File) -> std::io::Result<Option<u64>> {
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(65_557);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail)?;
    let Some(eocd) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let Some(count) = tail.get(eocd + 10..eocd + 12) else {
        return Ok(None);
    };
    let count = u16::from_le_bytes([count[0], count[1]]);
    if count != 0xFFFF {
        return Ok(Some(u64::from(count)));
    }
    // Zip64: the locator just before the EOCD points at the zip64 record.
    let Some(loc) = eocd.checked_sub(20).and_then(|l| tail.get(l..eocd)) else {
        return Ok(None);
    };
    if &loc[..4] != b"PK\x06\x07" {
        return Ok(None);
    }
    let offset = u64::from_le_bytes(loc[8..16].try_into().unwrap_or([0; 8]));
    let mut rec = [0u8; 40];
    file.seek(SeekFrom::Start(offset))?;
    if file.read_exact(&mut rec).is_err() || &rec[..4] != b"PK\x06\x06" {
        return Ok(None);
    }
    Ok(Some(u64::from_le_bytes(
        rec[32..40].try_into().unwrap_or([0; 8]),
    )))
}

fn map_zip_error(e: ZipError, what: &str) -> ConvertError {
    match e {
        ZipError::Io(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => corrupt(what, e),
        ZipError::UnsupportedArchive(msg) if msg.to_ascii_lowercase().contains("password") => {
            ConvertError::Encrypted
        }
        other => corrupt(what, format!("its zip structure is broken: {other}")),
    }
}

/// Joins a relative reference (an href in an OPF or a .rels Target) to the folder of the
/// part that contains it, resolving "." and "..", and percent-decoding.
pub(crate) fn join_part(base_part: &str, target: &str) -> String {
    let target = percent_decode(target.split('#').next().unwrap_or(""));
    let mut parts: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return normalize(abs.split('/').collect());
    } else {
        base_part.split('/').collect()
    };
    parts.pop(); // the file name of the base part
    parts.extend(target.split('/'));
    normalize(parts)
}

fn normalize(parts: Vec<&str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in parts {
        match p {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::join_part;

    #[test]
    fn joins_relative_parts() {
        assert_eq!(
            join_part("OEBPS/content.opf", "text/ch%201.xhtml#x"),
            "OEBPS/text/ch 1.xhtml"
        );
        assert_eq!(
            join_part("ppt/presentation.xml", "slides/slide1.xml"),
            "ppt/slides/slide1.xml"
        );
        assert_eq!(
            join_part("xl/workbook.xml", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(join_part("a/b/c.xml", "../../../../x.xml"), "x.xml");
        assert_eq!(join_part("", "word/document.xml"), "word/document.xml");
    }
}
