//! A label as SVG, in millimetres: the QR code on the left (one `<path class="qr">` in
//! module units inside a nested `<svg>` whose viewBox spans the code and its quiet zone),
//! and the item's tag (large), serial and model on the right, each XML-escaped and sized
//! down to fit its line.

use super::qr::QrMatrix;
use super::stock::Stock;

/// What a label says in text.
pub struct LabelText<'a> {
    pub tag: &'a str,
    /// The serial number, or "" when the item has none.
    pub serial: &'a str,
    /// The model's label (manufacturer and model number), or "".
    pub model: &'a str,
}

/// Monospaced text (tag, serial): an advance of 0.6 em per character.
const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace";
const MONO_EM: f64 = 0.6;
/// Proportional text (the model): about 0.56 em per character on average.
const SANS: &str = "DejaVu Sans, Helvetica, Arial, Liberation Sans, sans-serif";
const SANS_EM: f64 = 0.56;
/// Smallest text drawn, in mm (about 5 pt); longer text is squeezed to its line instead.
const MIN_TEXT_MM: f64 = 1.8;

/// One line of text, placed.
struct Line {
    text: String,
    size: f64,
    bold: bool,
    mono: bool,
    /// Squeezed to the line's width (too long even at the smallest size).
    squeeze: bool,
}

/// The largest size in `min..=max` at which `chars` characters fit `width`, and whether
/// even `min` is too large (the line is then squeezed).
fn fit(chars: usize, em: f64, width: f64, max: f64, min: f64) -> (f64, bool) {
    let size = (width / (chars.max(1) as f64 * em)).min(max);
    if size >= min { (size, false) } else { (min, true) }
}

/// Most lines a model's name may wrap onto.
const MODEL_LINES: usize = 3;

/// `text` wrapped at spaces into lines of at most `width` characters, or `None` when a
/// word is longer than that.
fn wrap(text: &str, width: usize) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if n > width {
            return None;
        }
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + n <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    Some(lines)
}

/// The model's lines and their size: on one line, or wrapped onto two or three when that
/// makes the text clearly larger (by more than 15 %), each as large as it fits (down to the
/// smallest text); one line is squeezed when nothing else fits.
fn model_lines(text: &str, width: f64, max: f64) -> (Vec<String>, f64, bool) {
    let (one, squeeze) = fit(text.chars().count(), SANS_EM, width, max, MIN_TEXT_MM);
    let mut best = (vec![text.to_owned()], one, squeeze);
    // What one line would really be drawn at (squeezed text is as small as it is long).
    let mut best_size = (width / (text.chars().count().max(1) as f64 * SANS_EM)).min(max);
    let steps = 24;
    for n in 2..=MODEL_LINES {
        let found = (0..=steps).map(|i| max - (max - MIN_TEXT_MM) * i as f64 / steps as f64).find_map(|size| {
            let per_line = (width / (size * SANS_EM)).floor() as usize;
            wrap(text, per_line).filter(|l| l.len() <= n).map(|l| (l, size))
        });
        if let Some((lines, size)) = found
            && size > best_size * 1.15
        {
            best_size = size;
            best = (lines, size, false);
        }
    }
    best
}

/// The label for `stock`: a standalone SVG document (no XML declaration), which can also
/// be inlined into an HTML page as it is.
pub fn label(qr: &QrMatrix, text: &LabelText<'_>, stock: Stock) -> String {
    let (w, h) = stock.size_mm();
    // The quiet zone is part of the code's square, so the code sits close to the edge.
    let side = h - 2.0;
    let (qx, qy) = (1.0, (h - side) / 2.0);
    let tx = qx + side + 0.5;
    let tw = w - tx - 2.0;

    let mut lines = Vec::new();
    let (size, squeeze) = fit(text.tag.chars().count(), MONO_EM, tw, h * 0.16, 2.2);
    lines.push(Line { text: text.tag.to_owned(), size, bold: true, mono: true, squeeze });
    let small = h * 0.085;
    if !text.serial.is_empty() {
        let serial = format!("S/N {}", text.serial);
        let (size, squeeze) = fit(serial.chars().count(), MONO_EM, tw, small, MIN_TEXT_MM);
        lines.push(Line { text: serial, size, bold: false, mono: true, squeeze });
    }
    if !text.model.is_empty() {
        let (parts, size, squeeze) = model_lines(text.model, tw, small);
        for part in parts {
            lines.push(Line { text: part, size, bold: false, mono: false, squeeze });
        }
    }

    let gap = |l: &Line| l.size * 0.4;
    let total: f64 = lines.iter().map(|l| l.size).sum::<f64>() + lines.iter().skip(1).map(gap).sum::<f64>();
    let mut y = ((h - total) / 2.0).max(1.0);

    let mut out = String::with_capacity(4096);
    out.push_str(&format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="label" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" role="img" aria-label="Label of {tag}"><title>{title}</title><rect width="{w}" height="{h}" fill="#fff"/>"##,
        w = num(w),
        h = num(h),
        tag = escape(text.tag),
        title = escape(&[text.tag, text.serial, text.model].iter().filter(|t| !t.is_empty()).copied().collect::<Vec<_>>().join(" · ")),
    ));
    let n = qr.extent();
    out.push_str(&format!(
        r##"<svg x="{x}" y="{y}" width="{s}" height="{s}" viewBox="0 0 {n} {n}" shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#fff"/><path class="qr" fill="#000" d="{d}"/></svg>"##,
        x = num(qx),
        y = num(qy),
        s = num(side),
        d = qr.path_data(),
    ));
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            y += gap(l);
        }
        let baseline = y + l.size * 0.8;
        y += l.size;
        out.push_str(&format!(
            r##"<text x="{x}" y="{b}" font-family="{f}" font-size="{s}"{weight}{squeeze} fill="#000">{t}</text>"##,
            x = num(tx),
            b = num(baseline),
            f = if l.mono { MONO } else { SANS },
            s = num(l.size),
            weight = if l.bold { r#" font-weight="700""# } else { "" },
            squeeze = if l.squeeze {
                format!(r#" textLength="{}" lengthAdjust="spacingAndGlyphs""#, num(tw))
            } else {
                String::new()
            },
            t = escape(&l.text),
        ));
    }
    out.push_str("</svg>");
    out
}

/// A length in mm with at most two decimals ("38.1", "2.45", "36").
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Text escaped for XML content and quoted attributes; control characters (which XML
/// cannot hold, and input hygiene already refuses) become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{LabelText, escape, label, model_lines, num, wrap};
    use crate::labels::qr::QrMatrix;
    use crate::labels::stock::Stock;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape(r#"A&B <x> "q" 'a'"#), "A&amp;B &lt;x&gt; &quot;q&quot; &apos;a&apos;");
        assert_eq!(escape("a\u{0}b\u{7}c"), "a b c");
    }

    #[test]
    fn lengths_are_short() {
        assert_eq!(
            (num(38.1), num(2.0), num(2.456), num(0.5)),
            ("38.1".into(), "2".into(), "2.46".into(), "0.5".into())
        );
    }

    #[test]
    fn long_models_wrap_onto_at_most_three_lines() {
        assert_eq!(wrap("Hewlett Packard Enterprise", 16), Some(vec!["Hewlett Packard".into(), "Enterprise".into()]));
        assert_eq!(wrap("Supercalifragilistic", 10), None);
        // Short enough for one line at full size.
        let (lines, size, squeeze) = model_lines("Dell R740", 24.0, 3.2);
        assert_eq!((lines.len(), size, squeeze), (1, 3.2, false));
        // Two lines rather than one much smaller, and not three for a little more.
        let (lines, size, _) = model_lines("Dell PowerEdge R740", 23.9, 3.24);
        assert_eq!(lines, vec!["Dell PowerEdge".to_owned(), "R740".to_owned()], "at {size}");
        // An A4 label's text column holds HPE's long name on three lines.
        let (lines, size, squeeze) = model_lines("Hewlett Packard Enterprise ProLiant DL380 Gen10", 23.9, 3.24);
        assert_eq!(lines.join(" "), "Hewlett Packard Enterprise ProLiant DL380 Gen10");
        assert!(lines.len() <= 3 && size > 1.8 && !squeeze, "{lines:?} at {size}");
    }

    #[test]
    fn a_label_is_sized_for_its_stock_and_holds_one_qr_path() {
        let qr = QrMatrix::encode("https://reloop.example.com/assets/x").expect("qr");
        let text = LabelText { tag: "RL-<1>", serial: "S&N", model: "Dell PowerEdge R740" };
        let a4 = label(&qr, &text, Stock::A4x21);
        assert!(a4.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" class="label" width="63.5mm" height="38.1mm" viewBox="0 0 63.5 38.1""#), "{a4}");
        assert_eq!(a4.matches(r#"<path class="qr""#).count(), 1);
        assert!(a4.contains(&format!(r#"viewBox="0 0 {n} {n}""#, n = qr.extent())));
        assert!(a4.contains(">RL-&lt;1&gt;</text>") && a4.contains(">S/N S&amp;N</text>"), "{a4}");
        // The model wraps onto two lines rather than shrinking below four fifths; the title
        // keeps it whole.
        assert!(a4.contains(">Dell PowerEdge</text>") && a4.contains(">R740</text>"), "{a4}");
        assert!(a4.contains("<title>RL-&lt;1&gt; · S&amp;N · Dell PowerEdge R740</title>"), "{a4}");
        let roll = label(&qr, &text, Stock::Roll62);
        assert!(roll.contains(r#"width="62mm" height="29mm" viewBox="0 0 62 29""#), "{roll}");
        let very_long =
            "Hewlett Packard Enterprise ProLiant DL380 Gen10 Plus Network Choice Configure-to-order Server Chassis";
        let long = label(&qr, &LabelText { tag: "T", serial: "", model: very_long }, Stock::A4x21);
        assert!(long.contains("lengthAdjust") && !long.contains("S/N"), "{long}");
    }
}
