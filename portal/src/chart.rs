//! Charts drawn on the server as SVG: they show without JavaScript, print, and carry their
//! numbers as text (each chart has its table beside it as well). Colours come from
//! presentation attributes, so the content security policy needs no inline styles.

use std::fmt::Write;

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Line colours, told apart by dash as well as colour (for print and colour blindness).
const LINES: [(&str, &str); 4] = [("#1f5fa8", ""), ("#2e7d32", "6 3"), ("#b3261e", "2 3"), ("#6a3d9a", "8 2 2 2")];

/// A line chart of shares (0 to 1) over the x labels; a missing value (too small a sample)
/// breaks the line. `title` names the chart for screen readers.
#[must_use]
pub fn lines(title: &str, x: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    let (w, h, left, right, top, bottom) = (640.0_f64, 260.0_f64, 44.0, 32.0, 12.0, 56.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = x.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let px = |i: usize| if n == 1 { left + plot_w / 2.0 } else { left + plot_w * i as f64 / (n - 1) as f64 };
    let py = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = py(tick);
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#dde1e6"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#555">{p}%</text>"##,
            x2 = w - right,
            tx = left - 4.0,
            ty = y + 4.0,
            p = tick * 100.0
        );
    }
    for (i, label) in x.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{y}" font-size="11" text-anchor="middle" fill="#555">{l}</text>"##,
            x = px(i),
            y = h - bottom + 16.0,
            l = esc(label)
        );
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let (colour, dash) = LINES[k % LINES.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(path, "{}{:.1} {:.1} ", if pen_down { "L" } else { "M" }, px(i), py(*v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                out,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
                path.trim_end()
            );
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {:.1}%</title></circle>"#,
                    px(i),
                    py(*v),
                    esc(name),
                    esc(x.get(i).map_or("", String::as_str)),
                    v * 100.0
                );
            }
        }
        // The legend, under the axis.
        #[allow(clippy::cast_precision_loss)]
        let lx = left + 150.0 * k as f64;
        let ly = h - 14.0;
        let _ = write!(
            out,
            r##"<line x1="{lx}" y1="{ly}" x2="{x2}" y2="{ly}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{tx}" y="{ty}" font-size="12" fill="#222">{n}</text>"##,
            x2 = lx + 24.0,
            tx = lx + 30.0,
            ty = ly + 4.0,
            n = esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A horizontal bar chart of counts: each row's main value as a bar and its second value
/// (e.g. overdue among them) as a darker bar inside it.
#[must_use]
pub fn bars(title: &str, rows: &[(String, u64, u64)], main: &str, second: &str) -> String {
    let row_h = 26.0_f64;
    let (w, left, right, top) = (640.0_f64, 150.0, 48.0, 28.0);
    #[allow(clippy::cast_precision_loss)]
    let h = top + row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)]
    let scale = |v: u64| (w - left - right) * v as f64 / max as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        out,
        r##"<rect x="{left}" y="6" width="12" height="12" fill="#9cb8d9"/><text x="{a}" y="16" font-size="12" fill="#222">{m}</text><rect x="{b}" y="6" width="12" height="12" fill="#b3261e"/><text x="{c}" y="16" font-size="12" fill="#222">{s}</text>"##,
        a = left + 16.0,
        b = left + 140.0,
        c = left + 156.0,
        m = esc(main),
        s = esc(second)
    );
    for (i, (label, value, inner)) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            r##"<text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#222">{l}</text><rect x="{left}" y="{y:.1}" width="{bw:.1}" height="18" fill="#9cb8d9"><title>{l}: {value}</title></rect><rect x="{left}" y="{iy:.1}" width="{iw:.1}" height="8" fill="#b3261e"><title>{l}: {inner}</title></rect><text x="{vx:.1}" y="{ty:.1}" font-size="12" fill="#222">{value}</text>"##,
            tx = left - 6.0,
            ty = y + 13.0,
            l = esc(label),
            bw = scale(*value),
            iy = y + 5.0,
            iw = scale(*inner),
            vx = left + scale(*value) + 4.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_gaps_break_the_line() {
        let svg = lines(
            "三率 <test>",
            &["2026-10".into(), "2026-11".into(), "2026-12".into()],
            &[("响应率".into(), vec![Some(0.5), None, Some(1.0)])],
        );
        assert!(svg.contains("三率 &lt;test&gt;"));
        assert!(!svg.contains("<test>"));
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.contains(r#"d="M44.0 108.0 M608.0 12.0""#), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2, "no point where the sample is too small");
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars("x", &[("a&b".into(), 10, 5), ("c".into(), 5, 0)], "受理", "超期");
        assert!(svg.contains("a&amp;b"));
        assert!(svg.contains(r#"width="442.0""#), "{svg}");
        assert!(svg.contains(r#"width="221.0""#));
    }
}
