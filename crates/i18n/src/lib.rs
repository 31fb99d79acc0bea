//! The message catalogue: every user-visible string in Russian (default), Kazakh and English,
//! from Fluent files under `locales/`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ru",
        // Isolation marks (U+2068/U+2069) around placeables would leak into JSON and HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    Kk,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Kk, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Kk => "kk",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Lang::Ru),
            "kk" | "kz" => Some(Lang::Kk),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, in the client's order.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut langs: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let tag = it.next()?;
                let q = it
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|v| v.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Lang::parse(tag).map(|l| (q, l))
            })
            .collect();
        langs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        langs.first().map(|(_, l)| *l)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Ru => fluent_templates::langid!("ru"),
            Lang::Kk => fluent_templates::langid!("kk"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }
}

/// The message `key` in `lang` with `args`; Russian when the language lacks it, the key itself
/// when no catalogue has it.
pub fn message(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.clone())))
        .collect();
    LOCALES
        .try_lookup_with_args(&lang.id(), key, &map)
        .unwrap_or_else(|| key.to_owned())
}

/// Whether `key` exists (in any catalogue, counting the Russian fallback).
pub fn has(lang: Lang, key: &str) -> bool {
    LOCALES.try_lookup(&lang.id(), key).is_some()
}

/// The message ids defined in one language's catalogue files (for completeness checks).
pub fn keys_of(lang: Lang) -> Vec<String> {
    let files: [&str; 2] = match lang {
        Lang::Ru => [
            include_str!("../locales/ru/main.ftl"),
            include_str!("../locales/ru/web.ftl"),
        ],
        Lang::Kk => [
            include_str!("../locales/kk/main.ftl"),
            include_str!("../locales/kk/web.ftl"),
        ],
        Lang::En => [
            include_str!("../locales/en/main.ftl"),
            include_str!("../locales/en/web.ftl"),
        ],
    };
    files
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_every_language() {
        let ru = keys_of(Lang::Ru);
        assert!(ru.len() > 50);
        for lang in [Lang::Kk, Lang::En] {
            let other = keys_of(lang);
            let missing: Vec<_> = ru.iter().filter(|k| !other.contains(k)).collect();
            let extra: Vec<_> = other.iter().filter(|k| !ru.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{lang:?}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn messages_render_with_arguments_and_without_isolation_marks() {
        let m = message(
            Lang::Ru,
            "rule-outside_working_hours",
            &[("times", "20.03.2026 19:00–20:00".into())],
        );
        assert_eq!(
            m,
            "Встреча выходит за рабочее время организации: 20.03.2026 19:00–20:00."
        );
        let k = message(
            Lang::Kk,
            "rule-commission_quorum",
            &[("required", "2".into()), ("actual", "1".into())],
        );
        assert!(k.contains("2 қажет"), "{k}");
        assert!(!m.contains('\u{2068}'));
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,ru;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de, kk;q=0.5"), Some(Lang::Kk));
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
