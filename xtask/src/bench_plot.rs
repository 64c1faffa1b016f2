//! The SVG plot of `cargo xtask bench ipc --host`: one panel per placement, a horizontal bar per
//! row with its median cycles on a log axis and a tick at its p99, grouped by payload; measured
//! rows in colour (Hayabusa and the rest apart), cited rows hollow and marked. Drawn with
//! `plotters`' SVG backend alone: text is left to the SVG viewer's fonts.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::bench_rows::{Placement, Row, Source};

const WIDTH: u32 = 1200;
/// Left of each panel's plot: the rows' names.
const LABELS: u32 = 470;
const TITLE: u32 = 56;
const LEGEND: u32 = 34;
/// One bar or payload heading.
const SLOT: u32 = 21;
/// A panel's caption and x axis.
const PANEL_EXTRA: u32 = 85;

const HAYABUSA: RGBColor = RGBColor(214, 90, 36);
const OTHER: RGBColor = RGBColor(58, 108, 178);
const CITED: RGBColor = RGBColor(110, 110, 110);
const CITED_FILL: RGBColor = RGBColor(232, 232, 232);

type Error = Box<dyn std::error::Error>;

/// Writes the plot of `rows` (sorted as [`crate::bench_rows::merge`] sorts them) to `path`;
/// `title` names the machine, `subtitle` the command.
pub fn render(rows: &[Row], title: &str, subtitle: &str, path: &Path) -> Result<(), String> {
    draw(rows, title, subtitle, path).map_err(|e| format!("drawing {}: {e}", path.display()))
}

/// One line of a panel, top to bottom.
enum Slot<'a> {
    Heading(String),
    Bar(&'a Row),
}

/// A placement's rows grouped by payload (none first), each group under its heading.
fn slots(rows: &[Row], placement: Placement) -> Vec<Slot<'_>> {
    let mut mine: Vec<&Row> = rows.iter().filter(|r| r.placement == placement).collect();
    mine.sort_by_key(|r| (r.payload, r.group()));
    let mut slots = Vec::new();
    for (i, row) in mine.iter().enumerate() {
        if i == 0 || mine[i - 1].payload != row.payload {
            slots.push(Slot::Heading(row.payload.map_or("no message".into(), |b| format!("{b} B each way"))));
        }
        slots.push(Slot::Bar(row));
    }
    slots
}

/// The x axis: whole powers of ten around every median and p99.
fn x_range(rows: &[Row]) -> (f64, f64) {
    let values = rows.iter().flat_map(|r| [Some(r.median_cycles), r.p99_cycles]).flatten().filter(|v| *v > 0.0);
    let (lo, hi) = values.fold((f64::MAX, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = if lo == f64::MAX { 1.0 } else { lo };
    (10f64.powf(lo.log10().floor()), 10f64.powf((hi * 2.0).log10().ceil()))
}

/// Sans-serif text of `size` px, anchored at `anchor`.
fn font(size: u32, bold: bool, anchor: Pos) -> TextStyle<'static> {
    let font = ("sans-serif", size).into_font();
    TextStyle::from(if bold { font.style(FontStyle::Bold) } else { font }).pos(anchor)
}

fn draw(rows: &[Row], title: &str, subtitle: &str, path: &Path) -> Result<(), Error> {
    let panels: Vec<(Placement, Vec<Slot>)> =
        Placement::ALL.into_iter().map(|p| (p, slots(rows, p))).filter(|(_, s)| !s.is_empty()).collect();
    let heights: Vec<u32> = panels.iter().map(|(_, s)| PANEL_EXTRA + SLOT * s.len() as u32).collect();
    let height = TITLE + heights.iter().sum::<u32>() + LEGEND;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let centred = Pos::new(HPos::Center, VPos::Center);
    root.draw(&Text::new(title, (WIDTH as i32 / 2, 18), font(19, true, centred)))?;
    root.draw(&Text::new(subtitle, (WIDTH as i32 / 2, 40), font(14, false, centred)))?;

    let range = x_range(rows);
    let (_, mut rest) = root.split_vertically(TITLE);
    for ((placement, slots), height) in panels.iter().zip(heights) {
        let (area, below) = rest.split_vertically(height);
        panel(&root, &area, *placement, slots, range)?;
        rest = below;
    }
    legend(&rest)?;
    root.present()?;
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One placement's chart on `area`; the rows' names go left of it, drawn on `root`.
fn panel(root: &Area, area: &Area, placement: Placement, slots: &[Slot], (lo, hi): (f64, f64)) -> Result<(), Error> {
    let caption = match placement {
        Placement::OneCpu => "one CPU: both parties pinned to CPU 0",
        Placement::TwoCpus => "two CPUs: the parties on CPUs 0 and 1",
    };
    let n = slots.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16).into_font().style(FontStyle::Bold))
        .margin_left(LABELS)
        .margin_right(30)
        .margin_top(6)
        .x_label_area_size(42)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("TSC cycles per round trip: median (bar) and p99 (tick), log scale")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 12))
        .draw()?;

    let right = Pos::new(HPos::Right, VPos::Center);
    let left = Pos::new(HPos::Left, VPos::Center);
    for (i, slot) in slots.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        let (x_px, y_px) = chart.backend_coord(&(lo, y));
        let at = (x_px - 8, y_px);
        let row = match slot {
            Slot::Heading(text) => {
                root.draw(&Text::new(text.as_str(), at, font(13, true, right)))?;
                continue;
            }
            Slot::Bar(row) => row,
        };
        let (label, fill, stroke) = match (row.source, row.group()) {
            (Source::Cited, _) => (format!("{} (cited, another machine)", row.label()), CITED_FILL, CITED),
            (_, 0) => (row.label(), HAYABUSA, HAYABUSA),
            _ => (row.label(), OTHER, OTHER),
        };
        root.draw(&Text::new(label, at, font(12, false, right)))?;
        let bar = [(lo, y - 0.34), (row.median_cycles, y + 0.34)];
        chart.draw_series([Rectangle::new(bar, fill.filled()), Rectangle::new(bar, stroke.stroke_width(1))])?;
        let mut end = row.median_cycles;
        if let Some(p99) = row.p99_cycles {
            chart.draw_series([
                PathElement::new(vec![(row.median_cycles, y), (p99, y)], BLACK.stroke_width(1)),
                PathElement::new(vec![(p99, y - 0.3), (p99, y + 0.3)], BLACK.stroke_width(2)),
            ])?;
            end = end.max(p99);
        }
        let value = format!("{:.0}", row.median_cycles);
        chart.draw_series([Text::new(value, (end * 1.12, y), font(11, false, left))])?;
    }
    Ok(())
}

/// The key to the colours and the p99 tick, along the bottom.
fn legend(area: &Area) -> Result<(), Error> {
    let left = Pos::new(HPos::Left, VPos::Center);
    let keys: [(&str, RGBColor, RGBColor); 3] = [
        ("Hayabusa, measured here", HAYABUSA, HAYABUSA),
        ("Linux, measured here", OTHER, OTHER),
        ("cited: published figure from another machine", CITED_FILL, CITED),
    ];
    let mut x = LABELS as i32 - 200;
    let y = 14;
    for (text, fill, stroke) in keys {
        area.draw(&Rectangle::new([(x, y - 6), (x + 22, y + 6)], fill.filled()))?;
        area.draw(&Rectangle::new([(x, y - 6), (x + 22, y + 6)], stroke.stroke_width(1)))?;
        area.draw(&Text::new(text, (x + 28, y), font(12, false, left)))?;
        x += 34 + 7 * text.len() as i32;
    }
    area.draw(&PathElement::new(vec![(x, y - 6), (x, y + 6)], BLACK.stroke_width(2)))?;
    area.draw(&Text::new("p99", (x + 6, y), font(12, false, left)))?;
    Ok(())
}
