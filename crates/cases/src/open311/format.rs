//! One response tree, written as JSON or as XML: GeoReport v2 requires XML and allows
//! JSON, with the same element names in both.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Splits `name.json` / `name.xml` into the name and its format.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(n) = file.strip_suffix(".json") {
            Some((n, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|n| (n, Format::Xml))
        }
    }
}

#[derive(Clone, Debug)]
pub enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Obj(Vec<(&'static str, Node)>),
    /// A list, and the element name each item takes in XML.
    List(&'static str, Vec<Node>),
}

pub fn s(v: impl Into<String>) -> Node {
    Node::Str(v.into())
}

impl Node {
    pub fn to_json(&self) -> Value {
        match self {
            Node::Str(s) => Value::String(s.clone()),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
            Node::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    fn write_xml(&self, name: &str, out: &mut String) {
        match self {
            Node::Null => {
                out.push_str(&format!("<{name}/>"));
            }
            Node::Obj(fields) => {
                out.push_str(&format!("<{name}>"));
                for (k, v) in fields {
                    v.write_xml(k, out);
                }
                out.push_str(&format!("</{name}>"));
            }
            Node::List(item, items) => {
                out.push_str(&format!("<{name}>"));
                for i in items {
                    i.write_xml(item, out);
                }
                out.push_str(&format!("</{name}>"));
            }
            scalar => {
                let text = match scalar {
                    Node::Str(s) => escape(s),
                    Node::Int(i) => i.to_string(),
                    Node::Float(f) => f.to_string(),
                    Node::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                out.push_str(&format!("<{name}>{text}</{name}>"));
            }
        }
    }

    pub fn to_xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write_xml(root, &mut out);
        out
    }

    /// The response in the asked format, with `root` as the XML document element.
    pub fn respond(&self, status: StatusCode, format: Format, root: &str) -> Response {
        match format {
            Format::Json => (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                self.to_json().to_string(),
            )
                .into_response(),
            Format::Xml => (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                self.to_xml(root),
            )
                .into_response(),
        }
    }
}

/// XML text: the five special characters escaped, characters XML forbids dropped.
pub fn escape(s: &str) -> String {
    platform::web::feed::xml_text(s)
}

/// The spec's error document: a list of `{code, description}`.
pub fn error(status: StatusCode, format: Format, description: &str) -> Response {
    Node::List(
        "error",
        vec![Node::Obj(vec![
            ("code", Node::Int(status.as_u16() as i64)),
            ("description", s(description)),
        ])],
    )
    .respond(status, format, "errors")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_nests() {
        let n = Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", s("7")),
                ("description", s("<b>a & b</b>\u{1}")),
                ("lat", Node::Null),
            ])],
        );
        assert_eq!(
            n.to_xml("service_requests"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_requests><request>\
             <service_request_id>7</service_request_id><description>&lt;b&gt;a &amp; b&lt;/b&gt;</description>\
             <lat/></request></service_requests>"
        );
        assert_eq!(
            n.to_json().to_string(),
            r#"[{"description":"<b>a & b</b>\u0001","lat":null,"service_request_id":"7"}]"#
        );
    }

    #[test]
    fn formats_split() {
        assert_eq!(
            Format::split("services.json"),
            Some(("services", Format::Json))
        );
        assert_eq!(Format::split("req.xml"), Some(("req", Format::Xml)));
        assert_eq!(Format::split("req.html"), None);
    }
}
