//! Zip bombs: refused with TooLarge, without inflating (or allocating) what they promise.
//! Its own test binary, so that the counting allocator sees only this test.

mod common;

use common::convert_quietly;
use convert::{ConvertError, Format};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Cursor, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use zip::write::SimpleFileOptions;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// What `f` returns, and the most it allocated at once beyond what was allocated before.
fn with_peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed) - base)
}

/// A .docx whose word/document.xml inflates to `size` bytes of zeros.
fn bomb(size: u64) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflate = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(false);
    w.start_file("[Content_Types].xml", deflate).unwrap();
    w.write_all(common::CONTENT_TYPES_DOCX.as_bytes()).unwrap();
    w.start_file("word/document.xml", deflate).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size >> 20 {
        w.write_all(&zeros).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size of every entry (local and central headers) to `fake`.
fn lie_about_sizes(zip: &mut [u8], fake: u32) {
    let mut i = 0;
    while i + 46 <= zip.len() {
        match &zip[i..i + 4] {
            b"PK\x03\x04" => zip[i + 22..i + 26].copy_from_slice(&fake.to_le_bytes()),
            b"PK\x01\x02" => zip[i + 24..i + 28].copy_from_slice(&fake.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn zip_bombs_are_too_large_without_allocating_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let opts = common::opts_without_office(dir.path());

    // 1 GiB of zeros, honestly declared: refused from the directory alone.
    let t = Instant::now();
    let data = bomb(1 << 30);
    println!(
        "built a {} KiB bomb in {:?}",
        data.len() / 1024,
        t.elapsed()
    );
    let input = dir.path().join("bomb.docx");
    std::fs::write(&input, &data).unwrap();
    drop(data);
    let t = Instant::now();
    let (r, peak) =
        with_peak(|| convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out")));
    let e = r.unwrap_err();
    assert!(matches!(e, ConvertError::TooLarge(_)), "{e:?}");
    assert!(e.to_string().contains("200 MiB"), "{e}");
    println!(
        "honest bomb refused in {:?}, peak extra allocation {} KiB",
        t.elapsed(),
        peak / 1024
    );
    assert!(peak < 8 << 20, "allocated {peak} bytes");

    // 64 MiB of zeros declared as 1 KiB: the inflated bytes are counted and cut off.
    let mut data = bomb(64 << 20);
    lie_about_sizes(&mut data, 1024);
    let input = dir.path().join("liar.docx");
    std::fs::write(&input, &data).unwrap();
    drop(data);
    let opts = convert::Options {
        max_unzipped: 4 << 20,
        ..opts
    };
    let (r, peak) =
        with_peak(|| convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out2")));
    let e = r.unwrap_err();
    println!(
        "lying bomb: {e} (peak extra allocation {} KiB)",
        peak / 1024
    );
    assert!(matches!(e, ConvertError::TooLarge(_)), "{e:?}");
    assert!(peak < 16 << 20, "allocated {peak} bytes");

    // Same bomb on the LibreOffice path: inflated (and refused) before LibreOffice sees it.
    let with_office = convert::Options {
        soffice: Some("/bin/false".into()),
        max_unzipped: 64 << 20,
        ..opts.clone()
    };
    let e =
        convert_quietly(&input, Format::Docx, &with_office, &dir.path().join("out3")).unwrap_err();
    assert!(matches!(e, ConvertError::TooLarge(_)), "{e:?}");
}

#[test]
fn zip_with_too_many_entries_is_refused_before_indexing() {
    let dir = tempfile::tempdir().unwrap();
    // A local header so it sniffs as a zip, and an end record that claims 60000 entries.
    let mut data = b"PK\x03\x04".to_vec();
    data.resize(64, 0);
    data.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    data.extend_from_slice(&60000u16.to_le_bytes());
    data.extend_from_slice(&60000u16.to_le_bytes());
    data.extend_from_slice(&[0; 10]);
    let input = dir.path().join("many.docx");
    std::fs::write(&input, &data).unwrap();
    let opts = common::opts_without_office(dir.path());
    let e = convert_quietly(&input, Format::Docx, &opts, &dir.path().join("out")).unwrap_err();
    assert!(matches!(e, ConvertError::TooLarge(_)), "{e:?}");
    assert!(e.to_string().contains("60000 parts"), "{e}");
}
