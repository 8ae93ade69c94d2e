//! The tantivy tokenizer of Trendwatch: a thin adapter over [`trendwatch_core::text::analyze`],
//! so that the index, the query parser and the similar-articles engine agree on every word
//! (stems, stop words, ё folding) and highlighted snippets point at the original words.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use trendwatch_core::text;

/// Name under which the analyser is registered in an index.
pub const ANALYZER: &str = "trendwatch";

/// Name of the word-pair analyser (see [`TrendwatchTokenizer::pairs`]).
pub const PAIRS_ANALYZER: &str = "trendwatch_pairs";

/// Tokenizer that runs the core text analysis.
#[derive(Clone, Default)]
pub struct TrendwatchTokenizer {
    tokens: Vec<Token>,
    pairs: bool,
}

impl TrendwatchTokenizer {
    /// A tokenizer of word pairs: each two consecutive terms (stop words skipped) as one
    /// token "a b", numbered one after the other. A two-word phrase is then one posting list
    /// instead of two to intersect and verify by position, which made phrases the slowest
    /// queries (Elasticsearch's `index_phrases` does the same).
    pub fn pairs() -> Self {
        TrendwatchTokenizer {
            tokens: Vec::new(),
            pairs: true,
        }
    }
}

/// `terms` as consecutive pairs "a b", numbered from 0.
pub fn pair_terms<'a>(terms: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let terms: Vec<&str> = terms.into_iter().collect();
    terms
        .windows(2)
        .map(|w| format!("{} {}", w[0], w[1]))
        .collect()
}

/// The tokens of one text, analysed up front (texts are articles or queries, both small).
pub struct AnalysedStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for TrendwatchTokenizer {
    type TokenStream<'a> = AnalysedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalysedStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        let pairs = self.pairs;
        let mut previous: Option<(String, usize)> = None;
        text::analyze(text, |t| {
            if !pairs {
                tokens.push(Token {
                    offset_from: t.from,
                    offset_to: t.to,
                    position: t.position as usize,
                    text: t.term.to_string(),
                    position_length: 1,
                });
                return;
            }
            if let Some((term, from)) = previous.take() {
                tokens.push(Token {
                    offset_from: from,
                    offset_to: t.to,
                    position: tokens.len(),
                    text: format!("{term} {}", t.term),
                    position_length: 1,
                });
            }
            previous = Some((t.term.to_string(), t.from));
        });
        AnalysedStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for AnalysedStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// On any text, word pairs cover the original words from the first's start to the
        /// second's end, are numbered 0, 1, 2…, and are the words' own terms joined.
        #[test]
        fn pairs_slice_the_text_and_follow_the_words(s in "[a-zA-Zа-яА-ЯёЁ0-9 ,.'\\-]{0,80}") {
            let words = tokens(&mut TrendwatchTokenizer::default(), &s);
            let pairs = tokens(&mut TrendwatchTokenizer::pairs(), &s);
            prop_assert_eq!(pairs.len(), words.len().saturating_sub(1));
            for (k, (text, covered, position)) in pairs.iter().enumerate() {
                prop_assert_eq!(*position, k);
                prop_assert_eq!(text, &format!("{} {}", words[k].0, words[k + 1].0));
                prop_assert!(covered.starts_with(words[k].1) && covered.ends_with(words[k + 1].1));
            }
        }
    }

    /// Each token's text, the original words it covers and its position.
    fn tokens<'a>(t: &mut TrendwatchTokenizer, text: &'a str) -> Vec<(String, &'a str, usize)> {
        let mut s = t.token_stream(text);
        let mut got = Vec::new();
        while s.advance() {
            let tok = s.token();
            got.push((
                tok.text.clone(),
                &text[tok.offset_from..tok.offset_to],
                tok.position,
            ));
        }
        got
    }

    #[test]
    fn pairs_are_consecutive_terms_numbered_in_order() {
        let mut t = TrendwatchTokenizer::pairs();
        let text = "The Bank of Arvenia raised rates";
        let got = tokens(&mut t, text);
        assert_eq!(
            got,
            vec![
                ("bank arvenia".to_string(), "Bank of Arvenia", 0),
                ("arvenia rais".to_string(), "Arvenia raised", 1),
                ("rais rate".to_string(), "raised rates", 2),
            ]
        );
        assert_eq!(pair_terms(["a", "b", "c"]), vec!["a b", "b c"]);
        assert!(pair_terms(["a"]).is_empty());
    }

    #[test]
    fn yields_the_core_terms_with_offsets() {
        let mut t = TrendwatchTokenizer::default();
        let text = "Протесты в Арвении";
        let got = tokens(&mut t, text);
        assert_eq!(
            got,
            vec![
                ("протест".to_string(), "Протесты", 0),
                ("арвен".to_string(), "Арвении", 2)
            ]
        );
    }
}
