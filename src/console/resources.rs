//! Ready-made resources a coordinator inserts into a reply with a key press and edits before
//! sending: emergency and help numbers, anonymous tip lines, shelters, legal aid. They come
//! from `config/resources.toml`, one `[[resource]]` per entry, each for a region and a
//! language.
//!
//! It must never send anything by itself: a resource only ever becomes draft text.

use std::path::Path;

use serde::Deserialize;

/// Why the resources file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// Unreadable, not TOML, or an entry is incomplete.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// One entry of `config/resources.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Where it applies (`any`, `EU`, `US`, `FR`…): shown, not interpreted.
    pub region: String,
    /// Language of the text (`en`, `fr`…), matched against the conversation's language.
    pub lang: String,
    /// `emergency`, `helpline`, `tip-line`, `shelter`, `legal`…
    pub category: String,
    /// Short label in the picker.
    pub title: String,
    /// What is inserted into the draft.
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    resource: Vec<Resource>,
}

/// The resources a shift offers, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// Every entry of the file.
    pub items: Vec<Resource>,
}

impl Resources {
    /// Reads the TOML text of a resources file; every entry needs a title and a text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, r) in file.resource.iter().enumerate() {
            if r.text.trim().is_empty() || r.title.trim().is_empty() {
                return Err(format!(
                    "resource {}: title and text must not be empty",
                    i + 1
                ));
            }
        }
        Ok(Self {
            items: file.resource,
        })
    }

    /// Reads and parses a resources file.
    pub fn load(path: &Path) -> Result<Self, ResourceError> {
        let error = |reason: String| ResourceError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Self::parse(&text).map_err(error)
    }

    /// The resources to offer in a conversation in `lang`: that language first (a primary
    /// subtag match: `fr` matches `fr-CA`), then every other, each group in file order.
    pub fn for_lang(&self, lang: Option<&str>) -> Vec<&Resource> {
        let primary = |tag: &str| {
            tag.split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        let wanted = lang.map(primary);
        let matches = |r: &Resource| wanted.as_deref() == Some(primary(&r.lang).as_str());
        let mut out: Vec<&Resource> = self.items.iter().filter(|r| matches(r)).collect();
        out.extend(self.items.iter().filter(|r| !matches(r)));
        out
    }
}

/// The placeholders left in `text`, as byte ranges: the resources file's `<Local shelter
/// name>` syntax, a `<`, then text that starts with a letter or digit and holds no `<`, `>`
/// or line break, then `>`. A draft holding one is not ready to send; "<3" or "a < b" are
/// not placeholders.
pub fn placeholders(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('<').map(|i| rest + i) {
        let inner = &text[open + 1..];
        let close = inner.find(['<', '>', '\n']);
        let starts_well = inner.chars().next().is_some_and(char::is_alphanumeric);
        match close {
            Some(len) if starts_well && inner[len..].starts_with('>') => {
                found.push(open..open + 1 + len + 1);
                rest = open + 1 + len + 1;
            }
            _ => rest = open + 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_as_the_resources_file_writes_them() {
        let text = "<Local shelter name> can take you in. Call <number>.";
        let found: Vec<&str> = placeholders(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["<Local shelter name>", "<number>"]);
        let french = "près de chez vous : <adresse ou numéro>.";
        let found: Vec<&str> = placeholders(french)
            .into_iter()
            .map(|r| &french[r])
            .collect();
        assert_eq!(
            found,
            ["<adresse ou numéro>"],
            "byte ranges of whole characters"
        );
        for fine in ["<3", "a < b > c", "<>", "x <\n> y", "<<", "Call 115."] {
            assert!(placeholders(fine).is_empty(), "{fine:?}");
        }
        let nested = "<<number>";
        let found: Vec<&str> = placeholders(nested)
            .into_iter()
            .map(|r| &nested[r])
            .collect();
        assert_eq!(found, ["<number>"]);
    }

    #[test]
    fn the_shipped_file_parses_and_covers_the_categories() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/resources.toml");
        let resources = Resources::load(&path).unwrap();
        for category in ["emergency", "helpline", "tip-line", "shelter", "legal"] {
            assert!(
                resources.items.iter().any(|r| r.category == category),
                "no {category} resource"
            );
        }
        assert!(resources.items.iter().any(|r| r.text.contains("211")));
        assert!(resources.items.iter().any(|r| r.lang == "fr"));
    }

    #[test]
    fn the_conversation_language_comes_first() {
        let resources = Resources::parse(
            r#"
            [[resource]]
            region = "any"
            lang = "en"
            category = "emergency"
            title = "Emergency"
            text = "Call 112"
            [[resource]]
            region = "FR"
            lang = "fr"
            category = "emergency"
            title = "Urgence"
            text = "Appelez le 112"
            "#,
        )
        .unwrap();
        let fr: Vec<_> = resources
            .for_lang(Some("fr-CA"))
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(fr, ["Urgence", "Emergency"]);
        let none: Vec<_> = resources
            .for_lang(None)
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(none, ["Emergency", "Urgence"]);
    }

    #[test]
    fn unknown_keys_and_empty_text_are_errors() {
        assert!(Resources::parse("[[resource]]\nregion='x'\nlang='en'\ncategory='c'\ntitle='t'\ntext='x'\nphone='1'\n").is_err());
        assert!(
            Resources::parse(
                "[[resource]]\nregion='x'\nlang='en'\ncategory='c'\ntitle='t'\ntext=' '\n"
            )
            .is_err()
        );
        assert_eq!(Resources::parse("").unwrap().items.len(), 0);
    }
}
