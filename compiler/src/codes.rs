//! The catalogue of diagnostic codes.
//!
//! Codes are stable once released: a code is never reused for another meaning. Ranges:
//! J01 syntax, J02 names and types, J03 channels, J04 consent and windows, J05 flow structure.
//! Every code has a title, a default severity and a long explanation (`journey explain J0101`),
//! kept as Markdown beside this file in `codes/`.

use crate::diagnostic::Severity;

macro_rules! codes {
    ($( $code:ident, $sev:ident, $title:literal; )*) => {
        /// A stable diagnostic code such as `J0101`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $code, )*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[ $( Code::$code, )* ];

            /// The code as users write it: `"J0101"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$code => stringify!($code), )*
                }
            }

            /// A few words naming the problem class, for tables and SARIF rule names.
            pub fn title(self) -> &'static str {
                match self {
                    $( Code::$code => $title, )*
                }
            }

            pub fn default_severity(self) -> Severity {
                match self {
                    $( Code::$code => Severity::$sev, )*
                }
            }

            /// The long explanation printed by `journey explain`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $( Code::$code => include_str!(concat!("codes/", stringify!($code), ".md")), )*
                }
            }
        }
    };
}

codes! {
    J0101, Error, "syntax error";
    J0102, Error, "unclosed delimiter";
    J0103, Error, "unmatched closing delimiter";
    J0104, Error, "unterminated string";
    J0105, Error, "wrong arrow";
    J0106, Error, "invalid duration";
    J0107, Error, "invalid number";
    J0108, Error, "invalid time of day";
    J0109, Error, "invalid escape in a string";
    J0110, Error, "nesting too deep";
    J0111, Error, "file too large";
    J0112, Error, "file is not valid UTF-8";
    J0113, Error, "forbidden control character";
    J0114, Error, "bidirectional control character";
    J0115, Error, "input too complex";
    J0116, Error, "name or literal too long";
    J0117, Error, "invalid journey.toml";
    J0118, Error, "invalid date";
    J0201, Error, "unknown message";
    J0202, Error, "unknown name in an expression";
    J0203, Error, "unknown event";
    J0204, Error, "unknown field";
    J0205, Error, "unknown stage";
    J0206, Error, "unknown channel";
    J0207, Error, "unknown category";
    J0208, Error, "unknown outcome";
    J0209, Error, "duplicate definition";
    J0210, Error, "type mismatch";
    J0211, Error, "condition is not true or false";
    J0212, Error, "optional field without a fallback";
    J0213, Error, "event field out of scope";
    J0214, Error, "import outside the project";
    J0215, Error, "import not found";
    J0216, Error, "import cycle";
    J0217, Error, "unknown type";
    J0218, Error, "field cannot be shown in text";
    J0219, Error, "unknown function or wrong arguments";
    J0220, Error, "unknown tag";
    J0221, Error, "unknown time zone";
    J0222, Error, "unknown segment";
    J0225, Error, "`wait until` without a moment or a known zone";
    J0229, Error, "frequency cap names a channel where a category goes";
    J0230, Error, "reply or button named like a step's own outcome";
    J0301, Error, "element not supported by the channel";
    J0302, Error, "too many elements";
    J0303, Error, "text too long for the channel";
    J0304, Error, "too many SMS segments";
    J0305, Warning, "character forces UCS-2 encoding";
    J0306, Warning, "title truncated by the channel";
    J0307, Error, "message has no content";
    J0308, Error, "unknown name in a channel declaration";
    J0309, Error, "template parameters do not match the declaration";
    J0310, Error, "template used on another channel or language";
    J0311, Error, "consent waiver on a channel outside the standard library";
    J0312, Error, "template combined with free-form content";
    J0313, Warning, "promotional content in a non-marketing message";
    J0314, Error, "promotional content in a WhatsApp utility template";
    J0315, Error, "channel without a medium";
    J0316, Error, "event window longer than its channel's";
    J0317, Error, "list message the platform cannot show";
    J0318, Error, "element where the message cannot carry it";
    J0320, Error, "event window allowing other than one reply";
    J0401, Error, "send without consent";
    J0402, Error, "send outside the messaging window";
    J0403, Error, "category not allowed under the tag";
    J0404, Error, "human-agent tag outside a handoff";
    J0405, Error, "withdrawn tag";
    J0406, Error, "quiet hours missing or weaker than the law";
    J0407, Error, "quiet-hour hold can take a send past its window";
    J0408, Error, "send in business hours that overlap quiet hours";
    J0409, Error, "frequency cap exceeded";
    J0410, Error, "marketing SMS without opt-out wording";
    J0411, Error, "marketing email without unsubscribe link and postal address";
    J0412, Error, "SMS channel without STOP and HELP handling";
    J0413, Error, "analysis inconclusive";
    J0414, Error, "consent request repeated too soon";
    J0415, Warning, "re-entry can exceed a cap across runs";
    J0501, Warning, "unreachable step";
    J0502, Error, "loop that sends without waiting";
    J0503, Error, "split shares do not add up to 100%";
    J0504, Error, "step without a time limit";
    J0505, Warning, "stage never entered";
    J0506, Error, "ask with no way out";
    J0507, Error, "duplicate outcome";
    J0508, Error, "missing outcome";
    J0509, Error, "journey too large to analyse";
    J0510, Error, "journey with more than one entry";
}

impl Code {
    /// Parses `"J0101"` (case-insensitive) into a code.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
