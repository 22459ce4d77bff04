//! Horizontal bar charts of counts as SVG, drawn by plotters (no JavaScript, no
//! hand-built SVG). The SVG is inlined in the page, sized by the stylesheet and labelled
//! for screen readers; the table beside it holds every figure.

use plotters::prelude::*;

const WIDTH: u32 = 520;
const BAR: u32 = 26;
const COLOR: RGBColor = RGBColor(0x0f, 0x76, 0x6e);

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A bar per `(label, value)`, top to bottom; `title` labels it for screen readers.
/// An empty string when there is nothing to draw.
pub fn bars(title: &str, bars: &[(String, i64)]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let mut buf = String::new();
    if draw(&mut buf, bars).is_err() {
        return String::new();
    }
    let label = format!(r#"<svg class="chart bars" role="img" aria-label="{}" "#, escape(title));
    buf.replacen("<svg ", &label, 1)
}

fn draw(buf: &mut String, bars: &[(String, i64)]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let n = bars.len() as i32;
    let top = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64 * 1.15;
    let height = BAR * bars.len() as u32 + 40;
    let root = SVGBackend::with_string(buf, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(170)
        .build_cartesian_2d(0.0..top, (0..n).into_segmented())
        .map_err(|e| err(&e))?;
    let label_of = |v: &SegmentValue<i32>| match v {
        // Row i is drawn from the bottom: the first bar is at the top.
        SegmentValue::CenterOf(i) if (0..n).contains(i) => {
            bars.get((n - 1 - *i) as usize).map(|b| b.0.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len())
        .y_label_formatter(&label_of)
        .x_labels(5)
        .x_label_formatter(&|v| short(*v))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let y = n - 1 - i as i32;
            let mut bar = Rectangle::new(
                [(0.0, SegmentValue::Exact(y)), (*v as f64, SegmentValue::Exact(y + 1))],
                COLOR.filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(|e| err(&e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let y = n - 1 - i as i32;
            Text::new(
                v.to_string(),
                (*v as f64 + top * 0.01, SegmentValue::CenterOf(y)),
                ("sans-serif", 12).into_font(),
            )
        }))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// An axis label: 1.2k, 3.4M, or the whole number.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_chart_is_a_labelled_svg_with_a_bar_per_value() {
        let s = bars("Items <by> state", &[("Deployed".into(), 40), ("In stock".into(), 12)]);
        assert!(s.starts_with(r#"<svg class="chart bars" role="img" aria-label="Items &lt;by&gt; state" "#), "{s}");
        // The first bar on top, each label beside its bar.
        let (deployed, stock) = (s.find("Deployed").expect("label"), s.find("In stock").expect("label"));
        assert!(s.contains("\n40\n") && s.contains("\n12\n"), "the values are written: {s}");
        // Two bars whose lengths are as 40 to 12.
        let widths: Vec<f64> = s
            .split("<rect ")
            .filter(|r| r.contains("fill=\"#0F766E\""))
            .filter_map(|r| r.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(widths.len(), 2, "{s}");
        assert!((widths[0] / widths[1] - 40.0 / 12.0).abs() < 0.1, "{widths:?}");
        assert!(deployed != stock);
        assert_eq!(bars("x", &[]), "");
    }
}
