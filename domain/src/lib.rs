//! The joint-building coordination domain: organizations and people (the registry),
//! who may act where (authorization vocabulary and role bindings), and the rules that
//! hold whatever the storage or transport. No IO and no framework types live here.

/// Defines a fieldless enum whose values have stable snake_case (or kebab-case) names: the
/// enum with its derives, `ALL`, `as_str`, `Display`, and `FromStr` whose error is
/// [`code::Code::InvalidValue`]. Used for every vocabulary the API and the database spell out.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $text)] $variant),* }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$(Self::$variant),*];

            /// The name used in the API, the policies and the database.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::code::Code;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)* _ => Err($crate::code::Code::InvalidValue) }
            }
        }
    };
}

pub mod account;
pub mod appointment;
pub mod authz;
pub mod channel;
pub mod clock;
pub mod code;
pub mod complaint;
pub mod error;
pub mod ids;
pub mod meeting;
pub mod notification;
pub mod oversight;
pub mod registry;

pub use code::Code;
pub use error::{DomainError, FieldError};
