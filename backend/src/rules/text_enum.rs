//! `text_enum!`: closed vocabularies stored as text (kinds, states, grades, tiers).
//!
//! One declaration gives the wire/database spelling, a human label, the list of all
//! values (for forms and error messages) and strict parsing that names the valid values.
//! The OpenAPI schema of each vocabulary is derived from the same list at the web edge
//! (`web::api::schema`), so the document always spells values as the wire does.

/// Declares a closed vocabulary. Each variant is `Variant = "wire_text" / "Human label"`.
/// Used inside `rules` only (textual scope: `rules/mod.rs` declares this module first).
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in the database, the API and URLs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Strict parse of the wire spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// "a, b or c": the valid spellings, for error messages.
            pub fn expected() -> String {
                $crate::rules::text_enum::one_of(&[$($text),+])
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::parse(s).ok_or_else(|| format!("must be one of {}", $name::expected()))
            }
        }
    };
}

/// Joins choices as "a, b or c".
pub fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
