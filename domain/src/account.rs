//! The rules of accounts: what a username and a password must be.

use crate::code::Code;
use crate::error::DomainError;

/// The shortest and longest password, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;
/// The shortest and longest username, in characters (all ASCII, so also in bytes).
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// Whether a username may hold `c`: an ASCII letter or digit, `_`, `-` or `.`.
#[must_use]
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Checks a new password: 8 to 128 characters.
///
/// # Errors
/// [`DomainError::Validation`] for `password`.
pub fn validate_password(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if PASSWORD_CHARS.contains(&n) {
        Ok(())
    } else {
        Err(DomainError::field("password", Code::PasswordLength))
    }
}

/// Checks a username: 3 to 32 letters, digits, `_`, `-` or `.`.
///
/// # Errors
/// [`DomainError::Validation`] for `username`.
pub fn validate_username(username: &str) -> Result<(), DomainError> {
    let ok = USERNAME_CHARS.contains(&username.len()) && username.chars().all(is_username_char);
    if ok {
        Ok(())
    } else {
        Err(DomainError::field("username", Code::InvalidUsername))
    }
}
