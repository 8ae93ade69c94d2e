//! Server-rendered SVG charts: accessible (a `<title>`, a `<desc>`, `role="img"`), readable
//! without JavaScript, and always shown next to a data table with the same numbers.

use std::fmt::Write as _;
use trendwatch_core::dynamics::WeekPoint;
use trendwatch_core::sanitize::escape_html;

use trendwatch_core::Language;

// A narrow canvas with large type: scaled to a 360-pixel phone the labels are still about
// ten pixels high, and on a desktop column they are not oversized.
const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 200.0;
/// Left margin: the y axis title and the value labels.
const PAD_LEFT: f64 = 52.0;
const PAD_RIGHT: f64 = 12.0;
const PAD_TOP: f64 = 12.0;
/// Bottom margin: the dates and the x axis title.
const PAD_BOTTOM: f64 = 52.0;
/// Most date labels on the time axis.
const MAX_TICKS: usize = 5;

fn y_of(v: f64) -> f64 {
    // +1 at the top, −1 at the bottom.
    PAD_TOP + (1.0 - v) / 2.0 * (HEIGHT - PAD_TOP - PAD_BOTTOM)
}

/// Short month names for axis labels.
fn month_short(m: time::Month, lang: Language) -> &'static str {
    use time::Month::*;
    match lang {
        Language::En => match m {
            January => "Jan",
            February => "Feb",
            March => "Mar",
            April => "Apr",
            May => "May",
            June => "Jun",
            July => "Jul",
            August => "Aug",
            September => "Sep",
            October => "Oct",
            November => "Nov",
            December => "Dec",
        },
        Language::Ru => match m {
            January => "янв",
            February => "фев",
            March => "мар",
            April => "апр",
            May => "мая",
            June => "июн",
            July => "июл",
            August => "авг",
            September => "сен",
            October => "окт",
            November => "ноя",
            December => "дек",
        },
    }
}

/// "Oct 12" or "12 окт": the Monday a week begins.
fn day_label(d: time::Date, lang: Language) -> String {
    match lang {
        Language::En => format!("{} {}", month_short(d.month(), lang), d.day()),
        Language::Ru => format!("{} {}", d.day(), month_short(d.month(), lang)),
    }
}

/// The indexes of the weeks that get a date on the time axis: the first, then evenly
/// spaced, at most [`MAX_TICKS`].
fn ticks(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let every = n.div_ceil(MAX_TICKS).max(1);
    (0..n).step_by(every).collect()
}

/// A line chart of a series' balance index from −1 to +1, with the weekly scores as marks, a
/// time axis dated by the Monday of each labelled week (the year under the first label and
/// wherever a new year begins) and both axes titled. `id` must be unique on the page (it
/// links the title and description).
pub fn balance_chart(
    id: &str,
    title: &str,
    desc: &str,
    lang: Language,
    points: &[WeekPoint],
) -> String {
    let t = crate::i18n::strings(lang);
    let n = points.len().max(1);
    let plot_w = WIDTH - PAD_LEFT - PAD_RIGHT;
    let step = if n > 1 { plot_w / (n - 1) as f64 } else { 0.0 };
    let x_of = |i: usize| {
        if n > 1 {
            PAD_LEFT + step * i as f64
        } else {
            PAD_LEFT + plot_w / 2.0
        }
    };
    let mut svg = String::with_capacity(3072 + points.len() * 64);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_html(title),
        escape_html(desc)
    );
    for (v, label) in [(1.0, "+1"), (0.0, "0"), (-1.0, "−1")] {
        let y = y_of(v);
        let _ = write!(
            svg,
            r#"<line class="axis" x1="{PAD_LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            WIDTH - PAD_RIGHT,
            PAD_LEFT - 6.0,
            y + 4.5
        );
    }
    // The time axis: a tick and a date under each labelled week.
    let base = y_of(-1.0);
    let mut last_year = None;
    for i in ticks(points.len()) {
        let monday = points[i].period.monday();
        let x = x_of(i);
        let _ = write!(
            svg,
            r#"<line class="axis tick" x1="{x:.1}" y1="{base:.1}" x2="{x:.1}" y2="{:.1}"/><text class="axis-label" x="{x:.1}" y="{:.1}" text-anchor="{}">{}"#,
            base + 5.0,
            base + 19.0,
            if i == 0 { "start" } else { "middle" },
            escape_html(&day_label(monday, lang))
        );
        if last_year != Some(monday.year()) {
            let _ = write!(
                svg,
                r#"<tspan x="{x:.1}" dy="15">{}</tspan>"#,
                monday.year()
            );
            last_year = Some(monday.year());
        }
        svg.push_str("</text>");
    }
    // Axis titles: what is measured, and along what.
    let _ = write!(
        svg,
        r#"<text class="axis-title" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text class="axis-title" transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        WIDTH - PAD_RIGHT,
        HEIGHT - 4.0,
        escape_html(t.week_of),
        (PAD_TOP + base) / 2.0,
        escape_html(t.balance_index)
    );
    // The balance line, broken where there is no balance.
    let mut segment: Vec<String> = Vec::new();
    let flush = |segment: &mut Vec<String>, svg: &mut String| {
        if segment.len() > 1 {
            let _ = write!(
                svg,
                r#"<polyline class="balance" fill="none" points="{}"/>"#,
                segment.join(" ")
            );
        }
        segment.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match p.balance {
            Some(b) => segment.push(format!("{:.1},{:.1}", x_of(i), y_of(b))),
            None => flush(&mut segment, &mut svg),
        }
    }
    flush(&mut segment, &mut svg);
    // Weekly scores: shapes, not only colours (up, square, down).
    for (i, p) in points.iter().enumerate() {
        let (x, class, shape) = match p.score {
            Some(1) => (x_of(i), "mark-improved", "M-5,4 L5,4 L0,-5 Z"),
            Some(0) => (x_of(i), "mark-unchanged", "M-4,-4 L4,-4 L4,4 L-4,4 Z"),
            Some(-1) => (x_of(i), "mark-worsened", "M-5,-4 L5,-4 L0,5 Z"),
            _ => continue,
        };
        let y = y_of(f64::from(p.score.unwrap_or(0)));
        let _ = write!(
            svg,
            r#"<path class="{class}" transform="translate({x:.1},{y:.1})" d="{shape}"/>"#
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A calibration chart: stated probability (x) against how often such forecasts came true
/// (y), both from 0 to 100% with titled axes, one dot per bin sized by its count, and the
/// diagonal of perfect calibration.
pub fn calibration_chart(
    id: &str,
    title: &str,
    desc: &str,
    lang: Language,
    bins: &[trendwatch_core::forecast::CalibrationBin],
) -> String {
    const S: f64 = 300.0;
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 14.0;
    const TOP: f64 = 14.0;
    const BOTTOM: f64 = 56.0;
    let t = crate::i18n::strings(lang);
    let side = S - LEFT - RIGHT;
    let x_at = |v: f64| LEFT + v * side;
    let y_at = |v: f64| TOP + (1.0 - v) * side;
    let mut svg = String::with_capacity(2048);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart calibration" viewBox="0 0 {S} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_html(title),
        escape_html(desc),
        h = TOP + side + BOTTOM
    );
    let _ = write!(
        svg,
        r#"<rect class="frame" x="{LEFT}" y="{TOP}" width="{side}" height="{side}" fill="none"/><line class="axis diagonal" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        x_at(0.0),
        y_at(0.0),
        x_at(1.0),
        y_at(1.0)
    );
    for (v, label) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let _ = write!(
            svg,
            r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            x_at(v),
            TOP + side + 18.0,
            LEFT - 6.0,
            y_at(v) + 4.5
        );
    }
    let _ = write!(
        svg,
        r#"<text class="axis-title" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-title" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        LEFT + side / 2.0,
        TOP + side + 42.0,
        escape_html(t.predicted),
        TOP + side / 2.0,
        escape_html(t.observed)
    );
    for b in bins {
        let r = 4.0 + (b.count as f64).sqrt() * 2.5;
        let _ = write!(
            svg,
            r#"<circle class="bin" cx="{:.1}" cy="{:.1}" r="{r:.1}"/>"#,
            x_at(b.mean_predicted),
            y_at(b.observed)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use trendwatch_core::dynamics::{series, weeks};
    use trendwatch_core::Status;

    #[test]
    fn escapes_text_and_draws_every_rated_week() {
        let ws = weeks(
            "2026-W40".parse().expect("p"),
            "2026-W43".parse().expect("p"),
        );
        let pts = series(
            &ws,
            &[(ws[0], Status::Improved), (ws[2], Status::Worsened)],
            8,
        );
        let svg = balance_chart("c1", "Security <&>", "desc", Language::En, &pts);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // A dated time axis and both axis titles.
        assert!(svg.contains(">Sep 28<tspan"), "{svg}");
        assert!(svg.contains(">2026</tspan>"));
        assert!(svg.contains(">Balance index</text>"));
        assert!(svg.contains(">Week of</text>"));
        let ru = balance_chart("c1", "x", "d", Language::Ru, &pts);
        assert!(ru.contains(">28 сен<tspan"), "{ru}");
        assert!(ru.contains(">Индекс баланса</text>"));
        assert!(svg.contains("<title id=\"c1-title\">Security &lt;&amp;&gt;</title>"));
        assert_eq!(svg.matches("class=\"mark-").count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn time_axis_labels_at_most_five_weeks_and_names_each_new_year() {
        assert_eq!(ticks(4), vec![0, 1, 2, 3]);
        assert_eq!(ticks(12), vec![0, 3, 6, 9]);
        assert_eq!(ticks(52).len(), 5);
        let ws = weeks(
            "2025-W40".parse().expect("p"),
            "2026-W10".parse().expect("p"),
        );
        let pts = series(&ws, &[], 8);
        let svg = balance_chart("c", "t", "d", Language::En, &pts);
        assert_eq!(svg.matches("</tspan>").count(), 2, "2025 and 2026: {svg}");
    }

    #[test]
    fn calibration_chart_titles_both_axes() {
        let bins = [trendwatch_core::forecast::CalibrationBin {
            lower: 0.6,
            count: 4,
            mean_predicted: 0.65,
            observed: 0.5,
        }];
        let svg = calibration_chart("cal", "t", "d", Language::En, &bins);
        assert!(svg.contains(">Stated probability</text>"));
        assert!(svg.contains(">Came true</text>"));
        assert_eq!(svg.matches(">50%</text>").count(), 2, "both axes scaled");
    }
}
