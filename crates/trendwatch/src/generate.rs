//! `trendwatch generate`: a synthetic archive of any size, as a Markdown folder with YAML front
//! matter laid out as Hugo does (`content/<topic>/<file>.md`), for benchmarks and load tests.
//! The text is assembled from a fixed vocabulary about the fictional Republic of Arvenia and an
//! invented lexicon of 8,000 words drawn by Zipf's law (so that, as in a real archive, a few
//! words are everywhere and most are rare), so it is deterministic for a given size and
//! misrepresents nothing real.

use std::fmt::Write as _;
use std::path::Path;
use time::Time;
use trendwatch_core::Period;

const TOPICS: [&str; 5] = ["ruling-elite", "society", "security", "west", "east"];
const STATUSES: [&str; 4] = ["improved", "unchanged", "worsened", "not_rated"];
const ACTORS: &[&str] = &[
    "President Varen",
    "the Assembly",
    "the Civic Forum",
    "the Security Council",
    "Prime Minister Dal",
    "the Lorsk city council",
    "the trade unions",
    "the Western Alliance",
    "the Eastern Union",
    "the Ministry of Defence",
    "the Central Bank",
    "the Electoral Commission",
    "regional governors",
    "the Farmers' League",
    "independent media",
    "the Supreme Court",
];
const VERBS: &[&str] = &[
    "signalled",
    "postponed",
    "announced",
    "rejected",
    "accelerated",
    "softened",
    "questioned",
    "expanded",
    "froze",
    "renewed",
    "criticised",
    "welcomed",
    "delayed",
    "reviewed",
];
const OBJECTS: &[&str] = &[
    "the border agreement",
    "the energy tariff reform",
    "the media law",
    "joint military drills",
    "the customs union talks",
    "the pension reform",
    "the local election timetable",
    "the visa facilitation deal",
    "the privatisation programme",
    "the grain export quota",
    "the anti-corruption package",
    "the air defence upgrade",
    "the transit corridor",
    "the loan negotiations",
    "the opposition's registration",
    "the cabinet reshuffle",
];
const CLOSERS: &[&str] = &[
    "The trend is likely to persist in the coming weeks.",
    "Analysts expect a reaction before the end of the month.",
    "This continues a pattern visible since the spring.",
    "The move is mostly symbolic but widens the room for manoeuvre.",
    "Much depends on the budget debate in the Assembly.",
];
const RU_WORDS: &[&str] = &[
    "президент",
    "парламент",
    "правительство",
    "оппозиция",
    "граница",
    "реформа",
    "выборы",
    "соглашение",
    "учения",
    "тарифы",
    "кредит",
    "переговоры",
    "союз",
    "экономика",
    "безопасность",
];

/// A small deterministic generator (xorshift64*), enough for synthetic text and free of a
/// dependency whose stream might change between versions.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next number of the stream.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Syllables of the invented lexicon: 20³ = 8,000 words such as "vosbelra".
const SYLLABLES: [&str; 20] = [
    "ar", "ven", "tal", "mor", "ki", "sa", "dor", "len", "pri", "vos", "ta", "ne", "bel", "ru",
    "ga", "lin", "so", "mek", "zar", "pol",
];
/// Words in the invented lexicon.
const LEXICON: usize = 8000;
/// Templates that place lexicon words in a sentence.
const FRAMES: &[&str] = &[
    "The dispute over the {} {} in {} continued.",
    "Officials in {} tied the {} issue to {} funding.",
    "Local reports from {} described {} protests and {} arrests.",
    "The {} committee heard evidence on {} and {}.",
    "Observers linked the {} decision to pressure from {} and {}.",
];

/// The `r`-th word of the invented lexicon (place names, programmes, institutions): a real
/// archive has tens of thousands of distinct words, most of them rare, and without them every
/// word of a synthetic archive would be in most articles, which no real archive looks like.
fn lexicon_word(r: usize) -> String {
    let r = r % LEXICON;
    [r / 400, (r / 20) % 20, r % 20]
        .iter()
        .map(|&i| SYLLABLES[i])
        .collect()
}

impl Rng {
    /// A rank drawn from Zipf's law (exponent 1) over the lexicon, as word frequencies in
    /// text follow it: rank 1 is common, rank 8,000 rare.
    fn zipf(&mut self) -> usize {
        // Inverse of the continuous approximation: rank ≈ N^u for uniform u.
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((LEXICON as f64).powf(u) as usize).saturating_sub(1)
    }
}

fn sentence(rng: &mut Rng) -> String {
    if rng.next().is_multiple_of(3) {
        let frame = rng.pick(FRAMES);
        let mut out = String::with_capacity(frame.len() + 32);
        let mut parts = frame.split("{}");
        if let Some(first) = parts.next() {
            out.push_str(first);
        }
        for part in parts {
            let r = rng.zipf();
            out.push_str(&capitalise(&lexicon_word(r)));
            out.push_str(part);
        }
        return out;
    }
    format!(
        "{} {} {}.",
        capitalise(rng.pick(ACTORS)),
        rng.pick(VERBS),
        rng.pick(OBJECTS)
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// An English headline and body (four paragraphs) in the generator's style, for the article
/// numbered `seed`: used by the publishing benchmark to add articles to a generated archive.
pub fn english_article(seed: u64) -> (String, String) {
    english_text(&mut Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1))
}

fn english_text(rng: &mut Rng) -> (String, String) {
    let title = format!(
        "{} {} {} in {}",
        capitalise(rng.pick(ACTORS)),
        rng.pick(VERBS),
        rng.pick(OBJECTS),
        capitalise(&lexicon_word(rng.zipf()))
    );
    let mut body = String::new();
    for _ in 0..4 {
        for _ in 0..4 {
            body.push_str(&sentence(rng));
            body.push(' ');
        }
        body.push_str(rng.pick(CLOSERS));
        body.push_str("\n\n");
    }
    (title, body)
}

/// Writes `n` articles under `out/content/`, returning how many files were written.
/// Every tenth article is the Russian translation of an English one; the rest are English.
/// Topics rotate, so each topic gets one commentary per week going back from 2026-W47.
pub fn generate(n: usize, out: &Path) -> anyhow::Result<usize> {
    let latest: Period = "2026-W47".parse()?;
    for t in TOPICS {
        std::fs::create_dir_all(out.join("content").join(t))?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut written = 0;
    let mut period_of: Vec<Period> = Vec::with_capacity(n);
    let mut period = latest;
    for i in 0..n {
        if i > 0 && i % TOPICS.len() == 0 {
            period = period.prev();
        }
        period_of.push(period);
        let topic = TOPICS[i % TOPICS.len()];
        let translation_of = (i % 10 == 9).then(|| i - 5);
        let (lang, group, p) = match translation_of {
            Some(j) => ("ru", format!("g{j}"), period_of[j]),
            None => ("en", format!("g{i}"), period),
        };
        let published =
            p.next()
                .monday()
                .with_time(Time::from_hms(10, (i % TOPICS.len()) as u8 * 7, 0)?);
        let status = STATUSES[(rng.next() % 4) as usize];
        let alert = match rng.next() % 10 {
            0 => "risk",
            1 => "opportunity",
            _ => "none",
        };
        let (title, body) = if lang == "en" {
            english_text(&mut rng)
        } else {
            let words = |k: usize, rng: &mut Rng| {
                (0..k)
                    .map(|_| rng.pick(RU_WORDS))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let title = capitalise(&words(6, &mut rng));
            let mut body = String::new();
            for _ in 0..4 {
                for _ in 0..4 {
                    body.push_str(&capitalise(&words(10, &mut rng)));
                    body.push_str(". ");
                }
                body.push_str("\n\n");
            }
            (title, body)
        };
        let mut text = String::with_capacity(body.len() + 400);
        writeln!(text, "---")?;
        writeln!(text, "id: synthetic-{i}")?;
        writeln!(text, "title: \"{}\"", title.replace('"', "'"))?;
        // RFC 3339 local time, which Hugo reads too: the same folder is the anchor's input.
        writeln!(
            text,
            "date: {}T{:02}:{:02}:00",
            published.date(),
            published.hour(),
            published.minute()
        )?;
        // Synthetic headlines repeat; the index keeps every slug unique.
        writeln!(text, "slug: {}-{i}", trendwatch_core::slug::slugify(&title))?;
        writeln!(text, "period: {p}")?;
        writeln!(text, "lang: {lang}")?;
        writeln!(text, "status: {status}")?;
        writeln!(text, "alert: {alert}")?;
        writeln!(text, "translation_group: {group}")?;
        writeln!(text, "authors: [\"Synthetic Analyst {}\"]", i % 7)?;
        writeln!(
            text,
            "tags: [\"{}\", \"synthetic\"]",
            rng.pick(OBJECTS).trim_start_matches("the ")
        )?;
        writeln!(text, "---")?;
        text.push_str(&body);
        let file = out
            .join("content")
            .join(topic)
            .join(format!("{}-{lang}-{i}.md", p.url_slug()));
        std::fs::write(file, text)?;
        written += 1;
    }
    Ok(written)
}
