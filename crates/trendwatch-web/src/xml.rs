//! A small layer over quick-xml's writer for the XML the site writes (feeds, sitemaps):
//! quick-xml escapes every text and attribute, and writing to a `Vec` cannot fail, so the
//! results are dropped here once instead of at every element.

use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// An XML document being written, with its declaration, indented by one space.
pub(crate) struct Xml(Writer<Vec<u8>>);

impl Xml {
    /// A new document.
    pub(crate) fn new() -> Xml {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        Xml(w)
    }

    fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut e = BytesStart::new(name);
        for (k, v) in attrs {
            e.push_attribute((*k, *v));
        }
        e
    }

    /// Opens element `name`.
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(Event::Start(Self::element(name, attrs)));
    }

    /// Closes element `name`.
    pub(crate) fn close(&mut self, name: &str) {
        let _ = self.0.write_event(Event::End(BytesEnd::new(name)));
    }

    /// An empty element.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(Event::Empty(Self::element(name, attrs)));
    }

    /// An element holding `text`.
    pub(crate) fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        let _ = self.0.write_event(Event::Text(BytesText::new(text)));
        self.close(name);
    }

    /// An element holding HTML as CDATA (readers take it as it is; a `]]>` inside is split
    /// across two sections).
    pub(crate) fn cdata(&mut self, name: &str, html: &str) {
        self.open(name, &[]);
        let mut parts = html.split("]]>").peekable();
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            let chunk = if last {
                part.to_string()
            } else {
                format!("{part}]]")
            };
            let _ = self.0.write_event(Event::CData(BytesCData::new(chunk)));
            if !last {
                let _ = self.0.write_event(Event::Text(BytesText::new(">")));
            }
        }
        self.close(name);
    }

    /// The document, ending with a newline.
    pub(crate) fn finish(self) -> String {
        let mut s = String::from_utf8(self.0.into_inner()).unwrap_or_default();
        s.push('\n');
        s
    }
}
