//! Charts of forecasts as SVG, drawn by plotters (no JavaScript, no hand-built SVG): a
//! year axis, lines for the series, a shaded p5–p95 band where there is one. The SVG is
//! inlined in the page, sized by the stylesheet, and labelled for screen readers; the
//! table beside it holds every figure.

use plotters::prelude::*;

/// One series on a chart.
pub struct Line<'a> {
    pub label: &'a str,
    pub values: &'a [f64],
    pub color: RGBColor,
    pub dashed: bool,
}

/// A shaded band between two series.
pub struct Shade<'a> {
    pub label: &'a str,
    pub low: &'a [f64],
    pub high: &'a [f64],
    pub color: RGBColor,
}

/// The colours the pages use: baseline, scenario, a third series, the band.
pub const BASELINE: RGBColor = RGBColor(0x1d, 0x4e, 0x89);
pub const SCENARIO: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
pub const THIRD: RGBColor = RGBColor(0x8d, 0x5b, 0x00);

const WIDTH: u32 = 880;
const HEIGHT: u32 = 360;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG chart of `lines` (and `shade`) over `years`; `title` labels it for screen
/// readers. An empty string when there is nothing to draw.
pub fn svg(title: &str, y_label: &str, years: &[i32], shade: Option<Shade>, lines: &[Line]) -> String {
    if years.is_empty() {
        return String::new();
    }
    let mut buf = String::new();
    if draw(&mut buf, y_label, years, shade, lines).is_err() {
        return String::new();
    }
    // Label the drawing and let the stylesheet size it.
    let label = format!(r#"<svg class="chart" role="img" aria-label="{}" "#, escape(title));
    buf.replacen("<svg ", &label, 1)
}

fn draw(buf: &mut String, y_label: &str, years: &[i32], shade: Option<Shade>, lines: &[Line]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let x0 = *years.first().unwrap_or(&0);
    let x1 = (*years.last().unwrap_or(&0)).max(x0 + 1);
    let mut top = lines.iter().flat_map(|l| l.values.iter()).copied().fold(0.0f64, f64::max);
    if let Some(s) = &shade {
        top = s.high.iter().copied().fold(top, f64::max);
    }
    let top = if top > 0.0 { top * 1.08 } else { 1.0 };
    let root = SVGBackend::with_string(buf, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, 0.0..top)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(years.len().min(16))
        .x_label_formatter(&|y| y.to_string())
        .y_desc(y_label)
        .y_label_formatter(&|v| short(*v))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    if let Some(s) = shade {
        let color = s.color.mix(0.18);
        let mut pts: Vec<(i32, f64)> = years.iter().copied().zip(s.high.iter().copied()).collect();
        pts.extend(years.iter().copied().zip(s.low.iter().copied()).rev());
        chart
            .draw_series(std::iter::once(Polygon::new(pts, color.filled())))
            .map_err(|e| err(&e))?
            .label(s.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.filled()));
    }
    for l in lines {
        let pts: Vec<(i32, f64)> = years.iter().copied().zip(l.values.iter().copied()).collect();
        let style = ShapeStyle::from(&l.color).stroke_width(2);
        let color = l.color;
        if l.dashed {
            chart
                .draw_series(DashedLineSeries::new(pts, 8, 5, style))
                .map_err(|e| err(&e))?
                .label(l.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        } else {
            chart
                .draw_series(LineSeries::new(pts, style))
                .map_err(|e| err(&e))?
                .label(l.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xcc, 0xcc, 0xcc))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// An axis label: 1.2k, 3.4M, or the number with at most two decimals.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_a_labelled_svg_with_its_series() {
        let years = [2026, 2027, 2028];
        let s = svg(
            "Waste <per> year",
            "tonnes",
            &years,
            Some(Shade { label: "p5–p95", low: &[0.5, 1.0, 1.5], high: &[1.5, 2.5, 3.5], color: BASELINE }),
            &[
                Line { label: "Baseline", values: &[1.0, 2.0, 3.0], color: BASELINE, dashed: false },
                Line { label: "With levers", values: &[0.8, 1.5, 2.0], color: SCENARIO, dashed: true },
            ],
        );
        assert!(
            s.starts_with(r#"<svg class="chart" role="img" aria-label="Waste &lt;per&gt; year" "#),
            "{}",
            &s[..120]
        );
        assert!(s.contains("Baseline") && s.contains("With levers") && s.contains("2027"));
        assert!(s.contains("<polygon") || s.contains("<path"), "the band is drawn");
        assert_eq!(svg("x", "t", &[], None, &[]), "");
    }
}
