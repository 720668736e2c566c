//! Country names in the report's language, from the table vendored in `data/countries/`
//! (the npm package i18n-iso-countries; see its NOTICE).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::Lang;

/// `code \t English \t Japanese` lines; `#` starts a comment.
const NAMES: &str = include_str!("../../../data/countries/names.tsv");

/// The code the model uses for sources no database places.
pub(crate) const UNKNOWN: &str = "??";

/// The name of an ISO 3166 alpha-2 `code` in `lang`: `country_name("NL", Lang::Ja)` is
/// `オランダ`. `??` is "unknown" (`不明`); a code the table lacks is returned as it is.
pub fn country_name(code: &str, lang: Lang) -> String {
    if code == UNKNOWN {
        return lang.texts().unknown.to_owned();
    }
    match (table().get(code), lang) {
        (Some(&(en, _)), Lang::En) => en.to_owned(),
        (Some(&(_, ja)), Lang::Ja) => ja.to_owned(),
        (None, _) => code.to_owned(),
    }
}

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&str, (&str, &str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        NAMES
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                Some((fields.next()?, (fields.next()?, fields.next()?)))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_both_languages() {
        assert_eq!(country_name("NL", Lang::Ja), "オランダ");
        assert_eq!(country_name("NL", Lang::En), "Netherlands");
        assert_eq!(country_name("RU", Lang::En), "Russia");
        assert_eq!(country_name("JP", Lang::Ja), "日本");
    }

    #[test]
    fn unknown_and_missing_codes() {
        assert_eq!(country_name("??", Lang::En), "unknown");
        assert_eq!(country_name("??", Lang::Ja), "不明");
        assert_eq!(country_name("ZZ", Lang::Ja), "ZZ");
    }

    #[test]
    fn every_line_has_three_fields() {
        assert!(table().len() >= 249);
        assert!(table()
            .values()
            .all(|(en, ja)| !en.is_empty() && !ja.is_empty()));
    }
}
