//! Text from outside (an event's fields as serde quotes them, a stack's failure reason) on its
//! way into a log line: each log line must stay one line, of bounded length, whatever the text
//! holds.

/// The most a cut text's mark (`... (N bytes cut)`) takes, in bytes.
const CUT_MARK_MAX_BYTES: usize = 40;

/// `text` as one line of at most `max_bytes` bytes (for a bound above the cut mark's 40):
/// every control character (a line break, a tab, an escape) and each Unicode line or
/// paragraph separator is written as its Rust escape (`\n`, `\u{1b}`), so nothing in it can
/// start a line of its own; a longer text is cut, saying how many of its bytes were left out.
pub fn one_line(text: &str, max_bytes: usize) -> String {
    let room = max_bytes.saturating_sub(CUT_MARK_MAX_BYTES);
    let mut line = String::with_capacity(text.len().min(max_bytes));
    // The last place the line could be cut and still leave room for the mark: its length and
    // where in `text` it stands.
    let mut cut = (0, 0);
    for (at, c) in text.char_indices() {
        if line.len() <= room {
            cut = (line.len(), at);
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
        if line.len() > max_bytes {
            line.truncate(cut.0);
            line.push_str(&format!("... ({} bytes cut)", text.len() - cut.1));
            return line;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_or_an_escape_cannot_start_a_line() {
        assert_eq!(
            one_line("a\nb\r\tc\u{1b}[2Jd", 100),
            "a\\nb\\r\\tc\\u{1b}[2Jd"
        );
        assert_eq!(one_line("a\u{2028}b", 100), "a\\u{2028}b");
        assert_eq!(one_line("plain text, ünïcode", 100), "plain text, ünïcode");
    }

    #[test]
    fn a_long_text_is_cut_to_the_bound_saying_how_much() {
        let long = "é".repeat(100_000);
        let line = one_line(&long, 200);
        assert!(line.len() <= 200, "{}", line.len());
        assert!(line.ends_with(" bytes cut)"), "{line}");
        let newlines = "\n".repeat(150);
        let line = one_line(&newlines, 200);
        assert!(line.len() <= 200 && !line.contains('\n'), "{line}");
        assert!(line.ends_with(" bytes cut)"), "{line}");
        let exact = "x".repeat(200);
        assert_eq!(one_line(&exact, 200), exact);
    }
}
