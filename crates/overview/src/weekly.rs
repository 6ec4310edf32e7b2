//! The weekly report (周报) of an area: the overview's figures as an A4 PDF — Chinese text in
//! an embedded (subset) CJK font, so a reader can copy it and a text extractor finds it;
//! the chart drawn as vector shapes — and the same tables as an Excel workbook.

use crate::figures::{Overview, PERIOD_DAYS};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use std::sync::{Arc, OnceLock};

/// Where the CJK font is looked for (Debian's fonts-noto-cjk), unless
/// `GONGZHI_REPORT_FONT` names a file; a `.ttc` collection's face 2 is Simplified Chinese.
const FONT_CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
];

/// The report font, read once.
fn font() -> Option<Font> {
    static FONT: OnceLock<Option<(Arc<Vec<u8>>, u32)>> = OnceLock::new();
    let (data, index) = FONT
        .get_or_init(|| {
            let from_env = std::env::var("GONGZHI_REPORT_FONT").ok().map(|p| (p, 0));
            from_env
                .into_iter()
                .chain(FONT_CANDIDATES.iter().map(|(p, i)| (p.to_string(), *i)))
                .find_map(|(p, i)| std::fs::read(p).ok().map(|d| (Arc::new(d), i)))
        })
        .clone()?;
    Font::new(data.into(), index)
}

/// One labelled figure of the report.
pub struct Line {
    pub label: String,
    pub value: String,
}

/// What the report says, in the reader's language, ready to lay out or tabulate.
pub struct Report {
    pub title: String,
    pub period: String,
    pub generated: String,
    pub figures: Vec<Line>,
    /// (area, organisations per 10,000 residents)
    pub areas: Vec<(String, f64)>,
    pub chart_title: String,
    pub table_head: [String; 2],
}

fn rate(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{r:.1}%"))
}

impl Report {
    pub fn of(o: &Overview, zh: bool, period: String, generated: String) -> Report {
        let t = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
        let name = o
            .unit
            .as_ref()
            .map_or(t("全区", "All units"), |u| u.name.clone());
        let line = |label: String, value: String| Line { label, value };
        Report {
            title: format!("{name} {}", t("社会治理周报", "weekly report")),
            period,
            generated,
            figures: vec![
                line(t("常住人口", "Residents"), o.residents.to_string()),
                line(t("社会组织", "Organisations"), o.orgs.to_string()),
                line(
                    t("每万人社会组织数", "Organisations per 10,000 residents"),
                    o.orgs_per_10k.map_or("—".into(), |v| format!("{v:.1}")),
                ),
                line(
                    t("派单事件（近30天）", "Cases dispatched (30 days)"),
                    o.cases.dispatched.to_string(),
                ),
                line(
                    t("按时签收率", "Signed for on time"),
                    rate(o.cases.on_time_rate),
                ),
                line(t("超期事件", "Overdue cases"), o.cases.overdue.to_string()),
                line(
                    t("群众满意率", "Residents satisfied"),
                    rate(o.cases.satisfaction_rate),
                ),
                line(t("需求已对接", "Needs met"), o.needs.matched.to_string()),
                line(t("需求未满足", "Needs unmet"), o.needs.unmet.to_string()),
                line(
                    t("在建购买服务项目", "Projects running"),
                    o.needs.projects_running.to_string(),
                ),
                line(
                    t("逾期里程碑", "Milestones slipping"),
                    o.needs.milestones_slipping.to_string(),
                ),
                line(
                    t("提案按时办复率", "Proposals answered on time"),
                    rate(o.proposals.answered_on_time_rate),
                ),
                line(
                    t("提案者满意率", "Proposers satisfied"),
                    rate(o.proposals.satisfaction_rate),
                ),
            ],
            areas: o
                .areas
                .iter()
                .map(|a| (a.name.clone(), a.orgs_per_10k.unwrap_or(0.0)))
                .collect(),
            chart_title: t(
                "各区域每万人社会组织数",
                "Organisations per 10,000 residents by area",
            ),
            table_head: [t("指标", "Figure"), t("数值", "Value")],
        }
    }
}

const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;

fn fill(s: &mut Surface, r: u8, g: u8, b: u8) {
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }));
}

fn rect(s: &mut Surface, x: f32, y: f32, w: f32, h: f32) {
    let mut p = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) {
        p.push_rect(r);
    }
    if let Some(path) = p.finish() {
        s.draw_path(&path);
    }
}

fn text(s: &mut Surface, font: &Font, x: f32, y: f32, size: f32, t: &str) {
    s.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        t,
        false,
        TextDirection::Auto,
    );
}

/// The report as PDF bytes; `None` when no CJK font is installed.
pub fn pdf(r: &Report) -> Option<Result<Vec<u8>, String>> {
    let font = font()?;
    let mut doc = Document::new();
    let mut page = doc.start_page_with(PageSettings::from_wh(A4.0, A4.1).expect("A4"));
    let mut s = page.surface();
    fill(&mut s, 180, 35, 42);
    rect(&mut s, 0.0, 0.0, A4.0, 6.0);
    fill(&mut s, 20, 20, 20);
    text(&mut s, &font, MARGIN, 70.0, 20.0, &r.title);
    fill(&mut s, 90, 90, 90);
    text(
        &mut s,
        &font,
        MARGIN,
        92.0,
        10.0,
        &format!("{} · {}", r.period, r.generated),
    );
    // The figures as a two-column table.
    let mut y = 124.0;
    fill(&mut s, 240, 240, 242);
    rect(&mut s, MARGIN, y - 14.0, A4.0 - 2.0 * MARGIN, 20.0);
    fill(&mut s, 20, 20, 20);
    text(&mut s, &font, MARGIN + 6.0, y, 10.5, &r.table_head[0]);
    text(
        &mut s,
        &font,
        A4.0 - MARGIN - 120.0,
        y,
        10.5,
        &r.table_head[1],
    );
    for l in &r.figures {
        y += 20.0;
        text(&mut s, &font, MARGIN + 6.0, y, 10.5, &l.label);
        text(&mut s, &font, A4.0 - MARGIN - 120.0, y, 10.5, &l.value);
        fill(&mut s, 225, 225, 228);
        rect(&mut s, MARGIN, y + 6.0, A4.0 - 2.0 * MARGIN, 0.5);
        fill(&mut s, 20, 20, 20);
    }
    // The chart: one bar per area, drawn as vector rectangles.
    y += 44.0;
    text(&mut s, &font, MARGIN, y, 12.0, &r.chart_title);
    let max = r.areas.iter().map(|a| a.1).fold(0.0_f64, f64::max).max(0.1);
    let width = A4.0 - 2.0 * MARGIN - 170.0;
    for (name, v) in r.areas.iter().take(20) {
        y += 18.0;
        fill(&mut s, 40, 40, 40);
        text(&mut s, &font, MARGIN, y, 9.5, name);
        fill(&mut s, 180, 35, 42);
        rect(
            &mut s,
            MARGIN + 110.0,
            y - 9.0,
            (v / max) as f32 * width,
            11.0,
        );
        fill(&mut s, 40, 40, 40);
        text(
            &mut s,
            &font,
            MARGIN + 116.0 + (v / max) as f32 * width,
            y,
            9.5,
            &format!("{v:.1}"),
        );
    }
    s.finish();
    page.finish();
    Some(doc.finish().map_err(|e| format!("{e:?}")))
}

/// The same tables as an Excel workbook.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::Workbook;
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, &r.title).map_err(err)?;
    sheet.write_string(1, 0, &r.period).map_err(err)?;
    sheet.write_string(3, 0, &r.table_head[0]).map_err(err)?;
    sheet.write_string(3, 1, &r.table_head[1]).map_err(err)?;
    for (i, l) in r.figures.iter().enumerate() {
        let row = 4 + i as u32;
        sheet.write_string(row, 0, &l.label).map_err(err)?;
        sheet.write_string(row, 1, &l.value).map_err(err)?;
    }
    sheet.set_column_width(0, 28).map_err(err)?;
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, &r.chart_title).map_err(err)?;
    for (i, (name, v)) in r.areas.iter().enumerate() {
        sheet.write_string(1 + i as u32, 0, name).map_err(err)?;
        sheet.write_number(1 + i as u32, 1, *v).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// The report's period line: the last `PERIOD_DAYS` days up to `today`.
pub fn period(today: &str, zh: bool) -> String {
    if zh {
        format!("统计周期：截至 {today} 的近 {PERIOD_DAYS} 天")
    } else {
        format!("Period: the {PERIOD_DAYS} days to {today}")
    }
}
