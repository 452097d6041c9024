//! Server-side bar charts as SVG: readable without JavaScript, one `<title>`
//! and `<desc>` per chart for screen readers, and every bar labelled with its
//! value (the page puts the same figures in a table next to it). A missing
//! value is drawn as no bar with "–", never as zero.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One bar: its label (a month, a year, a dimension), its value as shown, and the number.
pub struct Bar {
    pub label: String,
    pub shown: String,
    pub value: Option<Decimal>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A vertical bar chart of `bars` scaled to `max` (e.g. 100 for percentages;
/// `None`: the largest value), with an optional dashed target line.
pub fn bars(id: &str, title: &str, desc: &str, bars: &[Bar], max: Option<Decimal>, target: Option<Decimal>) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 40.0;
    let largest = bars.iter().filter_map(|b| b.value).chain(target).max().unwrap_or(Decimal::ONE);
    let max = max.unwrap_or(largest).max(largest).max(Decimal::ONE).to_f64().unwrap_or(1.0);
    let n = bars.len().max(1) as f64;
    let slot = W / n;
    let bar_w = (slot * 0.6).min(48.0);
    let plot = H - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot - (v / max).clamp(0.0, 1.0) * plot;
    let mut out = format!(
        "<svg id=\"{id}\" class=\"kp-chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" preserveAspectRatio=\"xMidYMid meet\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>\
         <line x1=\"0\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\" class=\"kp-chart__axis\"/>",
        escape(title),
        escape(desc),
        base = TOP + plot,
    );
    if let Some(t) = target.and_then(|t| t.to_f64()) {
        let y = y_of(t);
        out.push_str(&format!("<line x1=\"0\" y1=\"{y:.1}\" x2=\"{W}\" y2=\"{y:.1}\" class=\"kp-chart__target\"/>"));
    }
    for (k, b) in bars.iter().enumerate() {
        let x = slot * k as f64 + (slot - bar_w) / 2.0;
        let cx = slot * k as f64 + slot / 2.0;
        if let Some(v) = b.value.and_then(|v| v.to_f64()) {
            let y = y_of(v.max(0.0));
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" class=\"kp-chart__bar\"/>",
                h = (TOP + plot - y).max(0.0)
            ));
            out.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"kp-chart__value\">{}</text>",
                (y - 6.0).max(12.0),
                escape(&b.shown)
            ));
        } else {
            out.push_str(&format!("<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"kp-chart__value\">–</text>", TOP + plot - 6.0));
        }
        out.push_str(&format!("<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"kp-chart__label\">{}</text>", H - BOTTOM + 18.0, escape(&b.label)));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_value_is_not_a_zero_bar_and_text_is_escaped() {
        let svg = bars(
            "c1",
            "Tilaukset <sähköisesti>",
            "kuvaus",
            &[
                Bar { label: "1".into(), shown: "50 %".into(), value: Some(Decimal::from(50)) },
                Bar { label: "2".into(), shown: "–".into(), value: None },
            ],
            Some(Decimal::from(100)),
            Some(Decimal::from(100)),
        );
        assert_eq!(svg.matches("<rect").count(), 1, "{svg}");
        assert!(svg.contains("&lt;sähköisesti&gt;"));
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"c1-t c1-d\""));
        assert!(svg.contains("kp-chart__target"));
        // Half of the plot's height: 24 + 156 - 78 = 102.
        assert!(svg.contains("y=\"102.0\""), "{svg}");
    }
}
