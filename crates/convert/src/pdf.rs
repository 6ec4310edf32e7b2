//! PDF: rendered in-process with hayro (pure Rust), text taken from the same interpreter
//! through a text-collecting `Device`.

use crate::error::corrupt;
use crate::{ConvertError, Format, Manifest, Options, PageEntry, PreviewKind};
use hayro::hayro_interpret::font::{FallbackFontQuery, FontData, FontQuery, GlyphRun};
use hayro::hayro_interpret::hayro_cmap::{BfString, CidFamily};
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageDrawProps,
    InterpreterCache, InterpreterSettings, InterpreterWarning, SoftMask, interpret_page,
};
use hayro::hayro_syntax::page::Page;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::kurbo::{Affine, BezPath, Point, Rect};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::peniko::ImageAlphaType;
use hayro::vello_cpu::{Pixels, Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings, render_into};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Pages taller than this many widths are cut (a 1 pt × 10 m page would be a huge bitmap).
const MAX_ASPECT: f32 = 8.0;

/// A CJK font commonly installed on Linux servers (and macOS), for PDFs that rely on
/// fonts they do not embed.
pub fn find_cjk_font() -> Option<PathBuf> {
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/System/Library/Fonts/PingFang.ttc",
        "/System/Library/Fonts/STHeiti Light.ttc",
    ];
    CANDIDATES.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The CJK font file, read on first use only (it is ~20 MB and most PDFs embed their fonts).
struct LazyFont {
    path: PathBuf,
    data: OnceLock<Option<FontData>>,
}

impl LazyFont {
    fn get(&self) -> Option<FontData> {
        self.data
            .get_or_init(|| {
                std::fs::read(&self.path)
                    .ok()
                    .map(|bytes| Arc::new(bytes) as FontData)
            })
            .clone()
    }

    /// Face index inside a Noto CJK collection (JP, KR, SC, TC order); 0 elsewhere.
    fn index(&self, family: Option<&CidFamily>) -> u32 {
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.contains("CJK") && name.ends_with(".ttc")) {
            return 0;
        }
        match family {
            Some(CidFamily::AdobeJapan1) => 0,
            Some(CidFamily::AdobeKorea1) => 1,
            Some(CidFamily::AdobeCNS1) => 3,
            _ => 2,
        }
    }
}

/// Does a non-embedded font look like a CJK one (by its collection or its name)?
fn wants_cjk(q: &FallbackFontQuery) -> bool {
    if let Some(cc) = &q.character_collection {
        return !matches!(cc.family, CidFamily::Custom { .. });
    }
    const HINTS: &[&str] = &[
        "sim",
        "song",
        "hei",
        "kai",
        "fangsong",
        "ming",
        "gothic",
        "mincho",
        "yahei",
        "msung",
        "mhei",
        "stsong",
        "heiti",
        "batang",
        "gulim",
        "dotum",
        "malgun",
        "meiryo",
        "yugoth",
        "cjk",
        "source han",
        "sourcehan",
        "hiragino",
        "pingfang",
        "wenquanyi",
        "wqy",
        "droid sans fallback",
    ];
    [&q.post_script_name, &q.font_name, &q.font_family]
        .into_iter()
        .flatten()
        .any(|n| {
            let n = n.to_lowercase();
            !n.is_ascii() || HINTS.iter().any(|h| n.contains(h))
        })
}

/// What hayro warned about while rendering, for notes in the manifest.
#[derive(Default)]
pub(crate) struct Warnings {
    fonts: AtomicBool,
    images: AtomicBool,
}

impl Warnings {
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.fonts.load(Ordering::Relaxed) {
            notes.push("Some fonts of this PDF could not be loaded; their text may be missing or look different.".to_string());
        }
        if self.images.load(Ordering::Relaxed) {
            notes.push(
                "Some images of this PDF could not be decoded and are missing from the preview."
                    .to_string(),
            );
        }
        notes
    }
}

pub(crate) fn interpreter_settings(opts: &Options, warnings: Arc<Warnings>) -> InterpreterSettings {
    let cjk = opts.cjk_font.clone().map(|path| {
        Arc::new(LazyFont {
            path,
            data: OnceLock::new(),
        })
    });
    InterpreterSettings {
        font_resolver: Arc::new(move |query: &FontQuery| match query {
            FontQuery::Standard(s) => Some(s.get_font_data()),
            FontQuery::Fallback(f) => {
                let cjk_font = || {
                    let font = cjk.as_ref()?;
                    Some((
                        font.get()?,
                        font.index(f.character_collection.as_ref().map(|c| &c.family)),
                    ))
                };
                if wants_cjk(f)
                    && let Some(found) = cjk_font()
                {
                    return Some(found);
                }
                Some(f.pick_standard_font().get_font_data()).or_else(cjk_font)
            }
        }),
        warning_sink: Arc::new(move |w| match w {
            InterpreterWarning::UnsupportedFont => warnings.fonts.store(true, Ordering::Relaxed),
            InterpreterWarning::ImageDecodeFailure => {
                warnings.images.store(true, Ordering::Relaxed)
            }
            _ => {}
        }),
        ..Default::default()
    }
}

/// Opens a PDF, turning hayro's errors into user-facing ones.
pub(crate) fn open(data: Vec<u8>) -> Result<Pdf, ConvertError> {
    let data = Arc::new(data);
    match Pdf::new(data.clone()) {
        Ok(pdf) => Ok(pdf),
        Err(LoadPdfError::Decryption(_)) => Err(ConvertError::Encrypted),
        // hayro's recovery path may give up on an encrypted file without saying why.
        Err(LoadPdfError::Invalid) if memchr::memmem::find(&data, b"/Encrypt").is_some() => {
            Err(ConvertError::Encrypted)
        }
        Err(LoadPdfError::Invalid) => Err(corrupt(
            "PDF",
            "its structure could not be read; it may be truncated",
        )),
    }
}

/// Page size in pixels at `width_px`, with absurd aspect ratios cut.
fn pixel_size(page: &Page<'_>, width_px: u32) -> Result<(u16, u16, f32), ConvertError> {
    let (w, h) = page.render_dimensions();
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
        return Err(corrupt("PDF", "a page has no valid size"));
    }
    let width_px = width_px.min(u32::from(u16::MAX));
    let scale = width_px as f32 / w;
    let height_px = ((h * scale).round() as u32)
        .clamp(1, (width_px as f32 * MAX_ASPECT) as u32)
        .min(u32::from(u16::MAX));
    Ok((width_px as u16, height_px as u16, scale))
}

/// A white page of the right size, for a page whose rendering failed (flag = true).
fn blank_png(page: &Page<'_>, width_px: u32) -> Result<(Vec<u8>, bool), ConvertError> {
    let (w, h, _) = pixel_size(page, width_px)?;
    let mut pixmap = Pixmap::new(w, h);
    pixmap.data_as_u8_slice_mut().fill(255);
    Ok((encode_png(pixmap)?, true))
}

/// Renders one page to a PNG `width_px` wide (flag = false: a real rendering).
fn render_png<'a>(
    page: &'a Page<'a>,
    cache: &RenderCache<'a>,
    settings: &InterpreterSettings,
    width_px: u32,
) -> Result<(Vec<u8>, bool), ConvertError> {
    let (width_px, height_px, scale) = pixel_size(page, width_px)?;
    let mut ctx = RenderContext::new(width_px, height_px);
    let transform = Affine::scale(f64::from(scale)) * page.initial_transform(true).to_kurbo();
    render_into(
        page,
        cache,
        settings,
        &RenderSettings::default(),
        &mut ctx,
        transform,
    );
    ctx.flush();
    let mut pixmap = Pixmap::new(ctx.width(), ctx.height());
    ctx.render_with(
        &mut pixmap,
        &mut Resources::default(),
        RasterizerSettings {
            target_init: TargetInit::Clear(WHITE),
            ..Default::default()
        },
    );
    Ok((encode_png(pixmap)?, false))
}

/// Encodes the pixmap as a PNG, grey when the page is grey. The page was cleared to opaque white, so premultiplied
/// RGBA is plain RGBA and alpha can go; vello's own (optimised) conversion drops it.
fn encode_png(mut pixmap: Pixmap) -> Result<Vec<u8>, ConvertError> {
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    pixmap.set_may_have_transparency(false);
    let (color, data) = match pixmap.try_take_rgb8(ImageAlphaType::AlphaPremultiplied) {
        // Most document pages are black on white: grey PNGs are a third of the size.
        Pixels::Rgb8(d) => match to_grey(w, h, d) {
            Ok(grey) => (png::ColorType::Grayscale, grey),
            Err(rgb) => (png::ColorType::Rgb, rgb),
        },
        Pixels::Rgba8(d) => (png::ColorType::Rgba, d),
    };
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Balanced);
    let png_err = |e: png::EncodingError| ConvertError::Io(std::io::Error::other(e.to_string()));
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(&data).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

/// The grey channel if every pixel is grey, else the RGB data back. Uses the image crate's
/// concrete (optimised) conversions: a pixel loop here would run unoptimised in test builds.
fn to_grey(w: u32, h: u32, rgb: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    let Some(buf) = image::RgbImage::from_raw(w, h, rgb) else {
        return Err(Vec::new());
    };
    let colour = image::DynamicImage::ImageRgb8(buf);
    // Luma weights sum to 1, so a grey pixel survives the round trip exactly.
    let grey = image::DynamicImage::ImageLuma8(colour.to_luma8());
    if grey.to_rgb8().as_raw() == colour.as_bytes() {
        Ok(grey.into_bytes())
    } else {
        Err(colour.into_bytes())
    }
}

/// Converts a PDF file. `format` and `preview` are what the manifest should say (an
/// Office document converted by LibreOffice is still a "docx").
pub(crate) fn convert(
    input: &Path,
    format: Format,
    preview: PreviewKind,
    opts: &Options,
    out_dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    let data = std::fs::read(input)?;
    if data.is_empty() {
        return Err(ConvertError::Empty);
    }
    std::fs::create_dir_all(out_dir)?;
    let pdf = open(data)?;
    let all = pdf.pages();
    if all.is_empty() {
        return Err(corrupt("PDF", "it has no pages"));
    }
    let total = all.len();
    let count = total.min(opts.max_pages.max(1) as usize);
    let mut notes = Vec::new();
    if count < total {
        notes.push(format!(
            "The document has {total} pages; only the first {count} were converted."
        ));
    }
    let warnings = Arc::new(Warnings::default());
    let settings = interpreter_settings(opts, warnings.clone());
    let cache = RenderCache::new();
    let text_cache = InterpreterCache::new();
    let page_width = crate::clamp_width(opts.page_width);
    let mut pages = Vec::with_capacity(count);
    for (i, page) in all.iter().take(count).enumerate() {
        let n = i as u32 + 1;
        // One page that trips the renderer should not cost the whole document: it is
        // shown blank, with a note.
        let render = |width: u32| {
            catch_unwind(AssertUnwindSafe(|| {
                render_png(page, &cache, &settings, width)
            }))
            .unwrap_or_else(|_| blank_png(page, width))
        };
        let png = render(page_width)?;
        if png.1 {
            notes.push(format!(
                "Page {n} could not be rendered and is shown blank."
            ));
        }
        let image = format!("page-{n:04}.png");
        std::fs::write(out_dir.join(&image), png.0)?;
        if i == 0 {
            let thumb = render(crate::clamp_width(opts.thumb_width))?;
            std::fs::write(out_dir.join("thumb.png"), thumb.0)?;
        }
        let text = catch_unwind(AssertUnwindSafe(|| page_text(page, &text_cache, &settings)))
            .unwrap_or_default();
        pages.push(PageEntry {
            n,
            image,
            mime: "image/png".into(),
            text,
        });
        progress(n, count as u32);
    }
    notes.extend(warnings.notes());
    Ok(Manifest {
        format,
        pages,
        thumbnail: "thumb.png".into(),
        preview,
        notes,
    })
}

/// Extracted text of one page, in content-stream order, with line breaks where the
/// baseline moves and spaces where glyphs leave a gap.
pub(crate) fn page_text<'a>(
    page: &'a Page<'a>,
    cache: &InterpreterCache<'a>,
    settings: &InterpreterSettings,
) -> String {
    let mut ctx = Context::new(
        Affine::IDENTITY,
        Rect::new(0.0, 0.0, 1.0, 1.0),
        cache,
        page.xref(),
        settings.clone(),
    );
    let mut sink = TextSink::default();
    interpret_page(page, &mut ctx, &mut sink);
    let lines: Vec<&str> = sink.out.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

#[derive(Default)]
struct TextSink {
    out: String,
    /// End of the previous glyph: x, baseline y, font size (user space).
    last: Option<(f64, f64, f64)>,
    /// Fill-and-stroke text arrives twice; remember the previous run to skip the repeat.
    last_run: Option<(i64, i64, usize)>,
}

impl TextSink {
    fn glyphs(&mut self, run: &GlyphRun<'_, '_>, props: &DrawProps<'_>) {
        let glyphs = run.glyphs();
        let Some(first) = glyphs.first() else { return };
        let origin = (props.transform * first.transform()) * Point::ZERO;
        let key = (
            (origin.x * 100.0) as i64,
            (origin.y * 100.0) as i64,
            glyphs.len(),
        );
        if self.last_run == Some(key) {
            return;
        }
        self.last_run = Some(key);
        for g in glyphs {
            let t = props.transform * g.transform();
            let [a, b, c, d, _, _] = t.as_coeffs();
            // Glyph space is 1000 units per em.
            let size = ((a * d - b * c).abs().sqrt() * 1000.0).max(0.01);
            let p = t * Point::ZERO;
            let s = match g.as_unicode() {
                Some(BfString::Char(ch)) => ch.to_string(),
                Some(BfString::String(s)) => s,
                None => continue,
            };
            if let Some((lx, ly, lsize)) = self.last {
                let em = size.max(lsize);
                let gap = p.x - lx;
                if (p.y - ly).abs() > em * 0.5 || gap < -em * 4.0 {
                    if !self.out.ends_with('\n') {
                        self.out.push('\n');
                    }
                } else if gap > em * 0.2
                    && !self.out.ends_with([' ', '\n'])
                    && !s.starts_with(char::is_whitespace)
                {
                    self.out.push(' ');
                }
            }
            // The glyph's advance (1000 units per em) through the same transform; estimated
            // from the characters when the font does not say.
            let advance = match &**g {
                hayro::hayro_interpret::font::Glyph::Outline(o) => o.advance_width(),
                hayro::hayro_interpret::font::Glyph::Type3(t3) => t3.advance_width(),
            };
            let end_x = match advance.filter(|w| w.is_finite() && *w > 0.0) {
                Some(w) => (t * Point::new(f64::from(w), 0.0)).x,
                None => {
                    let ems: f64 = s
                        .chars()
                        .map(|c| {
                            if crate::text_pages::is_wide(c) {
                                1.0
                            } else {
                                0.5
                            }
                        })
                        .sum();
                    p.x + ems * size
                }
            };
            let s = s.replace(['\u{0}', '\r'], "");
            self.out.push_str(&s);
            self.last = Some((end_x, p.y, size));
        }
    }
}

impl<'a> Device<'a> for TextSink {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, _: &DrawMode) {
        self.glyphs(run, &props);
    }
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}
}
