//! The figures, drawn as SVG with plotters.
//!
//! Text in charts: plotters is built without a font backend. Its `ttf` backend finds system
//! fonts through font-kit (a server may have none, and rarely a Japanese one), and
//! `ab_glyph` needs a font embedded in the binary, megabytes for one with Japanese glyphs.
//! Without either, plotters measures text with a fixed estimate (0.7 em per byte), which is
//! enough for the SVG backend: it writes every label as a `<text>` element positioned by its
//! anchor point and `text-anchor`, so the viewer's fonts draw it, Japanese included, and the
//! estimate only sizes the label areas. The one place where a width matters, the legend, is
//! laid out here in its own 210-pixel column, one line per series, so nothing is measured.
//! The caption is not drawn: the document writes it under the figure, and the SVG carries it
//! as its `<title>`.

use std::ops::Range;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::format::{escape_html, thousands};

/// One figure of the report, as a standalone SVG document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// Where the Markdown report expects it, under its chart directory: `figure1-ports.svg`.
    pub file_name: String,
    /// The caption, numbered: `Figure 1: ...`.
    pub title: String,
    /// `<svg class="chart" ...>`, with the caption as its `<title>`.
    pub svg: String,
}

/// One series of a figure, labelled for the legend.
pub(crate) struct Line<'a> {
    pub label: String,
    pub values: &'a [u64],
}

/// What a figure shows: lines over the period's days, or areas stacked on each other, with
/// an optional span of days shaded behind them.
pub(crate) struct Figure<'a> {
    pub days: &'a [NaiveDate],
    pub y_desc: String,
    pub lines: Vec<Line<'a>>,
    pub stacked: bool,
    /// First and last day (none: to the period's end).
    pub shade: Option<(NaiveDate, Option<NaiveDate>)>,
}

const SIZE: (u32, u32) = (960, 400);
const LEGEND_WIDTH: u32 = 210;
const FONT: &str = "sans-serif";
/// Tableau 10: distinct, and readable for most kinds of colour blindness.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
const SHADE: RGBColor = RGBColor(0xff, 0xd8, 0x66);

type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Draws `figure` as a chart named `file_name`, captioned `title`.
pub(crate) fn draw(file_name: String, title: String, figure: &Figure) -> Chart {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        plot(&root, figure).and_then(|()| root.present())
    };
    // Drawing into a string has no I/O to fail; a failure would be a bug in the layout, and
    // the figure then says so instead of the whole report failing.
    if let Err(error) = drawn {
        svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">\
             <text x=\"20\" y=\"40\">{}</text></svg>",
            SIZE.0,
            SIZE.1,
            escape_html(&error.to_string())
        );
    }
    Chart {
        svg: decorate(&svg, &title),
        file_name,
        title,
    }
}

/// Marks the SVG as a chart (`class="chart"`) and gives it its caption as accessible name.
fn decorate(svg: &str, title: &str) -> String {
    let title = escape_html(title);
    let opening = format!("<svg class=\"chart\" role=\"img\" aria-label=\"{title}\" ");
    let svg = svg.replacen("<svg ", &opening, 1);
    match svg.find('>') {
        Some(end) => format!("{}<title>{title}</title>{}", &svg[..=end], &svg[end + 1..]),
        None => svg,
    }
}

fn plot(root: &Area, figure: &Figure) -> Drawn {
    root.fill(&WHITE)?;
    let (plot_area, legend_area) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let curves = figure.curves();
    let x_range = 0.0..figure.days.len().saturating_sub(1).max(1) as f64;
    let y_max = curves
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.08;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(16)
        .x_label_area_size(32)
        .y_label_area_size(84)
        .build_cartesian_2d(x_range.clone(), 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&|x| day_label(figure.days, *x))
        .y_label_formatter(&|y| thousands(y.round() as u64))
        .y_desc(figure.y_desc.as_str())
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    if let Some((start, end)) = figure.shade {
        let span = shade_span(figure.days, start, end, &x_range);
        let shade = Rectangle::new(
            [(span.start, 0.0), (span.end, y_max)],
            SHADE.mix(0.45).filled(),
        );
        chart.draw_series(std::iter::once(shade))?;
    }
    // Last first, so the first series is drawn over the others, and each layer of a stack
    // (an area from zero to its top) over the higher ones.
    for (i, curve) in curves.iter().enumerate().rev() {
        let colour = PALETTE[i % PALETTE.len()];
        let points = curve.iter().enumerate().map(|(x, &y)| (x as f64, y));
        if figure.stacked {
            chart.draw_series(
                AreaSeries::new(points, 0.0, colour).border_style(colour.stroke_width(1)),
            )?;
        } else {
            chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
        }
    }
    legend(&legend_area, &figure.lines)
}

/// The legend, in its own column: a colour box and the label, one series per line.
fn legend(area: &Area, lines: &[Line]) -> Drawn {
    for (i, line) in lines.iter().enumerate() {
        let y = 24 + 24 * i as i32;
        let colour = PALETTE[i % PALETTE.len()];
        area.draw(&Rectangle::new([(4, y), (18, y + 14)], colour.filled()))?;
        area.draw(&Text::new(line.label.as_str(), (26, y), (FONT, 17)))?;
    }
    Ok(())
}

impl Figure<'_> {
    /// The curves drawn: the lines, or the top of each layer of the stack (the running sums
    /// of the lines; they are aligned with the days).
    fn curves(&self) -> Vec<Vec<f64>> {
        let mut below: Vec<f64> = Vec::new();
        let curve = |line: &Line| {
            let mut curve: Vec<f64> = line.values.iter().map(|&v| v as f64).collect();
            if self.stacked {
                curve
                    .iter_mut()
                    .zip(&below)
                    .for_each(|(value, under)| *value += under);
                below.clone_from(&curve);
            }
            curve
        };
        self.lines.iter().map(curve).collect()
    }
}

/// The date at a whole x, or nothing between two points.
fn day_label(days: &[NaiveDate], x: f64) -> String {
    let index = x.round();
    if (x - index).abs() > 1e-6 || index < 0.0 {
        return String::new();
    }
    days.get(index as usize)
        .map(NaiveDate::to_string)
        .unwrap_or_default()
}

/// The x range covering the points of the days `start..=end`, half a point wider on each side.
fn shade_span(
    days: &[NaiveDate],
    start: NaiveDate,
    end: Option<NaiveDate>,
    x: &Range<f64>,
) -> Range<f64> {
    // The point holding a date: the last one starting on or before it (weekly points hold
    // seven days).
    let point = |date: NaiveDate| days.partition_point(|day| *day <= date).saturating_sub(1) as f64;
    let last = end.map_or(x.end, point);
    (point(start) - 0.5).max(x.start)..(last + 0.5).min(x.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: u32) -> Vec<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(2019, 10, 1).unwrap();
        first.iter_days().take(n as usize).collect()
    }

    #[test]
    fn stacks_sum_layers() {
        let days = days(3);
        let (a, b) = ([1, 2, 3], [10, 20, 30]);
        let line = |label: &str, values| Line {
            label: label.into(),
            values,
        };
        let lines = vec![line("a", &a[..]), line("b", &b[..])];
        let mut figure = Figure {
            days: &days,
            y_desc: String::new(),
            lines,
            stacked: false,
            shade: None,
        };
        assert_eq!(
            figure.curves(),
            [vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0]]
        );
        figure.stacked = true;
        assert_eq!(
            figure.curves(),
            [vec![1.0, 2.0, 3.0], vec![11.0, 22.0, 33.0]]
        );
    }

    #[test]
    fn labels_only_at_whole_days() {
        let days = days(3);
        assert_eq!(day_label(&days, 1.0), "2019-10-02");
        assert_eq!(day_label(&days, 1.5), "");
        assert_eq!(day_label(&days, 7.0), "");
    }

    #[test]
    fn shade_covers_the_event_days() {
        let days = days(10);
        let x = 0.0..9.0;
        let on = |d| NaiveDate::from_ymd_opt(2019, 10, d).unwrap();
        assert_eq!(shade_span(&days, on(3), Some(on(4)), &x), 1.5..3.5);
        assert_eq!(shade_span(&days, on(1), None, &x), 0.0..9.0);
    }

    #[test]
    fn chart_is_marked_and_titled() {
        let days = days(5);
        let values = [1, 5, 2, 8, 3];
        let figure = Figure {
            days: &days,
            y_desc: "パケット数（日別）".into(),
            lines: vec![Line {
                label: "オランダ".into(),
                values: &values,
            }],
            stacked: false,
            shade: Some((days[1], Some(days[2]))),
        };
        let chart = draw("f.svg".into(), "図1: <テスト>".into(), &figure);
        assert!(chart
            .svg
            .starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"図1: &lt;テスト&gt;\""));
        assert!(chart.svg.contains("<title>図1: &lt;テスト&gt;</title>"));
        assert!(chart.svg.contains("<polyline"));
        assert!(chart.svg.contains("オランダ"));
        assert!(chart.svg.trim_end().ends_with("</svg>"));
    }
}
