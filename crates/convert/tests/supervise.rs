//! The supervised runner against shell scripts that speak the protocol, and end to end
//! against this test binary re-executed as the converter child.

mod common;

use common::convert_quietly;
use convert::{ConvertError, Format, Limits, Manifest, PreviewKind, run_supervised};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn sh(script: &str) -> (PathBuf, Vec<OsString>) {
    (PathBuf::from("/bin/sh"), vec!["-c".into(), script.into()])
}

fn limits(timeout_ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        ..Limits::default()
    }
}

/// How the script `script` fails under ample limits.
fn failure(script: &str) -> ConvertError {
    let (exe, args) = sh(script);
    run_supervised(&exe, &args, &limits(10_000), &mut |_, _| {}).unwrap_err()
}

/// Alive = exists and not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .chars()
                .next();
            !matches!(state, Some('Z' | 'X'))
        })
        .unwrap_or(false)
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let (exe, args) = sh(&format!(
        "echo PROGRESS 1 4; sleep 30 & echo $! > {}; wait",
        pidfile.display()
    ));
    let mut seen = Vec::new();
    let start = Instant::now();
    let r = run_supervised(&exe, &args, &limits(1000), &mut |d, t| seen.push((d, t)));
    let elapsed = start.elapsed();
    assert!(matches!(r, Err(ConvertError::Timeout)), "{r:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(seen, [(1, 4)]);
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!alive(pid), "the grandchild {pid} survived");
}

#[test]
fn child_error_line_becomes_the_error() {
    let e = failure(
        "echo PROGRESS 0 2; echo 'ERROR corrupt The file is damaged or is not a valid PDF (truncated).'; exit 1",
    );
    assert_eq!(e.code(), "corrupt");
    assert_eq!(
        e.to_string(),
        "The file is damaged or is not a valid PDF (truncated)."
    );

    let e = failure("echo 'ERROR encrypted whatever'; exit 1");
    assert!(matches!(e, ConvertError::Encrypted));
}

#[test]
fn crashes_and_silent_failures() {
    let e = failure("echo PROGRESS 1 9; kill -SEGV $$");
    assert_eq!(e.code(), "crashed");
    assert_eq!(e.to_string(), "The converter crashed (signal 11).");

    let e = failure("echo noise; exit 3");
    assert_eq!(e.to_string(), "The converter failed (exit status 3).");

    let e = failure("echo 'memory allocation of 123456789 bytes failed' >&2; kill -ABRT $$");
    assert_eq!(e.code(), "too_large");

    let e = failure("exit 0");
    assert_eq!(e.code(), "crashed");
}

#[test]
fn manifest_line_is_the_result_and_limits_apply() {
    let manifest = Manifest {
        format: Format::Txt,
        pages: vec![convert::PageEntry {
            n: 1,
            image: "page-0001.svg".into(),
            mime: "image/svg+xml".into(),
            text: "a 'quoted' \"text\"\nline".into(),
        }],
        thumbnail: "thumb.svg".into(),
        preview: PreviewKind::TextOnly {
            reason: "why".into(),
        },
        notes: vec![],
    };
    let json = serde_json::to_string(&manifest).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, format!("MANIFEST {json}\n")).unwrap();
    // The script reports the limits it runs under, so we can check them.
    let (exe, args) = sh(&format!(
        "echo PROGRESS 1 1; echo LIMITS $(ulimit -v) $(ulimit -t); cat {}",
        file.display()
    ));
    let mut seen = Vec::new();
    let got = run_supervised(&exe, &args, &limits(10_000), &mut |d, t| seen.push((d, t))).unwrap();
    assert_eq!(got, manifest);
    assert_eq!(seen, [(1, 1)]);

    let (exe, args) = sh("echo \"ERROR corrupt $(ulimit -v) $(ulimit -t)\"; exit 1");
    let l = Limits {
        timeout: Duration::from_secs(10),
        memory_bytes: 512 << 20,
        cpu_seconds: 7,
    };
    let e = run_supervised(&exe, &args, &l, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.to_string(), format!("{} 7", (512u64 << 20) / 1024));
}

// The re-executed child is exercised end to end by the server's integration tests,
// which run the real `gongzhi convert-child`.

#[test]
fn soffice_docx_is_faithful() {
    let Some(soffice) = installed_soffice() else {
        assert!(
            std::env::var("GONGZHI_REQUIRE_SOFFICE").as_deref() != Ok("1"),
            "LibreOffice is required (GONGZHI_REQUIRE_SOFFICE=1) but not installed"
        );
        println!("skipped: soffice not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut paragraphs = vec![
        "# 第一章 总则",
        "为了规范公共服务，制定本办法。",
        "Second paragraph in English.",
    ];
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";
    paragraphs.extend(std::iter::repeat_n(filler, 60));
    let input = dir.path().join("upload");
    std::fs::write(&input, common::docx(&paragraphs)).unwrap();
    let profile = dir.path().join("profile");

    // Cold start (fresh profile), in-process.
    let opts = with_office(soffice.clone(), profile.clone());
    let start = Instant::now();
    let m = convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out")).unwrap();
    let cold = start.elapsed();
    assert_eq!(m.preview, PreviewKind::Faithful);
    assert_eq!(m.format, Format::Docx);
    assert!(m.pages.len() >= 2, "{} pages", m.pages.len());
    assert_eq!(m.pages[0].mime, "image/png");
    assert!(m.pages[0].text.contains("第一章"), "{:?}", m.pages[0].text);
    assert!(
        m.pages[0].text.contains("为了规范公共服务"),
        "{:?}",
        m.pages[0].text
    );
    assert_eq!(m.thumbnail, "thumb.png");

    println!(
        "soffice DOCX ({} pages): cold start {:.2} s",
        m.pages.len(),
        cold.as_secs_f64()
    );

    // A 97–2003 .doc (made by LibreOffice from the same file): sniffed from its streams,
    // converted faithfully.
    let named = dir.path().join("legacy.docx");
    std::fs::copy(&input, &named).unwrap();
    let status = std::process::Command::new(&soffice)
        .arg("--headless")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--convert-to", "doc", "--outdir"])
        .arg(dir.path())
        .arg(&named)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let doc = dir.path().join("legacy.doc");
    assert_eq!(convert::sniff_file(&doc, None).unwrap(), Format::Doc);
    let opts = with_office(soffice, profile);
    let m3 = convert_quietly(&doc, Format::Doc, &opts, &dir.path().join("out3")).unwrap();
    assert_eq!(m3.preview, PreviewKind::Faithful);
    assert!(
        m3.pages[0].text.contains("为了规范公共服务"),
        "{:?}",
        m3.pages[0].text
    );
}

fn installed_soffice() -> Option<PathBuf> {
    ["/usr/bin/soffice", "/usr/local/bin/soffice"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Options that convert Office files with `soffice`, its profile in `profile`.
fn with_office(soffice: PathBuf, profile: PathBuf) -> convert::Options {
    convert::Options {
        soffice: Some(soffice),
        profile_dir: profile,
        ..Default::default()
    }
}

/// An executable shell script `name` in `dir`: a stand-in for LibreOffice.
fn fake_soffice(dir: &std::path::Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn soffice_failure_falls_back_to_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.docx");
    std::fs::write(&input, common::docx(&["Fallback text"])).unwrap();
    // A "LibreOffice" that exits 0 without writing a PDF, as the real one sometimes does.
    let script = "#!/bin/sh\necho 'convert ... using filter' \nexit 0\n";
    let fake = fake_soffice(dir.path(), "fake-soffice", script);
    let opts = with_office(fake, dir.path().join("p"));
    let m = convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out")).unwrap();
    match &m.preview {
        PreviewKind::TextOnly { reason } => {
            assert!(reason.contains("LibreOffice could not convert"), "{reason}")
        }
        p => panic!("{p:?}"),
    }
    assert_eq!(m.pages[0].text, "Fallback text");

    // A hanging "LibreOffice" is killed at soffice_timeout.
    let slow = fake_soffice(dir.path(), "slow-soffice", "#!/bin/sh\nsleep 30\n");
    let opts = convert::Options {
        soffice: Some(slow),
        soffice_timeout: Duration::from_millis(500),
        ..opts
    };
    let start = Instant::now();
    let m = convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out2")).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&m.preview, PreviewKind::TextOnly { reason } if reason.contains("too long")),
        "{:?}",
        m.preview
    );
    // OLE2 files have no fallback: the error is returned.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(2048, 0);
    let doc = dir.path().join("a.doc");
    std::fs::write(&doc, ole).unwrap();
    let e = convert_quietly(&doc, Format::Doc, &opts, &dir.path().join("out3")).unwrap_err();
    assert!(matches!(e, ConvertError::Timeout), "{e:?}");
}
