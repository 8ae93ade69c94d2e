//! URL slugs: lowercase ASCII words joined by single hyphens, with Russian transliterated so
//! Russian URLs stay readable and copy-pasteable.

/// Longest slug produced, in bytes; long headlines are cut at a word boundary.
pub const MAX_SLUG_LEN: usize = 80;

fn transliterate(c: char) -> Option<&'static str> {
    // A hand-written table: the transliteration crates on crates.io either pull in large
    // all-script tables or follow passport rules that produce unreadable slugs.
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'і' => "i",
        'ў' => "u",
        'є' => "ye",
        'ї' => "yi",
        'ґ' => "g",
        _ => return None,
    })
}

/// Turns a headline into a slug. The result contains only `a-z`, `0-9` and single inner
/// hyphens, and is at most [`MAX_SLUG_LEN`] bytes. Returns an empty string when the text has
/// no letters or digits at all; callers supply a fallback.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SLUG_LEN));
    let mut pending_dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        // Apostrophes join a word ("creditors' blessing", "neighbour's") rather than split it.
        if matches!(c, '\'' | '’' | 'ʼ') {
            continue;
        }
        let piece: Option<String> = if c.is_ascii_alphanumeric() {
            Some(c.to_string())
        } else {
            transliterate(c).map(str::to_string)
        };
        match piece {
            Some(p) if !p.is_empty() => {
                if pending_dash && !out.is_empty() {
                    out.push('-');
                }
                pending_dash = false;
                out.push_str(&p);
            }
            Some(_) => {}
            None => pending_dash = true,
        }
    }
    if out.len() > MAX_SLUG_LEN {
        let cut = out[..MAX_SLUG_LEN].rfind('-').unwrap_or(MAX_SLUG_LEN);
        out.truncate(cut);
    }
    out
}

/// Whether `s` is a well-formed slug (what [`slugify`] produces).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SLUG_LEN + 12
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(
            slugify("Security: Minsk aims to steer clear of new commitments to Moscow"),
            "security-minsk-aims-to-steer-clear-of-new-commitments-to-moscow"
        );
        assert_eq!(
            slugify("Минск стремится избежать"),
            "minsk-stremitsya-izbezhat"
        );
        assert_eq!(slugify("  --Hello,   World!-- "), "hello-world");
        assert_eq!(slugify("???"), "");
    }

    proptest! {
        #[test]
        fn slugs_are_well_formed(s in "\\PC{0,200}") {
            let slug = slugify(&s);
            prop_assert!(slug.is_empty() || is_slug(&slug), "bad slug {:?}", slug);
            prop_assert!(slug.len() <= MAX_SLUG_LEN);
        }

        #[test]
        fn slugify_is_idempotent(s in "\\PC{0,200}") {
            let once = slugify(&s);
            prop_assert_eq!(slugify(&once), once.clone());
        }

        #[test]
        fn words_survive(words in proptest::collection::vec("[a-z0-9]{1,8}", 1..6)) {
            let text = words.join(" , ");
            prop_assert_eq!(slugify(&text), words.join("-"));
        }
    }
}
