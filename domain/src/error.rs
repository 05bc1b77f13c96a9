//! Domain errors: specific enough that the HTTP layer can give each a stable code.

use crate::code::Code;
use serde::Serialize;

/// One invalid input field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (snake_case).
    pub field: String,
    /// Why, e.g. [`Code::InvalidCheckCharacter`].
    pub code: Code,
}

impl FieldError {
    /// A field error with a stable code.
    pub fn new(field: impl Into<String>, code: Code) -> Self {
        Self { field: field.into(), code }
    }
}

/// What the domain refuses, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// One or more fields are invalid; every invalid field is listed.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// The referenced thing does not exist (or is not visible to the caller).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for, e.g. `estate`.
        entity: &'static str,
    },
    /// The change conflicts with existing data (a unique name, an overlapping contract...).
    #[error("conflict: {code}")]
    Conflict {
        /// Which conflict, e.g. [`Code::ContractOverlap`].
        code: Code,
    },
    /// The record's state does not allow the action now.
    #[error("cannot {action} when {from}")]
    InvalidTransition {
        /// The current state.
        from: &'static str,
        /// The refused action.
        action: &'static str,
    },
    /// The client acted on an old version; someone else changed the record first.
    #[error("stale version; current is {current}")]
    StaleVersion {
        /// The record's current version.
        current: i32,
    },
    /// The thing has already ended and cannot be changed or ended again.
    #[error("{entity} already ended")]
    AlreadyEnded {
        /// What has ended.
        entity: &'static str,
    },
}

impl DomainError {
    /// A validation error about a single field.
    pub fn field(field: &str, code: Code) -> Self {
        Self::Validation(vec![FieldError::new(field, code)])
    }
}

/// Collects field errors so that a request gets all of them at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// An empty collector.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field` with `code`.
    pub fn add(&mut self, field: &str, code: Code) {
        self.errors.push(FieldError::new(field, code));
    }

    /// Keeps the value of a fallible parse, recording its error under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Code>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(code) => {
                self.add(field, code);
                None
            }
        }
    }

    /// Checks that a required text is not blank and at most `max` characters long.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, Code::Required);
        } else if trimmed.chars().count() > max {
            self.add(field, Code::TooLong);
        } else if has_control_character(value) {
            self.add(field, Code::ControlCharacter);
        }
    }

    /// Checks an optional free text (a note, a reason): at most `max` characters, no control
    /// characters but newline and tab.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        let Some(value) = value else { return };
        if value.chars().count() > max {
            self.add(field, Code::TooLong);
        } else if has_control_character(value) {
            self.add(field, Code::ControlCharacter);
        }
    }

    /// Ends validation.
    ///
    /// # Errors
    /// [`DomainError::Validation`] with every recorded field error, if there is any.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }
}

/// Whether a text holds a control character other than newline, carriage return or tab
/// (PostgreSQL refuses NUL; the others hide text from whoever reads it).
#[must_use]
pub fn has_control_character(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}
