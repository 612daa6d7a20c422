//! Option names: every string-valued option of the API is a field-less enum here in the core,
//! with one stable name per variant, so the binding, the CLI and the docs never spell or parse
//! them on their own.

/// Implements, for a field-less `Copy` enum, `NAMES` (the accepted names, in order), `as_str`,
/// `parse_field` (whose error names the option: `"<field>: unknown <what> '<s>' (<names>)"`),
/// `Display` and `FromStr` (an error naming `<what>`). Aliases after `|` parse but are not listed.
macro_rules! named_enum {
    ($ty:ident, $what:literal { $($var:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// The accepted names, in the order the docs list them.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
            /// The stable name of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$var => $name),+
                }
            }
            /// Parses a name given for the option `field` (`ERR_INVALID_INPUT` naming it).
            pub fn parse_field(s: &str, field: &str) -> $crate::error::Result<Self> {
                match s {
                    $($name $(| $alias)* => Ok($ty::$var),)+
                    _ => Err($crate::error::Error::invalid_input(format!(
                        "{field}: unknown {} '{s}' ({})",
                        $what,
                        Self::NAMES.join(", ")
                    ))),
                }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                Self::parse_field(s, $what)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Fruit {
        Apple,
        Pear,
    }
    named_enum!(Fruit, "fruit" { Apple => "apple" | "malus", Pear => "pear" });

    #[test]
    fn names_round_trip_and_errors_name_the_field() {
        assert_eq!(Fruit::NAMES, &["apple", "pear"]);
        for f in [Fruit::Apple, Fruit::Pear] {
            assert_eq!(f.as_str().parse::<Fruit>().unwrap(), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!("malus".parse::<Fruit>().unwrap(), Fruit::Apple);
        let e = Fruit::parse_field("plum", "basket.kind").unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidInput);
        assert_eq!(e.message, "basket.kind: unknown fruit 'plum' (apple, pear)");
    }
}
