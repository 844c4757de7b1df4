//! Outside text (an answer's body, an error) in a verdict's reason or a log line: quoted,
//! bounded and on one line.

/// The most characters of outside text (an event's field, a server's answer) a reason quotes.
pub const MAX_QUOTE_CHARS: usize = 200;

/// Outside text quoted for a reason or a log line: bounded, on one line.
pub fn quote(text: &str) -> String {
    format!("\"{}\"", bounded(text, MAX_QUOTE_CHARS))
}

/// `text` with control characters escaped, cut after `max_chars` characters.
pub fn bounded(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str("...");
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_is_one_line_of_at_most_the_bound() {
        assert_eq!(bounded("a\nb", 10), "a\\nb");
        assert_eq!(bounded("abcdef", 3), "abc...");
        assert_eq!(bounded("abc", 3), "abc");
    }
}
