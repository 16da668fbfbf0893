//! Server-rendered SVG charts (income trend, survival curve, PAR over time).
//!
//! Plain values in, an SVG string out, drawn with `plotters`' SVG backend.
//! Pages target cheap phones on 2G, so the output is kept small: no light grid
//! lines, no vertical grid, no per-point markers, integer pixel coordinates,
//! and a legend drawn once below the plot. A 3-series x 24-point chart is
//! well under 15 KB.
//!
//! Text is emitted as `<text>` elements and shaped by the phone's browser, so
//! the server needs no fonts at all: `plotters` is built without its `ttf` and
//! `ab_glyph` features and falls back to its built-in size estimate, which we
//! only ever use for vertical layout. Every piece of caller text (already
//! translated, possibly Devanagari or Meetei Mayek) is XML-escaped by the
//! backend, so the SVG may be inlined in a tera page with `| safe`.
//!
//! Pure module: no I/O, no web or storage types.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Smallest and largest accepted image sizes in pixels. The lower bound leaves
/// room for labels; the upper bound keeps a hostile query string from asking
/// for a chart that costs real CPU and bandwidth.
const MIN_WIDTH: u32 = 160;
const MIN_HEIGHT: u32 = 120;
const MAX_SIDE: u32 = 2000;
/// More lines than this are unreadable on a phone and exhaust the palette.
pub const MAX_SERIES: usize = 8;
/// Below this many pixels of plot height the chart says nothing useful.
const MIN_PLOT_HEIGHT: u32 = 60;

// plotters writes `font-size = size / 1.24`; these give exactly 14px and
// 12.5px (short attributes, readable on a 320px-wide phone screen).
const TITLE_SIZE: f64 = 17.36;
const LABEL_SIZE: f64 = 15.5;
/// Rough advance of one character at LABEL_SIZE, used only to decide how many
/// x labels and legend entries fit. Counted in chars, not bytes, so Hindi text
/// is not over-estimated three-fold.
const CHAR_PX: f64 = 7.5;
const LEGEND_ROW_PX: u32 = 18;
const MARGIN_PX: u32 = 8;

/// Okabe–Ito colours: distinguishable by people with the common forms of
/// colour blindness, and dark enough to read on white.
const PALETTE: [RGBColor; MAX_SERIES] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x99, 0x99, 0x99),
];
const TEXT_COLOR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GRID_COLOR: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const AXIS_COLOR: RGBColor = RGBColor(0x66, 0x66, 0x66);

/// One line (or one set of bars) on a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text, already translated. Empty names are left out of the legend.
    pub name: String,
    /// `(x, y)` points. Non-finite points are skipped; order does not matter
    /// (points are sorted by x before drawing).
    pub points: Vec<(f64, f64)>,
}

/// How y tick labels are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YFormat {
    /// Plain numbers with as many decimals as the tick step needs.
    #[default]
    Number,
    /// Values are fractions (0.25) shown as percentages ("25%").
    Percent,
}

/// Titles, labels and ranges of a chart. All text is already translated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axes {
    /// Drawn above the plot; leave empty when the page shows its own caption
    /// (SVG text does not wrap, so long titles are better in HTML).
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// The y range always shown. It is widened, never narrowed, to include the
    /// data, so a point is never drawn outside the plot; `0.0, 0.0` means
    /// "fit the data (and zero)".
    pub y_min: f64,
    pub y_max: f64,
    /// Labels at given x positions, e.g. `(0.0, "Jan")`. Empty gives numeric
    /// ticks. Thinned evenly when they would not fit the width.
    pub x_ticks: Vec<(f64, String)>,
    /// Ignored by [`step_chart`], which always shows percentages.
    pub y_format: YFormat,
    /// Shown instead of a plot when no series has a finite point.
    pub empty_message: String,
}

/// Why a chart could not be drawn. None of these carry caller text, so they
/// are safe to log.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChartError {
    #[error(
        "chart size {width}x{height} is outside {MIN_WIDTH}x{MIN_HEIGHT} to {MAX_SIDE}x{MAX_SIDE}"
    )]
    BadSize { width: u32, height: u32 },

    #[error("y range must be finite with y_min <= y_max (got {min} to {max})")]
    BadYRange { min: f64, max: f64 },

    #[error("a chart shows at most {MAX_SERIES} series (got {0})")]
    TooManySeries(usize),

    #[error("chart size {width}x{height} leaves no room for the plot after labels and legend")]
    TooSmall { width: u32, height: u32 },

    #[error("values span too wide a range to plot")]
    Unplottable,

    /// plotters' own error text: backend I/O or layout, never caller data.
    #[error("chart drawing failed: {0}")]
    Draw(String),
}

fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// A line per series: income trends, PAR over time.
pub fn line_chart(
    axes: &Axes,
    series: &[Series],
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    render(axes, series, width, height, Kind::Line)
}

/// Kaplan–Meier style survival curves. Each point `(t, s)` means the fraction
/// `s` (0–1) holds from `t` until the next point's `t`, where the curve steps
/// down (or up). Start each series with `(0.0, 1.0)`, and end it with a point
/// at the last follow-up time if the curve should run on past the last event.
/// The y axis is always shown as a percentage.
pub fn step_chart(
    axes: &Axes,
    series: &[Series],
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    render(axes, series, width, height, Kind::Step)
}

/// Grouped bars, one group per x position (use `x_ticks` to name the groups).
/// Bars start at zero, or at the nearest edge of the y range when zero is
/// outside it.
pub fn bar_chart(
    axes: &Axes,
    series: &[Series],
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    render(axes, series, width, height, Kind::Bar)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Step,
    Bar,
}

/// A series ready to draw: finite points sorted by x, with the colour of its
/// position in the caller's slice (so colours stay stable when one is empty).
struct Clean<'a> {
    name: &'a str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

fn render(
    axes: &Axes,
    series: &[Series],
    width: u32,
    height: u32,
    kind: Kind,
) -> Result<String, ChartError> {
    let side_ok = |v: u32, min: u32| (min..=MAX_SIDE).contains(&v);
    if !side_ok(width, MIN_WIDTH) || !side_ok(height, MIN_HEIGHT) {
        return Err(ChartError::BadSize { width, height });
    }
    if !(axes.y_min.is_finite() && axes.y_max.is_finite() && axes.y_min <= axes.y_max) {
        return Err(ChartError::BadYRange {
            min: axes.y_min,
            max: axes.y_max,
        });
    }
    if series.len() > MAX_SERIES {
        return Err(ChartError::TooManySeries(series.len()));
    }

    let clean: Vec<Clean<'_>> = series
        .iter()
        .zip(PALETTE.iter())
        .map(|(s, &color)| {
            let mut points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Clean {
                name: &s.name,
                color,
                points,
            }
        })
        .filter(|c| !c.points.is_empty())
        .collect();

    let mut svg = String::with_capacity(8 * 1024);
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        if clean.is_empty() {
            draw_empty(&root, axes)?;
        } else {
            draw_plot(&root, axes, &clean, kind)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn title_style() -> TextStyle<'static> {
    ("sans-serif", TITLE_SIZE).into_font().color(&TEXT_COLOR)
}

fn label_style() -> TextStyle<'static> {
    ("sans-serif", LABEL_SIZE).into_font().color(&TEXT_COLOR)
}

/// The "nothing to show" chart: title and the caller's message, no axes, so
/// an empty report never looks like a flat line at zero.
fn draw_empty<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let area = if axes.title.is_empty() {
        root.clone()
    } else {
        root.titled(&axes.title, title_style()).map_err(draw_err)?
    };
    if !axes.empty_message.is_empty() {
        let (w, h) = area.dim_in_pixel();
        let centre = Pos::new(HPos::Center, VPos::Center);
        area.draw(&Text::new(
            axes.empty_message.as_str(),
            (w as i32 / 2, h as i32 / 2),
            label_style().pos(centre),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

fn draw_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes,
    series: &[Clean<'_>],
    kind: Kind,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let (width, height) = root.dim_in_pixel();
    let y_format = if kind == Kind::Step {
        YFormat::Percent
    } else {
        axes.y_format
    };

    // --- Legend layout first: it decides how tall the plot can be. ---------
    let legend = layout_legend(series, width);
    let legend_rows = legend.last().map_or(0, |item| item.row + 1);
    let legend_h = legend_rows * LEGEND_ROW_PX + if legend_rows > 0 { 4 } else { 0 };

    // --- Ranges and ticks -------------------------------------------------
    let (y_lo, y_hi) = y_extent(axes, series, kind);
    let y_area_h = height
        .saturating_sub(legend_h)
        .saturating_sub(if axes.title.is_empty() { 0 } else { 24 })
        .saturating_sub(2 * MARGIN_PX + x_label_area(axes));
    if y_area_h < MIN_PLOT_HEIGHT {
        return Err(ChartError::TooSmall { width, height });
    }
    let y_target = (y_area_h / 40).clamp(2, 6) as usize;
    let (y_lo, y_hi, y_step) = nice_axis(y_lo, y_hi, y_target).ok_or(ChartError::Unplottable)?;
    let y_ticks = ticks_between(y_lo, y_hi, y_step);
    let y_decimals = decimals_for(match y_format {
        YFormat::Number => y_step,
        YFormat::Percent => y_step * 100.0,
    });
    let y_text = |v: &f64| format_tick(*v, y_format, y_decimals);
    let y_label_chars = y_ticks
        .iter()
        .map(|v| y_text(v).chars().count())
        .max()
        .unwrap_or(1);
    let y_area_w = (y_label_chars as f64 * CHAR_PX).ceil() as u32
        + 10
        + if axes.y_label.is_empty() { 0 } else { 20 };

    let plot_w = width.saturating_sub(y_area_w + 2 * MARGIN_PX).max(1);
    let (x_lo, x_hi) = x_extent(axes, series, kind).ok_or(ChartError::Unplottable)?;
    let x_ticks = x_ticks_for(axes, series, x_lo, x_hi, plot_w)?;
    let x_positions: Vec<f64> = x_ticks.iter().map(|(p, _)| *p).collect();
    let x_text = |v: &f64| {
        x_ticks
            .iter()
            .find(|(p, _)| p.total_cmp(v).is_eq())
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };

    // --- Areas ------------------------------------------------------------
    let (plot_area, legend_area) = root.split_vertically(height - legend_h);

    let mut builder = ChartBuilder::on(&plot_area);
    builder
        .margin(MARGIN_PX)
        .x_label_area_size(x_label_area(axes))
        .y_label_area_size(y_area_w);
    if !axes.title.is_empty() {
        builder.caption(&axes.title, title_style());
    }
    let mut chart = builder
        .build_cartesian_2d(
            TickedAxis::new(x_lo..x_hi, x_positions),
            TickedAxis::new(y_lo..y_hi, y_ticks),
        )
        .map_err(draw_err)?;

    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(GRID_COLOR)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS_COLOR)
        .label_style(label_style())
        .axis_desc_style(label_style())
        .x_label_formatter(&x_text)
        .y_label_formatter(&y_text);
    if !axes.x_label.is_empty() {
        mesh.x_desc(axes.x_label.as_str());
    }
    if !axes.y_label.is_empty() {
        mesh.y_desc(axes.y_label.as_str());
    }
    mesh.draw().map_err(draw_err)?;

    // --- Data -------------------------------------------------------------
    let visible = series.len();
    for (index, s) in series.iter().enumerate() {
        let stroke = s.color.stroke_width(2);
        match kind {
            Kind::Line | Kind::Step if s.points.len() == 1 => {
                // A one-point polyline is invisible; a dot is honest.
                chart
                    .draw_series(std::iter::once(Circle::new(
                        s.points[0],
                        3,
                        s.color.filled(),
                    )))
                    .map_err(draw_err)?;
            }
            Kind::Line => {
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), stroke))
                    .map_err(draw_err)?;
            }
            Kind::Step => {
                chart
                    .draw_series(LineSeries::new(step_points(&s.points), stroke))
                    .map_err(draw_err)?;
            }
            Kind::Bar => {
                // Groups are 0.8 x-units wide, split evenly between series.
                let bar_w = 0.8 / visible as f64;
                let base = 0.0_f64.clamp(y_lo, y_hi);
                let bars = s.points.iter().map(|&(x, y)| {
                    let left = x - 0.4 + bar_w * index as f64;
                    Rectangle::new([(left, base), (left + bar_w, y)], s.color.filled())
                });
                chart.draw_series(bars).map_err(draw_err)?;
            }
        }
    }

    // --- Legend -----------------------------------------------------------
    // Drawn below the plot rather than inside it, so it never hides data.
    let left = Pos::new(HPos::Left, VPos::Center);
    for item in &legend {
        let y = (item.row * LEGEND_ROW_PX + LEGEND_ROW_PX / 2) as i32;
        let x = item.x as i32;
        legend_area
            .draw(&PathElement::new(
                vec![(x, y), (x + 18, y)],
                item.color.stroke_width(3),
            ))
            .map_err(draw_err)?;
        legend_area
            .draw(&Text::new(
                item.text.as_str(),
                (x + 24, y),
                label_style().pos(left),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A linear f64 axis whose grid lines and labels sit exactly at the ticks we
/// chose. plotters' own `with_key_points` wrapper loses the label-formatter
/// support of f64 axes, so this implements `Ranged` directly and delegates
/// the pixel mapping to plotters' f64 axis.
struct TickedAxis {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Self {
            linear: range.into(),
            ticks,
        }
    }
}

impl Ranged for TickedAxis {
    // Formatting is always overridden by our label formatters; this only
    // satisfies plotters' bound for `configure_mesh`.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // No light (minor) grid lines: each costs ~120 bytes on a 2G link.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

fn x_label_area(axes: &Axes) -> u32 {
    22 + if axes.x_label.is_empty() { 0 } else { 20 }
}

struct LegendItem {
    row: u32,
    x: u32,
    color: RGBColor,
    text: String,
}

/// Flows named series left to right, wrapping to a new row when the estimated
/// width runs out. Names too long for a whole row are cut with an ellipsis.
fn layout_legend(series: &[Clean<'_>], width: u32) -> Vec<LegendItem> {
    let usable = f64::from(width.saturating_sub(2 * MARGIN_PX));
    let max_chars = (((usable - 24.0) / CHAR_PX).floor() as usize).max(4);
    let mut items = Vec::new();
    let (mut row, mut x) = (0u32, f64::from(MARGIN_PX));
    for s in series.iter().filter(|s| !s.name.trim().is_empty()) {
        let text = truncate_chars(s.name.trim(), max_chars);
        let item_w = 24.0 + text.chars().count() as f64 * CHAR_PX + 14.0;
        if x > f64::from(MARGIN_PX) && x + item_w > usable + f64::from(MARGIN_PX) {
            row += 1;
            x = f64::from(MARGIN_PX);
        }
        items.push(LegendItem {
            row,
            x: x as u32,
            color: s.color,
            text,
        });
        x += item_w;
    }
    items
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// The y range: the caller's range widened to the data (and to zero for bars,
/// whose length must start from a true baseline).
fn y_extent(axes: &Axes, series: &[Clean<'_>], kind: Kind) -> (f64, f64) {
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (mut lo, mut hi) = ys.fold((axes.y_min, axes.y_max), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if kind == Kind::Bar {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if lo == hi {
        // A flat line still needs an axis; centre it.
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    (lo, hi)
}

/// The x range covering the data and the caller's tick positions. Bars get
/// half a unit either side so the outer groups are not cut in half.
fn x_extent(axes: &Axes, series: &[Clean<'_>], kind: Kind) -> Option<(f64, f64)> {
    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(axes.x_ticks.iter().map(|t| t.0).filter(|x| x.is_finite()));
    let (mut lo, mut hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if kind == Kind::Bar {
        lo -= 0.5;
        hi += 0.5;
    } else if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    ((hi - lo).is_finite() && hi > lo).then_some((lo, hi))
}

/// X ticks: the caller's labels thinned to fit, or round numbers.
fn x_ticks_for(
    axes: &Axes,
    series: &[Clean<'_>],
    lo: f64,
    hi: f64,
    plot_w: u32,
) -> Result<Vec<(f64, String)>, ChartError> {
    let given: Vec<&(f64, String)> = axes
        .x_ticks
        .iter()
        .filter(|(x, _)| x.is_finite() && (lo..=hi).contains(x))
        .collect();
    if !given.is_empty() {
        let widest = given
            .iter()
            .map(|(_, t)| t.chars().count())
            .max()
            .unwrap_or(1)
            .max(1);
        let fit = ((f64::from(plot_w) / (widest as f64 * CHAR_PX + 10.0)) as usize).max(1);
        let every = given.len().div_ceil(fit);
        return Ok(given
            .into_iter()
            .step_by(every)
            .map(|(x, t)| (*x, t.clone()))
            .collect());
    }
    let target = (plot_w / 70).clamp(2, 8) as usize;
    let (_, _, mut step) = nice_axis(lo, hi, target).ok_or(ChartError::Unplottable)?;
    // Month indices and day counts are whole numbers: never label "2.5".
    let whole_x = series
        .iter()
        .flat_map(|s| s.points.iter())
        .all(|(x, _)| x.fract() == 0.0);
    if whole_x {
        step = step.max(1.0);
    }
    let decimals = decimals_for(step);
    Ok(ticks_between(lo, hi, step)
        .into_iter()
        .map(|x| (x, format_tick(x, YFormat::Number, decimals)))
        .collect())
}

/// Round tick step (1, 2 or 5 times a power of ten) giving about `target`
/// intervals, and the range widened to whole steps. `None` when the range is
/// too wide for f64 arithmetic.
fn nice_axis(lo: f64, hi: f64, target: usize) -> Option<(f64, f64, f64)> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return None;
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let (nlo, nhi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    (step.is_finite() && step > 0.0 && (nhi - nlo).is_finite()).then_some((nlo, nhi, step))
}

/// Multiples of `step` within `[lo, hi]`, computed from integer indices so
/// rounding error does not accumulate. Bounded so no input can loop long.
fn ticks_between(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil();
    let eps = step * 1e-9;
    (0..50)
        .map(|i| (first + f64::from(i)) * step)
        .take_while(|v| *v <= hi + eps)
        // Snap -0.0 and 1e-17-style noise to clean values for the labels.
        .map(|v| if v.abs() < eps { 0.0 } else { v })
        .collect()
}

/// Decimals needed to tell ticks `step` apart (0 for steps >= 1).
fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        ((-step.log10()).ceil().max(0.0) as usize).min(6)
    }
}

fn format_tick(value: f64, format: YFormat, decimals: usize) -> String {
    let value = match format {
        YFormat::Number => value,
        YFormat::Percent => value * 100.0,
    };
    // Astronomically large values would print hundreds of digits.
    let text = if value.abs() >= 1e12 {
        format!("{value:.1e}")
    } else {
        format!("{value:.decimals$}")
    };
    match format {
        YFormat::Number => text,
        YFormat::Percent => format!("{text}%"),
    }
}

/// Turns survival points into a staircase: hold each value until the next
/// time, then drop vertically.
fn step_points(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for pair in points.windows(2) {
        let ((x0, y0), (x1, _)) = (pair[0], pair[1]);
        out.push((x0, y0));
        out.push((x1, y0));
    }
    if let Some(&last) = points.last() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    fn income_axes() -> Axes {
        Axes {
            title: "Monthly income (₹)".into(),
            x_label: "Month".into(),
            y_label: "₹".into(),
            y_min: 0.0,
            y_max: 0.0,
            x_ticks: (0..24)
                .map(|i| (f64::from(i), MONTHS[i as usize % 12].to_string()))
                .collect(),
            ..Axes::default()
        }
    }

    fn three_series_24_points() -> Vec<Series> {
        ["Business", "Wage work", "Other"]
            .iter()
            .enumerate()
            .map(|(s, name)| Series {
                name: (*name).into(),
                points: (0..24)
                    .map(|m| {
                        let m = f64::from(m);
                        (
                            m,
                            1500.0 + 250.0 * m + 700.0 * s as f64 + 90.0 * (m * 1.7).sin(),
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    /// The `points` of each data polyline (drawn 2px wide; nothing else is).
    fn data_lines(svg: &str) -> Vec<Vec<(i32, i32)>> {
        svg.lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
            .map(|l| {
                let points = l
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                points
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    fn assert_svg_document(svg: &str) {
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(count(svg, "<svg"), 1);
        // Every element we emit is either self-closing or closed: the tag
        // balance is what a browser's XML parser needs for inline SVG.
        let opened = count(svg, "<text");
        assert_eq!(opened, count(svg, "</text>"), "unbalanced <text>");
    }

    /// All text content between `>` and `</text>`.
    fn text_contents(svg: &str) -> Vec<&str> {
        svg.split("</text>")
            .filter_map(|chunk| chunk.rsplit_once('>').map(|(_, t)| t.trim()))
            .filter(|t| !t.is_empty())
            .collect()
    }

    #[test]
    fn a_three_series_two_year_trend_is_a_small_svg_with_one_polyline_per_series() {
        let svg = line_chart(&income_axes(), &three_series_24_points(), 360, 240).unwrap();
        assert_svg_document(&svg);
        // Data lines are the only 2px polylines (axes and ticks are 1px,
        // legend swatches 3px).
        assert_eq!(data_lines(&svg).len(), 3, "{svg}");
        assert_eq!(count(&svg, "stroke-width=\"3\""), 3, "{svg}");
        for colour in ["#0072B2", "#D55E00", "#009E73"] {
            assert!(
                count(&svg, &format!("stroke=\"{colour}\"")) >= 2,
                "{colour}"
            );
        }
        assert!(svg.len() < 15 * 1024, "size {} bytes", svg.len());
        let texts = text_contents(&svg);
        assert!(texts.contains(&"Monthly income (₹)"), "{texts:?}");
        assert!(texts.contains(&"Business"));
        assert!(texts.contains(&"Wage work"));
        assert!(texts.contains(&"Month"));
    }

    #[test]
    fn every_data_point_becomes_a_vertex_of_its_polyline() {
        let series = three_series_24_points();
        let svg = line_chart(&income_axes(), &series[..1], 360, 240).unwrap();
        let lines = data_lines(&svg);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 24);
        // x grows month by month; higher income is higher up (smaller SVG y)
        // for this steadily rising series.
        assert!(lines[0].windows(2).all(|w| w[1].0 > w[0].0));
        assert!(lines[0][23].1 < lines[0][0].1);
    }

    #[test]
    fn month_labels_are_thinned_to_fit_a_narrow_phone_chart() {
        let svg = line_chart(&income_axes(), &three_series_24_points(), 320, 240).unwrap();
        let texts = text_contents(&svg);
        let month_labels = texts.iter().filter(|t| MONTHS.contains(t)).count();
        assert!(
            (3..24).contains(&month_labels),
            "{month_labels} month labels: {texts:?}"
        );
        // The first month is always kept.
        assert!(texts.contains(&"Jan"));
    }

    #[test]
    fn hostile_labels_are_escaped_everywhere() {
        let axes = Axes {
            title: "<script>alert(1)</script> & co".into(),
            x_label: "x<y & \"q\"".into(),
            y_label: "'y'>".into(),
            x_ticks: vec![(0.0, "<b>".into()), (1.0, "a&b".into())],
            ..Axes::default()
        };
        let series = [Series {
            name: "</text><script>x()</script>".into(),
            points: vec![(0.0, 1.0), (1.0, 2.0)],
        }];
        for svg in [
            line_chart(&axes, &series, 320, 240).unwrap(),
            step_chart(&axes, &series, 320, 240).unwrap(),
            bar_chart(&axes, &series, 320, 240).unwrap(),
        ] {
            assert_svg_document(&svg);
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<b>"), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
            assert!(svg.contains("x&lt;y &amp; &quot;q&quot;"));
            assert!(svg.contains("&apos;y&apos;&gt;"));
            assert!(svg.contains("&lt;/text&gt;&lt;script&gt;x()&lt;/script&gt;"));
            assert!(svg.contains("a&amp;b"));
            // No bare ampersand that is not an entity.
            for (i, _) in svg.match_indices('&') {
                let rest = &svg[i..];
                assert!(
                    ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| rest.starts_with(e)),
                    "bare & at {i}"
                );
            }
        }
    }

    #[test]
    fn hindi_and_meitei_labels_pass_through_as_text() {
        let axes = Axes {
            title: "मासिक आय".into(),
            y_label: "ꯁꯦꯜ".into(),
            ..Axes::default()
        };
        let series = [Series {
            name: "व्यवसाय".into(),
            points: vec![(0.0, 100.0), (1.0, 150.0), (2.0, 120.0)],
        }];
        let svg = line_chart(&axes, &series, 320, 200).unwrap();
        let texts = text_contents(&svg);
        for t in ["मासिक आय", "ꯁꯦꯜ", "व्यवसाय"] {
            assert!(texts.contains(&t), "{t} missing from {texts:?}");
        }
    }

    #[test]
    fn a_survival_curve_steps_down_and_is_labelled_in_percent() {
        let axes = Axes {
            title: "Still in business".into(),
            x_label: "Days since loan".into(),
            y_min: 0.0,
            y_max: 1.0,
            ..Axes::default()
        };
        let series = [Series {
            name: "2024 loans".into(),
            points: vec![(0.0, 1.0), (30.0, 0.9), (90.0, 0.75), (180.0, 0.75)],
        }];
        let svg = step_chart(&axes, &series, 320, 220).unwrap();
        assert_svg_document(&svg);
        let texts = text_contents(&svg);
        assert!(texts.contains(&"0%"), "{texts:?}");
        assert!(texts.contains(&"100%"), "{texts:?}");
        assert!(!texts.contains(&"0.5"), "raw fractions shown");

        // 4 input points become 7 staircase vertices: each change is a
        // horizontal run followed by a vertical drop at the same x.
        let lines = data_lines(&svg);
        assert_eq!(lines.len(), 1);
        let pts = &lines[0];
        assert_eq!(pts.len(), 7, "{pts:?}");
        for pair in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            assert!(x0 == x1 || y0 == y1, "diagonal segment {pair:?}");
            assert!(y1 >= y0, "survival went up: {pair:?}"); // SVG y grows downwards
        }
    }

    #[test]
    fn step_points_hold_each_value_until_the_next_time() {
        assert_eq!(
            step_points(&[(0.0, 1.0), (2.0, 0.5), (5.0, 0.25)]),
            vec![(0.0, 1.0), (2.0, 1.0), (2.0, 0.5), (5.0, 0.5), (5.0, 0.25)]
        );
        assert_eq!(step_points(&[(3.0, 0.5)]), vec![(3.0, 0.5)]);
        assert!(step_points(&[]).is_empty());
    }

    #[test]
    fn bars_are_drawn_one_rectangle_per_point_from_zero() {
        let axes = Axes {
            title: "PAR > 30 days".into(),
            y_format: YFormat::Percent,
            x_ticks: vec![(0.0, "Q1".into()), (1.0, "Q2".into()), (2.0, "Q3".into())],
            ..Axes::default()
        };
        let series = [
            Series {
                name: "Group A".into(),
                points: vec![(0.0, 0.05), (1.0, 0.08), (2.0, 0.02)],
            },
            Series {
                name: "Group B".into(),
                points: vec![(0.0, 0.01), (1.0, 0.0), (2.0, 0.12)],
            },
        ];
        let svg = bar_chart(&axes, &series, 320, 220).unwrap();
        assert_svg_document(&svg);
        let bars = |colour: &str| {
            svg.lines()
                .filter(|l| l.starts_with("<rect") && l.contains(&format!("fill=\"{colour}\"")))
                .count()
        };
        assert_eq!(bars("#0072B2"), 3);
        assert_eq!(bars("#D55E00"), 3);
        let texts = text_contents(&svg);
        assert!(texts.contains(&"Q2") && texts.contains(&"0%"), "{texts:?}");
    }

    #[test]
    fn no_data_gives_a_chart_that_says_so_instead_of_panicking() {
        let axes = Axes {
            title: "Income".into(),
            empty_message: "No income recorded yet".into(),
            ..income_axes()
        };
        let only_bad_points = [Series {
            name: "Business".into(),
            points: vec![
                (f64::NAN, 1.0),
                (1.0, f64::INFINITY),
                (f64::NEG_INFINITY, 0.0),
            ],
        }];
        for series in [&[][..], &only_bad_points[..]] {
            for svg in [
                line_chart(&axes, series, 320, 200).unwrap(),
                step_chart(&axes, series, 320, 200).unwrap(),
                bar_chart(&axes, series, 320, 200).unwrap(),
            ] {
                assert_svg_document(&svg);
                let texts = text_contents(&svg);
                assert_eq!(texts, vec!["Income", "No income recorded yet"]);
                assert_eq!(count(&svg, "<polyline"), 0, "no axes either");
            }
        }
    }

    #[test]
    fn non_finite_points_are_skipped_and_the_rest_drawn() {
        let series = [Series {
            name: String::new(),
            points: vec![
                (0.0, 10.0),
                (1.0, f64::NAN),
                (f64::INFINITY, 5.0),
                (2.0, 12.0),
                (3.0, 11.0),
            ],
        }];
        let svg = line_chart(&Axes::default(), &series, 320, 200).unwrap();
        let lines = data_lines(&svg);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 3);
        // An unnamed single series gets no legend swatch.
        assert_eq!(count(&svg, "stroke-width=\"3\""), 0);
    }

    #[test]
    fn a_single_point_is_drawn_as_a_dot() {
        let series = [Series {
            name: "Only month".into(),
            points: vec![(4.0, 900.0)],
        }];
        let svg = line_chart(&Axes::default(), &series, 320, 200).unwrap();
        assert_eq!(count(&svg, "<circle"), 1, "{svg}");
    }

    #[test]
    fn data_outside_the_requested_range_widens_the_axis() {
        let axes = Axes {
            y_min: 0.0,
            y_max: 100.0,
            ..Axes::default()
        };
        let series = [Series {
            name: String::new(),
            points: vec![(0.0, -40.0), (1.0, 350.0)],
        }];
        let svg = line_chart(&axes, &series, 320, 240).unwrap();
        let texts = text_contents(&svg);
        // The y axis ends at or beyond the data: a tick at 400 and one below 0.
        assert!(texts.contains(&"400"), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with('-')), "{texts:?}");
    }

    #[test]
    fn bad_sizes_and_ranges_are_typed_errors() {
        let s = three_series_24_points();
        let axes = income_axes();
        assert_eq!(
            line_chart(&axes, &s, 0, 200),
            Err(ChartError::BadSize {
                width: 0,
                height: 200
            })
        );
        assert!(matches!(
            line_chart(&axes, &s, 320, 100_000),
            Err(ChartError::BadSize { .. })
        ));
        let reversed = Axes {
            y_min: 5.0,
            y_max: 1.0,
            ..income_axes()
        };
        assert!(matches!(
            line_chart(&reversed, &s, 320, 200),
            Err(ChartError::BadYRange { .. })
        ));
        let nan = Axes {
            y_max: f64::NAN,
            ..income_axes()
        };
        assert!(matches!(
            line_chart(&nan, &s, 320, 200),
            Err(ChartError::BadYRange { .. })
        ));
        let many: Vec<Series> = (0..9).map(|_| s[0].clone()).collect();
        assert_eq!(
            line_chart(&axes, &many, 320, 200),
            Err(ChartError::TooManySeries(9))
        );
    }

    #[test]
    fn a_legend_that_would_crowd_out_the_plot_is_an_error_not_a_broken_chart() {
        let series: Vec<Series> = (0..8)
            .map(|i| Series {
                name: format!("A long series name number {i}"),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
            })
            .collect();
        let axes = Axes {
            title: "t".into(),
            x_label: "x".into(),
            ..Axes::default()
        };
        assert!(matches!(
            line_chart(&axes, &series, 160, 120),
            Err(ChartError::TooSmall { .. })
        ));
        // The same data fits a taller chart, with all eight names.
        let svg = line_chart(&axes, &series, 320, 400).unwrap();
        assert_eq!(count(&svg, "A long series name"), 8);
    }

    #[test]
    fn extreme_values_never_panic() {
        let awkward = [
            vec![(0.0, 1e300), (1.0, -1e300)],
            vec![(0.0, f64::MAX), (1.0, f64::MIN)],
            vec![(0.0, 1e-300), (1.0, 2e-300)],
            vec![(-1e308, 1.0), (1e308, 2.0)],
            vec![(5.0, 3.0), (5.0, 3.0)],
            vec![(0.0, 0.0)],
            vec![(0.5, 1e15), (0.25, -3.0)],
        ];
        for points in awkward {
            let series = [Series {
                name: "x".into(),
                points: points.clone(),
            }];
            for result in [
                line_chart(&Axes::default(), &series, 200, 150),
                step_chart(&Axes::default(), &series, 200, 150),
                bar_chart(&Axes::default(), &series, 200, 150),
            ] {
                match result {
                    Ok(svg) => {
                        assert_svg_document(&svg);
                        assert!(svg.len() < 15 * 1024, "{points:?}: {} bytes", svg.len());
                    }
                    Err(e) => assert_eq!(e, ChartError::Unplottable, "{points:?}"),
                }
            }
        }
    }

    #[test]
    fn nice_axis_picks_round_steps_and_covers_the_range() {
        assert_eq!(nice_axis(0.0, 1.0, 5), Some((0.0, 1.0, 0.2)));
        assert_eq!(nice_axis(0.0, 12_000.0, 5), Some((0.0, 15_000.0, 5_000.0)));
        assert_eq!(nice_axis(-40.0, 350.0, 4), Some((-100.0, 400.0, 100.0)));
        assert_eq!(nice_axis(1.0, 1.0, 5), None);
        assert_eq!(nice_axis(f64::MIN, f64::MAX, 5), None);
    }

    #[test]
    fn tick_labels_use_just_enough_decimals() {
        assert_eq!(
            format_tick(0.2, YFormat::Percent, decimals_for(20.0)),
            "20%"
        );
        assert_eq!(
            format_tick(0.025, YFormat::Percent, decimals_for(0.5)),
            "2.5%"
        );
        assert_eq!(
            format_tick(15_000.0, YFormat::Number, decimals_for(5_000.0)),
            "15000"
        );
        assert_eq!(
            format_tick(0.05, YFormat::Number, decimals_for(0.05)),
            "0.05"
        );
        assert_eq!(format_tick(3e15, YFormat::Number, 0), "3.0e15");
    }

    #[test]
    fn no_font_files_are_needed_to_draw_text() {
        // With plotters' `ttf`/`ab_glyph` features off there is no font
        // loading code to fail; this runs under FONTCONFIG_FILE=/dev/null in
        // CI too. Text must still come out as real <text> elements.
        let svg = line_chart(&income_axes(), &three_series_24_points(), 320, 240).unwrap();
        assert!(svg.contains("font-family=\"sans-serif\""));
        assert!(count(&svg, "<text") >= 8);
    }
}
