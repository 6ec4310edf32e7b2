//! Inputs made by hand inside the tests: PDFs with a correct xref table, tiny OOXML and
//! EPUB zips. Nothing is downloaded and no fixture files are needed.
#![allow(dead_code)]

use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// One line of text on a page: (x, y, font size, text). Text starting with `U+` codes is
/// written with the CJK font as hex UCS-2, otherwise with Helvetica.
pub struct PdfText<'a> {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: &'a str,
}

fn pdf_string(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Writes a PDF: objects, then an xref table with exact byte offsets, then the trailer.
/// `extra_trailer` is pasted into the trailer dictionary (used for /Encrypt).
pub fn build_pdf(
    pages: &[Vec<PdfText<'_>>],
    extra_objects: &[String],
    extra_trailer: &str,
) -> Vec<u8> {
    // Object numbering: 1 catalog, 2 pages, 3 Helvetica, 4 CJK Type0 font, 5 its CIDFont,
    // 6 its ToUnicode, 7.. the extra objects, then for each page: page object, content stream.
    let mut cjk_chars: Vec<char> = pages
        .iter()
        .flatten()
        .flat_map(|t| t.text.chars())
        .filter(|c| !c.is_ascii())
        .collect();
    cjk_chars.sort();
    cjk_chars.dedup();
    let first_page_obj = 7 + extra_objects.len();
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", first_page_obj + 2 * i))
        .collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] /ToUnicode 6 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> /DW 1000 >>".to_vec(),
    ];
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    if !cjk_chars.is_empty() {
        cmap.push_str(&format!("{} beginbfchar\n", cjk_chars.len()));
        for c in &cjk_chars {
            cmap.push_str(&format!("<{:04X}> <{:04X}>\n", *c as u32, *c as u32));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    objects.push(stream(cmap.as_bytes()));
    for o in extra_objects {
        objects.push(o.clone().into_bytes());
    }
    for (i, page) in pages.iter().enumerate() {
        let content_obj = first_page_obj + 2 * i + 1;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_obj} 0 R >>"
            )
            .into_bytes(),
        );
        let mut content = String::new();
        // A grey frame and a dark block, so a render is never blank even without fonts.
        content.push_str("0.8 g 40 40 515 6 re f 0 g\n");
        for t in page {
            if t.text.is_ascii() {
                content.push_str(&format!(
                    "BT /F1 {} Tf {} {} Td {} Tj ET\n",
                    t.size,
                    t.x,
                    t.y,
                    pdf_string(t.text)
                ));
            } else {
                let hex: String = t.text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                content.push_str(&format!(
                    "BT /F2 {} Tf {} {} Td <{hex}> Tj ET\n",
                    t.size, t.x, t.y
                ));
            }
        }
        objects.push(stream(content.as_bytes()));
    }

    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {extra_trailer} >>\nstartxref\n{xref_at}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// A simple PDF: `n` pages, each with a title and some lines.
pub fn simple_pdf(n: usize, lines_per_page: usize) -> Vec<u8> {
    let texts: Vec<Vec<String>> = (0..n)
        .map(|p| {
            let mut v = vec![format!("Page {} title", p + 1)];
            for l in 0..lines_per_page {
                v.push(format!(
                    "Line {l} of page {}: the quick brown fox jumps over the lazy dog.",
                    p + 1
                ));
            }
            v
        })
        .collect();
    let pages: Vec<Vec<PdfText<'_>>> = texts
        .iter()
        .map(|lines| {
            lines
                .iter()
                .enumerate()
                .map(|(i, t)| PdfText {
                    x: 60.0,
                    y: 780.0 - 16.0 * i as f32,
                    size: if i == 0 { 20.0 } else { 11.0 },
                    text: t,
                })
                .collect()
        })
        .collect();
    build_pdf(&pages, &[], "")
}

pub fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" || name.ends_with(".bin") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub const CONTENT_TYPES_DOCX: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

pub const RELS_DOCX: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// document.xml with one paragraph per entry; entries starting with "# " are Heading1.
pub fn docx_document_xml(paragraphs: &[&str]) -> String {
    let mut body = String::new();
    for p in paragraphs {
        let (style, text) = match p.strip_prefix("# ") {
            Some(t) => (r#"<w:pPr><w:pStyle w:val="Heading1"/></w:pPr>"#, t),
            None => ("", *p),
        };
        let text = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        body.push_str(&format!(
            r#"<w:p>{style}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    )
}

pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let doc = docx_document_xml(paragraphs);
    zip_bytes(&[
        ("[Content_Types].xml", CONTENT_TYPES_DOCX.as_bytes()),
        ("_rels/.rels", RELS_DOCX.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
    ])
}

pub fn pptx(slides: &[(&str, &str)]) -> Vec<u8> {
    let ids: String = (0..slides.len())
        .map(|i| format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 256 + i, i + 1))
        .collect();
    let pres = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#
    );
    // Relationship order deliberately reversed relative to file names: order comes from sldIdLst.
    let rels: String = (0..slides.len())
        .map(|i| {
            format!(
                r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide{}.xml"/>"#,
                i + 1,
                slides.len() - i
            )
        })
        .collect();
    let rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
    );
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_vec()),
        ("ppt/presentation.xml".into(), pres.into_bytes()),
        ("ppt/_rels/presentation.xml.rels".into(), rels.into_bytes()),
    ];
    for (i, (title, body)) in slides.iter().enumerate() {
        let xml = format!(
            r#"<?xml version="1.0"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="1" name="Title"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>{title}</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:nvSpPr><p:cNvPr id="2" name="Body"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:txBody><a:p><a:r><a:t>{body}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        );
        entries.push((
            format!("ppt/slides/slide{}.xml", slides.len() - i),
            xml.into_bytes(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_bytes(&refs)
}

pub fn xlsx() -> Vec<u8> {
    let book = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="预算" sheetId="1" r:id="rId1"/><sheet name="Second" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>"#;
    let shared = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>项目</t></si><si><r><t>金</t></r><r><t>额</t></r></si><si><t>Roads &amp; bridges</t></si></sst>"#;
    let sheet1 = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>1234.5</v></c></row></sheetData></worksheet>"#;
    let sheet2 = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>inline text</t></is></c><c r="B1" t="b"><v>1</v></c></row></sheetData></worksheet>"#;
    zip_bytes(&[
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
        ("xl/workbook.xml", book.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/sharedStrings.xml", shared.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet1.as_bytes()),
        ("xl/worksheets/sheet2.xml", sheet2.as_bytes()),
    ])
}

pub fn epub(chapters: &[&str]) -> Vec<u8> {
    let container = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
    let items: String = (0..chapters.len())
        .map(|i| {
            format!(
                r#"<item id="c{i}" href="text/ch%20{i}.xhtml" media-type="application/xhtml+xml"/>"#
            )
        })
        .collect();
    // Spine in reverse order of the manifest: the spine decides.
    let spine: String = (0..chapters.len())
        .rev()
        .map(|i| format!(r#"<itemref idref="c{i}"/>"#))
        .collect();
    let opf = format!(
        r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata/><manifest>{items}<item id="css" href="style.css" media-type="text/css"/></manifest><spine>{spine}</spine></package>"#
    );
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("mimetype".into(), b"application/epub+zip".to_vec()),
        (
            "META-INF/container.xml".into(),
            container.as_bytes().to_vec(),
        ),
        ("OEBPS/content.opf".into(), opf.into_bytes()),
        ("OEBPS/style.css".into(), b"p { color: red }".to_vec()),
    ];
    for (i, body) in chapters.iter().enumerate() {
        let xhtml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter title in head</title><style>p {{}}</style></head><body>{body}</body></html>"#
        );
        entries.push((format!("OEBPS/text/ch {i}.xhtml"), xhtml.into_bytes()));
    }
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_bytes(&refs)
}

/// Converts `input` into `out`, not watching its progress.
pub fn convert_quietly(
    input: &std::path::Path,
    format: convert::Format,
    opts: &convert::Options,
    out: &std::path::Path,
) -> Result<convert::Manifest, convert::ConvertError> {
    convert::convert(input, format, opts, out, &mut |_, _| {})
}

/// Options that do not depend on what this machine has installed.
pub fn opts_without_office(profile: &std::path::Path) -> convert::Options {
    convert::Options {
        soffice: None,
        profile_dir: profile.to_path_buf(),
        ..Default::default()
    }
}

/// Decodes a PNG: (width, height, rgb-or-rgba bytes, channels).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type.samples())
}
