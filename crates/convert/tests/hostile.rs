//! Mutated and truncated inputs: every outcome is a manifest or a typed error, quickly.

mod common;

use common::*;
use convert::{Format, convert, sniff};
use std::time::{Duration, Instant};

/// A small deterministic generator (no rand dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn mutate(data: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut d = data.to_vec();
    match rng.next() % 4 {
        0 => {
            let cut = rng.next() as usize % d.len().max(1);
            d.truncate(cut.max(1));
        }
        1 => {
            for _ in 0..1 + rng.next() % 16 {
                let i = rng.next() as usize % d.len();
                d[i] = rng.next() as u8;
            }
        }
        2 => {
            let i = rng.next() as usize % d.len();
            let n = (rng.next() as usize % 64).min(d.len() - i);
            d.drain(i..i + n);
        }
        _ => {
            let i = rng.next() as usize % d.len();
            let junk: Vec<u8> = (0..rng.next() % 64).map(|_| rng.next() as u8).collect();
            d.splice(i..i, junk);
        }
    }
    d
}

#[test]
fn mutated_inputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let opts = convert::Options {
        page_width: 200,
        thumb_width: 50,
        ..opts_without_office(dir.path())
    };
    let seeds: Vec<(Format, &str, Vec<u8>)> = vec![
        (Format::Pdf, "x.pdf", simple_pdf(2, 3)),
        (
            Format::Docx,
            "x.docx",
            docx(&["# Title", "Body 正文", "more"]),
        ),
        (Format::Pptx, "x.pptx", pptx(&[("A", "b"), ("C", "d")])),
        (Format::Xlsx, "x.xlsx", xlsx()),
        (
            Format::Epub,
            "x.epub",
            epub(&["<h1>A</h1><p>b</p>", "<p>c</p>"]),
        ),
        (
            Format::Markdown,
            "x.md",
            b"# T\n\n- a\n- b\n\n> q\n\n```\nc\n```\n".to_vec(),
        ),
        (Format::Txt, "x.txt", "文本 text\n".repeat(50).into_bytes()),
    ];
    let mut rng = Lcg(42);
    let (mut ok, mut failed, mut internal) = (0, 0, 0);
    for (format, name, seed) in &seeds {
        for i in 0..40 {
            let data = mutate(seed, &mut rng);
            let _ = sniff(&data, Some(name));
            let input = dir.path().join(format!("m{i}-{name}"));
            std::fs::write(&input, &data).unwrap();
            let out = dir.path().join(format!("out-{i}-{name}"));
            let start = Instant::now();
            match convert(&input, *format, &opts, &out, &mut |_, _| {}) {
                Ok(m) => {
                    ok += 1;
                    assert!(!m.pages.is_empty());
                    for p in &m.pages {
                        assert!(out.join(&p.image).is_file());
                    }
                }
                Err(e) => {
                    failed += 1;
                    assert!(!e.to_string().is_empty());
                    if e.to_string().contains("converter failed on its content") {
                        internal += 1;
                    }
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} mutation {i} was slow"
            );
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    println!("mutations: {ok} converted, {failed} refused ({internal} by a caught panic)");
}
