//! Server-rendered SVG charts: accessible (a `<title>`, a `<desc>`, `role="img"`), readable
//! without JavaScript, and always shown next to a data table with the same numbers.

use std::fmt::Write as _;
use trendwatch_core::dynamics::WeekPoint;
use trendwatch_core::sanitize::escape_html;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 150.0;
const PAD_X: f64 = 34.0;
const PAD_Y: f64 = 14.0;

fn y_of(v: f64) -> f64 {
    // +1 at the top, −1 at the bottom.
    PAD_Y + (1.0 - v) / 2.0 * (HEIGHT - 2.0 * PAD_Y)
}

/// A line chart of a series' balance index from −1 to +1, with the weekly scores as marks.
/// `id` must be unique on the page (it links the title and description).
pub fn balance_chart(id: &str, title: &str, desc: &str, points: &[WeekPoint]) -> String {
    let n = points.len().max(1);
    let step = if n > 1 {
        (WIDTH - 2.0 * PAD_X) / (n - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| PAD_X + step * i as f64;
    let mut svg = String::with_capacity(2048 + points.len() * 64);
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
            r#"<line class="axis" x1="{PAD_X}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="axis-label" x="4" y="{:.1}">{label}</text>"#,
            WIDTH - PAD_X,
            y + 4.0
        );
    }
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
            Some(1) => (x_of(i), "mark-improved", "M-4,3 L4,3 L0,-4 Z"),
            Some(0) => (x_of(i), "mark-unchanged", "M-3,-3 L3,-3 L3,3 L-3,3 Z"),
            Some(-1) => (x_of(i), "mark-worsened", "M-4,-3 L4,-3 L0,4 Z"),
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

/// A calibration chart: predicted probability (x) against observed frequency (y), one dot per
/// bin with its size by count, and the diagonal of perfect calibration.
pub fn calibration_chart(
    id: &str,
    title: &str,
    desc: &str,
    bins: &[trendwatch_core::forecast::CalibrationBin],
) -> String {
    const S: f64 = 220.0;
    const P: f64 = 30.0;
    let at = |v: f64| P + v * (S - 2.0 * P);
    let mut svg = String::with_capacity(1024);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart calibration" viewBox="0 0 {S} {S}" width="{S}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_html(title),
        escape_html(desc)
    );
    let (lo, hi) = (at(0.0), at(1.0));
    let _ = write!(
        svg,
        r#"<rect class="frame" x="{lo}" y="{lo}" width="{w}" height="{w}" fill="none"/><line class="axis" x1="{lo}" y1="{hi}" x2="{hi}" y2="{lo}"/><text class="axis-label" x="{lo}" y="{t}">0</text><text class="axis-label" x="{x1}" y="{t}">1</text>"#,
        w = hi - lo,
        t = S - 8.0,
        x1 = hi - 6.0
    );
    for b in bins {
        let r = 3.0 + (b.count as f64).sqrt() * 2.0;
        let _ = write!(
            svg,
            r#"<circle class="bin" cx="{:.1}" cy="{:.1}" r="{r:.1}"/>"#,
            at(b.mean_predicted),
            S - at(b.observed)
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
        let svg = balance_chart("c1", "Security <&>", "desc", &pts);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c1-title\">Security &lt;&amp;&gt;</title>"));
        assert_eq!(svg.matches("class=\"mark-").count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 1);
    }
}
