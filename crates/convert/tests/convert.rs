//! End-to-end tests of sniffing and conversion through the public API.

mod common;

use common::*;
use convert::{ConvertError, Format, PreviewKind, convert, sniff, sniff_file};
use std::path::Path;
use std::time::Instant;

fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn run(
    path: &Path,
    format: Format,
    opts: &convert::Options,
    out: &Path,
) -> Result<convert::Manifest, ConvertError> {
    let mut calls = Vec::new();
    let r = convert(path, format, opts, out, &mut |d, t| calls.push((d, t)));
    if let Ok(m) = &r {
        // Progress reaches every page, in order.
        let n = m.pages.len() as u32;
        assert_eq!(calls.last(), Some(&(n, n)), "progress: {calls:?}");
        assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
    }
    r
}

/// Writes `data` to `dir/name` and converts it without LibreOffice into `dir/out` (through
/// [`run`], so progress is checked too).
fn run_alone(
    dir: &Path,
    name: &str,
    data: &[u8],
    format: Format,
) -> Result<convert::Manifest, ConvertError> {
    let input = write(dir, name, data);
    run(&input, format, &opts_without_office(dir), &dir.join("out"))
}

// ---------------------------------------------------------------- sniffing

#[test]
fn sniffs_every_supported_format() {
    let pdf = simple_pdf(1, 1);
    assert_eq!(sniff(&pdf, Some("a.pdf")).unwrap(), Format::Pdf);
    assert_eq!(sniff(&pdf, None).unwrap(), Format::Pdf);
    // The content wins over a wrong but harmless name.
    assert_eq!(sniff(&pdf, Some("report.docx")).unwrap(), Format::Pdf);

    assert_eq!(sniff(&docx(&["hi"]), Some("x.docx")).unwrap(), Format::Docx);
    assert_eq!(sniff(&docx(&["hi"]), None).unwrap(), Format::Docx);
    assert_eq!(
        sniff(&pptx(&[("t", "b")]), Some("x")).unwrap(),
        Format::Pptx
    );
    assert_eq!(sniff(&xlsx(), None).unwrap(), Format::Xlsx);
    assert_eq!(sniff(&epub(&["<p>x</p>"]), None).unwrap(), Format::Epub);

    // OLE2: the stream names tell the application; the name helps when they are not in the head.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    assert_eq!(sniff(&ole, Some("old.doc")).unwrap(), Format::Doc);
    assert_eq!(sniff(&ole, Some("old.XLS")).unwrap(), Format::Xls);
    assert_eq!(sniff(&ole, Some("old.ppt")).unwrap(), Format::Ppt);
    assert_eq!(sniff(&ole, None).unwrap_err().code(), "unsupported");
    let mut word = ole.clone();
    word.extend("WordDocument".encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(sniff(&word, Some("renamed.xls")).unwrap(), Format::Doc);
    let mut locked = ole.clone();
    locked.extend(
        "EncryptedPackage"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    assert!(matches!(
        sniff(&locked, Some("secret.docx")),
        Err(ConvertError::Encrypted)
    ));

    assert_eq!(sniff(b"hello world\n", Some("a.txt")).unwrap(), Format::Txt);
    assert_eq!(sniff(b"hello world\n", None).unwrap(), Format::Txt);
    assert_eq!(
        sniff(b"# Title\n\ntext", Some("README.md")).unwrap(),
        Format::Markdown
    );
    assert_eq!(
        sniff(b"# Title\n\ntext", Some("notes.markdown")).unwrap(),
        Format::Markdown
    );
    assert_eq!(
        sniff("中文文本".as_bytes(), Some("a.txt")).unwrap(),
        Format::Txt
    );
    let (gbk, _, _) = encoding_rs::GBK.encode("这是GBK编码的中文文本。");
    assert_eq!(sniff(&gbk, Some("legacy.txt")).unwrap(), Format::Txt);
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("hi 你好".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    assert_eq!(sniff(&utf16, Some("u16.txt")).unwrap(), Format::Txt);
}

#[test]
fn sniff_rejections_have_clear_messages() {
    assert!(matches!(
        sniff(b"", Some("a.pdf")),
        Err(ConvertError::Empty)
    ));

    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(4096, 0);
    let e = sniff(&elf, Some("invoice.pdf")).unwrap_err();
    assert_eq!(e.code(), "mismatch");
    let msg = e.to_string();
    assert!(msg.contains(".pdf") && msg.contains("executable"), "{msg}");
    assert_eq!(sniff(&elf, None).unwrap_err().code(), "unsupported");

    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let e = sniff(&random, None).unwrap_err();
    assert_eq!(e.code(), "unsupported");
    assert!(e.to_string().contains("not supported"), "{e}");
    assert_eq!(
        sniff(&random, Some("x.docx")).unwrap_err().code(),
        "corrupt"
    );

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert!(
        sniff(png, None)
            .unwrap_err()
            .to_string()
            .contains("PNG image")
    );
    assert_eq!(
        sniff(b"plain text", Some("fake.pdf")).unwrap_err().code(),
        "mismatch"
    );
    let plain_zip = zip_bytes(&[("photo.jpg", b"...")]);
    assert_eq!(
        sniff(&plain_zip, Some("a.zip")).unwrap_err().code(),
        "unsupported"
    );
    assert_eq!(
        sniff(&plain_zip, Some("a.docx")).unwrap_err().code(),
        "corrupt"
    );
    let odt = zip_bytes(&[("mimetype", b"application/vnd.oasis.opendocument.text")]);
    assert!(
        sniff(&odt, Some("a.odt"))
            .unwrap_err()
            .to_string()
            .contains("OpenDocument")
    );
}

#[test]
fn sniff_file_reads_the_zip_directory_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    // A big first entry pushes word/document.xml's local header past the 64 KiB head.
    let filler: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    let doc = docx_document_xml(&["late"]);
    let data = zip_bytes(&[
        ("[Content_Types].xml", CONTENT_TYPES_DOCX.as_bytes()),
        ("word/media/image1.bin", &filler),
        ("word/document.xml", doc.as_bytes()),
    ]);
    let p = write(dir.path(), "upload", &data);
    assert_eq!(sniff_file(&p, None).unwrap(), Format::Docx);
    // From the head alone, only the name can tell.
    assert_eq!(sniff(&data[..65536], Some("a.docx")).unwrap(), Format::Docx);
    assert_eq!(
        sniff(&data[..65536], None).unwrap_err().code(),
        "unsupported"
    );
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_renders_png_pages_with_text() {
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![
        vec![
            PdfText {
                x: 72.0,
                y: 760.0,
                size: 28.0,
                text: "Annual Report (2024)",
            },
            PdfText {
                x: 72.0,
                y: 720.0,
                size: 12.0,
                text: "Roads and bridges: 1,234 km",
            },
            PdfText {
                x: 72.0,
                y: 690.0,
                size: 20.0,
                text: "中文测试文本",
            },
        ],
        vec![PdfText {
            x: 72.0,
            y: 760.0,
            size: 14.0,
            text: "Second page",
        }],
    ];
    let pdf = build_pdf(&pages, &[], "");
    let m = run_alone(dir.path(), "doc.pdf", &pdf, Format::Pdf).unwrap();
    let out = dir.path().join("out");
    assert_eq!(m.format, Format::Pdf);
    assert_eq!(m.preview, PreviewKind::Faithful);
    assert_eq!(m.pages.len(), 2);
    assert_eq!(m.thumbnail, "thumb.png");
    assert_eq!(m.pages[0].n, 1);
    assert_eq!(m.pages[0].mime, "image/png");
    let t = &m.pages[0].text;
    assert!(t.contains("Annual Report (2024)"), "{t:?}");
    assert!(t.contains("Roads and bridges: 1,234 km"), "{t:?}");
    assert!(t.contains("中文测试文本"), "{t:?}");
    assert_eq!(t.lines().count(), 3, "{t:?}");
    assert_eq!(m.pages[1].text, "Second page");

    let (w, h, px, ch) = decode_png(&std::fs::read(out.join(&m.pages[0].image)).unwrap());
    assert_eq!(w, 1000);
    assert_eq!(h, (842.0f32 * 1000.0 / 595.0).round() as u32);
    // Text pixels: dark pixels in the title area (top ~10% of the page), white elsewhere.
    let dark = |x: u32, y: u32| {
        let i = ((y * w + x) as usize) * ch;
        px[i] < 100 && px[i + 1] < 100 && px[i + 2] < 100
    };
    let title_dark = (90..130)
        .flat_map(|y| (100..600).map(move |x| (x, y)))
        .filter(|&(x, y)| dark(x, y))
        .count();
    assert!(title_dark > 500, "title area has {title_dark} dark pixels");
    assert!(!dark(990, 700), "margins stay white");
    let (tw, _, _, _) = decode_png(&std::fs::read(out.join("thumb.png")).unwrap());
    assert_eq!(tw, 240);
}

#[test]
fn pdf_page_limit_drops_pages_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "doc.pdf", &simple_pdf(5, 2));
    let opts = convert::Options {
        max_pages: 3,
        page_width: 300,
        ..opts_without_office(dir.path())
    };
    let m = run(&input, Format::Pdf, &opts, &dir.path().join("out")).unwrap();
    assert_eq!(m.pages.len(), 3);
    assert_eq!(m.notes.len(), 1);
    assert!(
        m.notes[0].contains("5 pages") && m.notes[0].contains("first 3"),
        "{:?}",
        m.notes
    );
}

#[test]
fn pdf_failures_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let opts = opts_without_office(dir.path());
    let out = dir.path().join("out");

    // Encrypted: a standard security handler the empty password does not open.
    let enc = "<< /Filter /Standard /V 1 /R 2 /P -44 \
               /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> \
               /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> >>";
    let pdf = build_pdf(
        &[vec![PdfText {
            x: 72.0,
            y: 700.0,
            size: 12.0,
            text: "secret",
        }]],
        &[enc.to_string()],
        "/Encrypt 7 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]",
    );
    let p = write(dir.path(), "enc.pdf", &pdf);
    let e = run(&p, Format::Pdf, &opts, &out).unwrap_err();
    assert!(matches!(e, ConvertError::Encrypted), "{e:?}");
    assert_eq!(e.code(), "encrypted");
    assert!(e.to_string().contains("password"), "{e}");

    // Truncated right after the header and the catalog: no page tree.
    let full = simple_pdf(2, 3);
    let cut = full.windows(6).position(|w| w == b"endobj").unwrap() + 6;
    let p = write(dir.path(), "cut.pdf", &full[..cut]);
    let e = run(&p, Format::Pdf, &opts, &out).unwrap_err();
    assert_eq!(e.code(), "corrupt", "{e:?}");

    // A PDF with zero pages.
    let empty = build_pdf(&[], &[], "");
    let p = write(dir.path(), "nopages.pdf", &empty);
    let e = run(&p, Format::Pdf, &opts, &out).unwrap_err();
    assert_eq!(e.code(), "corrupt", "{e:?}");
    assert!(e.to_string().contains("no pages"), "{e}");

    // Random bytes claimed to be a PDF.
    let random: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2246822519) >> 11) as u8)
        .collect();
    let p = write(dir.path(), "random.pdf", &random);
    assert_eq!(
        run(&p, Format::Pdf, &opts, &out).unwrap_err().code(),
        "corrupt"
    );

    let p = write(dir.path(), "zero.pdf", b"");
    assert!(matches!(
        run(&p, Format::Pdf, &opts, &out),
        Err(ConvertError::Empty)
    ));
}

/// Rendering speed, reported by the test (numbers in the final report come from here).
#[test]
fn pdf_render_speed_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let pages = 20;
    let input = write(dir.path(), "dense.pdf", &simple_pdf(pages, 45));
    let start = Instant::now();
    let m = run(
        &input,
        Format::Pdf,
        &opts_without_office(dir.path()),
        &dir.path().join("out"),
    )
    .unwrap();
    let per_page = start.elapsed().as_secs_f64() * 1000.0 / pages as f64;
    assert_eq!(m.pages.len(), pages);
    assert!(m.pages[19].text.contains("Line 44 of page 20"));
    println!(
        "PDF render at width 1000: {per_page:.1} ms per page ({pages} pages, 46 text lines each)"
    );
}

// ---------------------------------------------------------------- Office without LibreOffice

#[test]
fn docx_without_office_is_text_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = docx(&[
        "# 第一章 总则",
        "为了规范公共服务，制定本办法。",
        "Second paragraph with <script>alert(1)</script> & more.",
    ]);
    let m = run_alone(dir.path(), "a.docx", &data, Format::Docx).unwrap();
    let out = dir.path().join("out");
    assert_eq!(m.format, Format::Docx);
    match &m.preview {
        PreviewKind::TextOnly { reason } => {
            assert!(reason.contains("LibreOffice is not installed"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.thumbnail, "thumb.svg");
    assert_eq!(m.pages.len(), 1);
    assert_eq!(m.pages[0].mime, "image/svg+xml");
    assert!(
        m.pages[0].text.starts_with("第一章 总则\n为了规范公共服务"),
        "{:?}",
        m.pages[0].text
    );
    let svg = std::fs::read_to_string(out.join(&m.pages[0].image)).unwrap();
    assert!(
        svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more."),
        "{svg}"
    );
    assert!(!svg.contains("<script"));
    assert!(svg.contains("font-weight=\"bold\""), "heading is bold");
    let thumb = std::fs::read_to_string(out.join("thumb.svg")).unwrap();
    assert!(thumb.contains("width=\"240\""));
}

#[test]
fn pptx_slides_are_pages_in_presentation_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = pptx(&[("First", "one"), ("Second", "two"), ("Third", "three")]);
    let m = run_alone(dir.path(), "a.pptx", &data, Format::Pptx).unwrap();
    let texts: Vec<&str> = m.pages.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["First\none", "Second\ntwo", "Third\nthree"]);
}

#[test]
fn xlsx_sheets_start_pages() {
    let dir = tempfile::tempdir().unwrap();
    let m = run_alone(dir.path(), "a.xlsx", &xlsx(), Format::Xlsx).unwrap();
    assert_eq!(m.pages.len(), 2);
    assert_eq!(
        m.pages[0].text,
        "预算\n项目\t金额\nRoads & bridges\t\t1234.5"
    );
    assert_eq!(m.pages[1].text, "Second\ninline text\tTRUE");
}

#[test]
fn ole2_without_office_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    let e = run_alone(dir.path(), "a.doc", &ole, Format::Doc).unwrap_err();
    assert!(matches!(e, ConvertError::OfficeUnavailable));
    assert!(e.to_string().contains("LibreOffice"), "{e}");
}

#[test]
fn broken_docx_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let opts = opts_without_office(dir.path());
    let mut data = docx(&["hello"]);
    data.truncate(data.len() / 2);
    let input = write(dir.path(), "cut.docx", &data);
    assert_eq!(
        run(&input, Format::Docx, &opts, &dir.path().join("o"))
            .unwrap_err()
            .code(),
        "corrupt"
    );

    let bad_xml = zip_bytes(&[(
        "word/document.xml",
        b"<w:document><w:body><w:p><w:t>unclosed</w:document",
    )]);
    let input = write(dir.path(), "bad.docx", &bad_xml);
    // Tolerated or corrupt, but never a panic or a success without text.
    match run(&input, Format::Docx, &opts, &dir.path().join("o2")) {
        Ok(m) => assert!(m.pages[0].text.contains("unclosed")),
        Err(e) => assert_eq!(e.code(), "corrupt"),
    }
}

// ---------------------------------------------------------------- text formats

#[test]
fn txt_in_gbk_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("第一行：公共服务\n第二行 mixed English\n");
    let m = run_alone(dir.path(), "gbk.txt", &gbk, Format::Txt).unwrap();
    let out = dir.path().join("out");
    assert_eq!(m.preview, PreviewKind::Faithful);
    assert_eq!(m.pages[0].text, "第一行：公共服务\n第二行 mixed English");
    let svg = std::fs::read_to_string(out.join("page-0001.svg")).unwrap();
    assert!(svg.contains("第一行：公共服务"));
    assert!(svg.contains("Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"));
}

#[test]
fn txt_with_bom_and_binary_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let opts = opts_without_office(dir.path());
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend_from_slice("带BOM的文本".as_bytes());
    let input = write(dir.path(), "bom.txt", &utf8);
    assert_eq!(
        run(&input, Format::Txt, &opts, &dir.path().join("a"))
            .unwrap()
            .pages[0]
            .text,
        "带BOM的文本"
    );

    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain("大端 UTF-16".encode_utf16().flat_map(|u| u.to_be_bytes()))
        .collect();
    let input = write(dir.path(), "be.txt", &utf16be);
    assert_eq!(
        run(&input, Format::Txt, &opts, &dir.path().join("b"))
            .unwrap()
            .pages[0]
            .text,
        "大端 UTF-16"
    );

    let input = write(dir.path(), "bin.txt", b"abc\0def");
    assert_eq!(
        run(&input, Format::Txt, &opts, &dir.path().join("c"))
            .unwrap_err()
            .code(),
        "unsupported"
    );
}

#[test]
fn long_txt_paginates_and_respects_max_pages() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let input = write(dir.path(), "long.txt", text.as_bytes());
    let opts = convert::Options {
        max_pages: 10,
        ..opts_without_office(dir.path())
    };
    let m = run(&input, Format::Txt, &opts, &dir.path().join("out")).unwrap();
    assert_eq!(m.pages.len(), 10);
    // 38 lines a page: 1000 lines are 27 pages.
    assert!(m.notes[0].contains("27 pages"), "{:?}", m.notes);
    assert!(m.pages[0].text.starts_with("line 0\nline 1\n"));
    assert!(
        m.pages[1].text.starts_with("line 38\n"),
        "{:?}",
        &m.pages[1].text[..20]
    );
}

#[test]
fn markdown_headings_are_larger_and_bold() {
    let dir = tempfile::tempdir().unwrap();
    let md = "# 标题 Title\n\nSome *text* & <b>raw html</b>.\n\n- item one\n- item two\n\n```\ncode <here>\n```\n";
    let m = run_alone(dir.path(), "a.md", md.as_bytes(), Format::Markdown).unwrap();
    let out = dir.path().join("out");
    assert_eq!(
        m.pages[0].text,
        "标题 Title\nSome text & raw html.\n• item one\n• item two\ncode <here>"
    );
    let svg = std::fs::read_to_string(out.join("page-0001.svg")).unwrap();
    assert!(
        svg.contains("font-size=\"36.75\" font-weight=\"bold\">标题 Title</text>"),
        "{svg}"
    );
    assert!(svg.contains("code &lt;here&gt;"));
    assert!(!svg.contains("<b>"));
}

#[test]
fn epub_follows_the_spine() {
    let dir = tempfile::tempdir().unwrap();
    let data = epub(&[
        "<h1>Chapter A</h1><p>Alpha&nbsp;text &amp; more</p><script>evil()</script>",
        "<h2>第二章</h2><p>正文<br/>换行</p><ul><li>one</li><li>two</li></ul>",
    ]);
    let m = run_alone(dir.path(), "book.epub", &data, Format::Epub).unwrap();
    // The spine lists chapter 1 before chapter 0; each chapter starts a page.
    assert_eq!(m.pages.len(), 2);
    assert_eq!(m.pages[0].text, "第二章\n正文\n换行\n• one\n• two");
    // &nbsp; becomes a plain space in the extracted text (better for search).
    assert_eq!(m.pages[1].text, "Chapter A\nAlpha text & more");
}
