//! Word, PowerPoint and Excel. With LibreOffice: convert to PDF (own process group,
//! timeout, group kill) and render that faithfully. Without it, or when it fails on a
//! modern zip-based file: our own text extraction as pages we render (TextOnly).

use crate::process::{ChildLimits, configure, drain, kill_group, wait_until};
use crate::zipread::Archive;
use crate::{ConvertError, Format, Manifest, Options, PreviewKind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub(crate) const NO_OFFICE_REASON: &str =
    "LibreOffice is not installed on this server; showing extracted text";

/// Looks for LibreOffice's `soffice` on PATH and in the usual install locations.
pub fn find_soffice() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("soffice"))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| {
        [
            "/usr/bin/soffice",
            "/usr/lib/libreoffice/program/soffice",
            "/opt/libreoffice/program/soffice",
            "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    })
}

pub(crate) fn convert(
    input: &Path,
    format: Format,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    // Zip-based files: refuse bombs before anything (LibreOffice included) inflates them.
    let mut archive = if format.is_ole2() {
        None
    } else {
        let mut a = Archive::open(input, opts.max_unzipped, format.human_name())?;
        a.check_declared_total()?;
        if opts.soffice.is_some() {
            a.check_actual_total()?;
        }
        Some(a)
    };
    let reason = match &opts.soffice {
        None if format.is_ole2() => return Err(ConvertError::OfficeUnavailable),
        None => NO_OFFICE_REASON.to_string(),
        Some(soffice) => match to_pdf(soffice, input, format, opts) {
            Ok((_tmp, pdf)) => {
                match crate::pdf::convert(
                    &pdf,
                    format,
                    PreviewKind::Faithful,
                    opts,
                    out_dir,
                    progress,
                ) {
                    Ok(m) => return Ok(m),
                    Err(e) if format.is_ole2() => return Err(e),
                    Err(e) => format!(
                        "LibreOffice's rendering could not be read ({e}); showing extracted text"
                    ),
                }
            }
            Err(e) if format.is_ole2() => return Err(e),
            Err(e) => format!("{e} Showing extracted text instead."),
        },
    };
    let Some(archive) = archive.as_mut() else {
        return Err(ConvertError::OfficeUnavailable);
    };
    let sections = crate::ooxml::extract(archive, format)?;
    crate::text_pages::write_text_document(
        format,
        &sections,
        PreviewKind::TextOnly { reason },
        Vec::new(),
        opts,
        out_dir,
        progress,
    )
}

/// file:// URL for LibreOffice's -env:UserInstallation (absolute, percent-encoded).
fn file_url(path: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Runs LibreOffice on a copy of `input` (named with the right extension, since the
/// stored upload may have none) and returns the temporary directory and the PDF in it.
pub(crate) fn to_pdf(
    soffice: &Path,
    input: &Path,
    format: Format,
    opts: &Options,
) -> Result<(tempfile::TempDir, PathBuf), ConvertError> {
    let tmp = tempfile::Builder::new()
        .prefix("gongzhi-soffice-")
        .tempdir()?;
    let src = tmp.path().join(format!("document.{}", format.extension()));
    std::fs::copy(input, &src)?;
    let outdir = tmp.path().join("out");
    std::fs::create_dir_all(&outdir)?;
    std::fs::create_dir_all(&opts.profile_dir)?;

    let mut cmd = Command::new(soffice);
    cmd.arg("--headless")
        .arg("--norestore")
        .arg("--nologo")
        .arg("--nodefault")
        .arg("--nolockcheck")
        .arg("--nofirststartwizard")
        .arg(format!(
            "-env:UserInstallation={}",
            file_url(&opts.profile_dir)
        ))
        .arg("--convert-to")
        .arg("pdf")
        .arg("--outdir")
        .arg(&outdir)
        .arg(&src)
        .stdin(Stdio::null())
        // Never inherit stdout: in a supervised child it carries the protocol.
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    configure(&mut cmd, ChildLimits::default());
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        ConvertError::OfficeFailed(format!("LibreOffice could not be started ({e})."))
    })?;
    crate::supervise::announce_group(child.id());
    let out = child.stdout.take().map(|s| drain(s, 16 * 1024));
    let err = child.stderr.take().map(|s| drain(s, 16 * 1024));
    let status = wait_until(&mut child, started + opts.soffice_timeout)?;
    // Stragglers (LibreOffice forks) must not outlive the conversion.
    kill_group(child.id());
    let _ = out.map(|h| h.join());
    let _ = err.map(|h| h.join());
    let Some(status) = status else {
        return Err(ConvertError::Timeout);
    };
    let pdf = outdir.join("document.pdf");
    // LibreOffice sometimes exits 0 without writing anything: the file decides.
    match std::fs::metadata(&pdf) {
        Ok(m) if m.len() > 0 => Ok((tmp, pdf)),
        _ => Err(ConvertError::OfficeFailed(format!(
            "LibreOffice could not convert this document (it may be damaged, password-protected \
             or in an unsupported variant; exit status {}).",
            status
                .code()
                .map_or_else(|| "killed".to_string(), |c| c.to_string())
        ))),
    }
}
