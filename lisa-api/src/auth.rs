//! Admin authentication: `Authorization: Bearer <token>` against the configured admin tokens.
//!
//! Tokens are kept as SHA-256 digests and a presented token is compared with every one of them
//! in constant time, so neither the comparison's duration nor an early exit tells an attacker how
//! much of a token was right, or how long the tokens are.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest token accepted: anything shorter is too easy to guess.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// The admin tokens a server accepts. Never empty.
#[derive(Clone)]
pub struct AdminTokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for AdminTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminTokens({} configured)", self.digests.len())
    }
}

/// Why a set of tokens was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No token at all: a server without one would be open to everyone.
    #[error("no admin token is configured")]
    Empty,
    /// A token is too short to be safe.
    #[error(
        "admin token {position} is {length} characters long; at least {MIN_TOKEN_LENGTH} are required"
    )]
    TooShort {
        /// 1-based position of the token in the list.
        position: usize,
        /// Its length in characters.
        length: usize,
    },
    /// A token holds a character that cannot travel in an HTTP header.
    #[error("admin token {position} contains whitespace or a control character")]
    BadCharacter {
        /// 1-based position of the token in the list.
        position: usize,
    },
}

impl AdminTokens {
    /// Tokens from a list separated by commas or line breaks (the `LISA_ADMIN_TOKENS` variable, or
    /// a tokens file with one token per line). Blank entries and `#` comment lines are skipped.
    pub fn parse_list(text: &str) -> Result<AdminTokens, TokenError> {
        let tokens = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|token| !token.is_empty());
        AdminTokens::new(tokens)
    }

    /// The given tokens, each checked.
    pub fn new<T: AsRef<str>>(
        tokens: impl IntoIterator<Item = T>,
    ) -> Result<AdminTokens, TokenError> {
        let mut digests = Vec::new();
        for (index, token) in tokens.into_iter().enumerate() {
            let token = token.as_ref();
            let position = index + 1;
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(TokenError::BadCharacter { position });
            }
            let length = token.chars().count();
            if length < MIN_TOKEN_LENGTH {
                return Err(TokenError::TooShort { position, length });
            }
            digests.push(digest(token.as_bytes()));
        }
        if digests.is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(AdminTokens { digests })
    }

    /// Whether an `Authorization` header value carries one of the tokens.
    pub fn allows(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = authorization.and_then(bearer_token) else {
            return false;
        };
        let presented = digest(token);
        let mut matched = subtle::Choice::from(0);
        for known in &self.digests {
            matched |= known.ct_eq(&presented);
        }
        matched.into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The token of a `Bearer` credential (the scheme is case-insensitive, as HTTP says).
fn bearer_token(header: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    if header.len() <= SCHEME.len() || !header[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let token = header[SCHEME.len()..].trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "0123456789abcdef-admin";

    #[test]
    fn a_configured_bearer_token_is_allowed_and_nothing_else() {
        let tokens =
            AdminTokens::parse_list(&format!("{GOOD}, second-token-0123456789")).expect("valid");
        assert!(tokens.allows(Some(format!("Bearer {GOOD}").as_bytes())));
        assert!(tokens.allows(Some(format!("bearer  {GOOD} ").as_bytes())));
        assert!(tokens.allows(Some(b"Bearer second-token-0123456789")));
        assert!(!tokens.allows(None));
        assert!(!tokens.allows(Some(GOOD.as_bytes())), "no scheme");
        assert!(!tokens.allows(Some(format!("Basic {GOOD}").as_bytes())));
        assert!(!tokens.allows(Some(b"Bearer ")));
        assert!(!tokens.allows(Some(format!("Bearer {GOOD}x").as_bytes())));
        assert!(!tokens.allows(Some(format!("Bearer {}", &GOOD[1..]).as_bytes())));
    }

    #[test]
    fn lists_split_on_commas_and_lines_and_skip_comments() {
        let tokens =
            AdminTokens::parse_list(&format!("# admins\n{GOOD}\n\n,another-token-0123456789,\n"))
                .expect("valid");
        assert_eq!(tokens.digests.len(), 2);
    }

    #[test]
    fn unsafe_token_sets_are_refused() {
        assert_eq!(
            AdminTokens::parse_list(" , \n# none\n").expect_err("refused"),
            TokenError::Empty
        );
        assert_eq!(
            AdminTokens::parse_list("short").expect_err("refused"),
            TokenError::TooShort {
                position: 1,
                length: 5
            }
        );
        assert_eq!(
            AdminTokens::new([GOOD, "has a space in it, long enough"]).expect_err("refused"),
            TokenError::BadCharacter { position: 2 }
        );
    }

    #[test]
    fn debug_output_never_shows_a_token() {
        let tokens = AdminTokens::parse_list(GOOD).expect("valid");
        assert_eq!(format!("{tokens:?}"), "AdminTokens(1 configured)");
    }
}
