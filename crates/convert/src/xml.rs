//! A small pull parser over quick-xml for the well-formed XML of OOXML and EPUB packages:
//! local names only (namespace prefixes vary between producers), attributes by local name,
//! entity references resolved. Errors stop the walk with a readable detail.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

pub(crate) enum Ev {
    Start(Tag),
    End(String),
    Text(String),
}

pub(crate) struct Tag {
    pub name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// Attribute value by local name (`r:id` is found as "id"; exact qualified names win).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| self.attrs.iter().find(|(k, _)| local(k) == name))
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Walks `xml`, calling `f` for each event. Stops at the end or at the first syntax error.
pub(crate) fn walk(xml: &str, mut f: impl FnMut(Ev)) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => f(Ev::Start(tag(&e))),
            Event::Empty(e) => {
                let t = tag(&e);
                let name = t.name.clone();
                f(Ev::Start(t));
                f(Ev::End(name));
            }
            Event::End(e) => f(Ev::End(local(e.name().as_ref()).to_string())),
            Event::Text(t) => f(Ev::Text(t.xml10_content().into_owned())),
            Event::CData(t) => f(Ev::Text(t.xml10_content().into_owned())),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => crate::html_text::named_entity(r.xml10_content().as_ref())
                        .map(str::to_string),
                };
                if let Some(s) = resolved {
                    f(Ev::Text(s));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn tag(e: &BytesStart<'_>) -> Tag {
    let attrs = e
        .html_attributes()
        .filter_map(|a| a.ok())
        .map(|a| {
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.to_string());
            (key, value)
        })
        .collect();
    Tag {
        name: local(e.name().as_ref()).to_string(),
        attrs,
    }
}

/// Relationship id → target from a `.rels` part.
pub(crate) fn relationships(xml: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let _ = walk(xml, |ev| {
        if let Ev::Start(t) = ev
            && t.name == "Relationship"
            && let (Some(id), Some(target)) = (t.attr("Id"), t.attr("Target"))
        {
            let kind = t.attr("Type").unwrap_or("").to_string();
            out.push((id.to_string(), target.to_string(), kind));
        }
    });
    out
}
