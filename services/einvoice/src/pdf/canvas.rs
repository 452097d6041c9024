//! Pages of text and rules in the base-14 Helvetica fonts with WinAnsiEncoding:
//! encoding, text widths (Helvetica AFM metrics) and a cursor that breaks pages.

use pdf_writer::{Content, Name, Str};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const LEFT: f32 = 50.0;
pub(crate) const RIGHT: f32 = PAGE_W - 50.0;
pub(crate) const TOP: f32 = PAGE_H - 50.0;
pub(crate) const BOTTOM: f32 = 60.0;

pub(crate) const REGULAR: Name<'static> = Name(b"F1");
pub(crate) const BOLD: Name<'static> = Name(b"F2");

/// Windows-1252 (WinAnsiEncoding) bytes of a text; characters outside it become `?`.
pub(crate) fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths of ASCII 32..=126 (per 1000 units of font size).
const REGULAR_W: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278,
    278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556,
    556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold advance widths of ASCII 32..=126.
const BOLD_W: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333,
    333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611,
    611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The ASCII letter whose width an accented Latin-1 letter shares.
fn base_char(c: char) -> Option<char> {
    Some(match c {
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        'š' => 's',
        'Š' => 'S',
        'ž' => 'z',
        'Ž' => 'Z',
        '\u{A0}' => ' ',
        _ => return None,
    })
}

fn char_width(c: char, bold: bool) -> f32 {
    let table = if bold { &BOLD_W } else { &REGULAR_W };
    let c = base_char(c).unwrap_or(c);
    let w = match c {
        ' '..='~' => table[(c as usize) - 32],
        '…' | '—' | 'Æ' | 'Œ' | '‰' => 1000,
        'æ' | 'œ' => 889,
        '•' => 350,
        '×' | '÷' | '±' => 584,
        '°' => 400,
        _ => 556,
    };
    f32::from(w)
}

/// The width of a text in points.
pub(crate) fn width(s: &str, size: f32, bold: bool) -> f32 {
    s.chars().map(|c| char_width(c, bold)).sum::<f32>() * size / 1000.0
}

/// The text cut to fit a width, ending with `…` when cut.
pub(crate) fn fit(s: &str, max: f32, size: f32, bold: bool) -> String {
    if width(s, size, bold) <= max {
        return s.to_string();
    }
    let ellipsis = width("…", size, bold);
    let mut out = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = char_width(c, bold) * size / 1000.0;
        if w + cw + ellipsis > max {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// The text broken into lines of at most a width, at spaces (a word longer than a
/// line is cut).
pub(crate) fn wrap(s: &str, max: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if width(&candidate, size, bold) <= max || line.is_empty() {
            line = if width(&candidate, size, bold) <= max { candidate } else { fit(word, max, size, bold) };
        } else {
            lines.push(std::mem::take(&mut line));
            line = fit(word, max, size, bold);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Horizontal alignment of a text at an x coordinate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Pages being written, with a cursor `y` running down the current page.
pub(crate) struct Canvas {
    pub(crate) pages: Vec<Content>,
    pub(crate) y: f32,
    /// Printed at the top of every page after the first.
    pub(crate) running_head: String,
}

impl Canvas {
    pub(crate) fn new(running_head: String) -> Self {
        Self { pages: vec![Content::new()], y: TOP, running_head }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// A text at a position on the current page.
    pub(crate) fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, align: Align, s: &str) {
        let _ = self.page();
        let last = self.pages.len() - 1;
        self.text_on(last, x, y, size, bold, align, s);
    }

    /// A text at a position on a page (by index; nothing if there is no such page).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text_on(&mut self, page: usize, x: f32, y: f32, size: f32, bold: bool, align: Align, s: &str) {
        let x = match align {
            Align::Left => x,
            Align::Right => x - width(s, size, bold),
        };
        let bytes = encode(s);
        let font = if bold { BOLD } else { REGULAR };
        if let Some(content) = self.pages.get_mut(page) {
            content.begin_text().set_font(font, size).next_line(x, y).show(Str(&bytes)).end_text();
        }
    }

    /// A horizontal rule at the cursor.
    pub(crate) fn rule(&mut self, x1: f32, x2: f32, gray: f32) {
        let y = self.y;
        self.page().set_stroke_gray(gray).set_line_width(0.5).move_to(x1, y).line_to(x2, y).stroke().set_stroke_gray(0.0);
    }

    /// A filled light band behind a line of `height` below the cursor.
    pub(crate) fn band(&mut self, height: f32, gray: f32) {
        let y = self.y;
        self.page().set_fill_gray(gray).rect(LEFT - 4.0, y - height + 3.0, RIGHT - LEFT + 8.0, height).fill_nonzero().set_fill_gray(0.0);
    }

    /// Starts a new page when less than `needed` points remain above the bottom margin.
    pub(crate) fn ensure(&mut self, needed: f32) {
        if self.y - needed < BOTTOM {
            self.new_page();
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = TOP;
        let head = self.running_head.clone();
        self.text_at(LEFT, self.y, 8.0, false, Align::Left, &head);
        self.y -= 6.0;
        self.rule(LEFT, RIGHT, 0.6);
        self.y -= 18.0;
    }

    /// A line of text at the cursor, which then moves down by `leading`.
    pub(crate) fn line(&mut self, x: f32, size: f32, bold: bool, s: &str, leading: f32) {
        self.ensure(leading);
        let y = self.y;
        self.text_at(x, y, size, bold, Align::Left, s);
        self.y -= leading;
    }

    /// A wrapped paragraph at the cursor.
    pub(crate) fn paragraph(&mut self, x: f32, max: f32, size: f32, bold: bool, s: &str) {
        for l in wrap(s, max, size, bold) {
            self.line(x, size, bold, &l, size * 1.35);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_finnish_and_euro() {
        assert_eq!(encode("äöåÄÖÅ€ x"), vec![0xE4, 0xF6, 0xE5, 0xC4, 0xD6, 0xC5, 0x80, b' ', b'x']);
        assert_eq!(encode("–…"), vec![0x96, 0x85]);
        assert_eq!(encode("漢"), vec![b'?']);
    }

    #[test]
    fn widths_and_wrapping() {
        assert!((width("1 234,56 €", 10.0, false) - (7.0 * 5.56 + 3.0 * 2.78)).abs() < 0.01);
        assert_eq!(width("ä", 10.0, false), width("a", 10.0, false));
        let f = fit("Päiväkoti Mäntylä ja muut pitkät nimet", 60.0, 10.0, false);
        assert!(f.ends_with('…') && width(&f, 10.0, false) <= 60.0);
        let lines = wrap("Lounaan hinta nousi 4,45 eurosta 4,60 euroon", 80.0, 10.0, false);
        assert!(lines.len() > 1 && lines.iter().all(|l| width(l, 10.0, false) <= 80.0));
        assert_eq!(lines.join(" "), "Lounaan hinta nousi 4,45 eurosta 4,60 euroon");
    }
}
