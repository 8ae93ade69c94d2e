//! The tantivy tokenizer of Trendwatch: a thin adapter over [`trendwatch_core::text::analyze`],
//! so that the index, the query parser and the similar-articles engine agree on every word
//! (stems, stop words, ё folding) and highlighted snippets point at the original words.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use trendwatch_core::text;

/// Name under which the analyser is registered in an index.
pub const ANALYZER: &str = "trendwatch";

/// Tokenizer that runs the core text analysis.
#[derive(Clone, Default)]
pub struct TrendwatchTokenizer {
    tokens: Vec<Token>,
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
        text::analyze(text, |t| {
            tokens.push(Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position as usize,
                text: t.term.to_string(),
                position_length: 1,
            })
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

    #[test]
    fn yields_the_core_terms_with_offsets() {
        let mut t = TrendwatchTokenizer::default();
        let text = "Протесты в Арвении";
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
        assert_eq!(
            got,
            vec![
                ("протест".to_string(), "Протесты", 0),
                ("арвен".to_string(), "Арвении", 2)
            ]
        );
    }
}
