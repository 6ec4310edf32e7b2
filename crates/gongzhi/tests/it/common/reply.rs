//! Short JSON calls as one account: `s.post(&token, path, Some(&body)).await.want(201)`
//! reads as one line where `send_expect` takes eight.

use super::{Server, send};
use serde_json::Value;

/// What a call answered, and what was asked (for the message when it is not as wanted).
pub struct Reply {
    pub status: u16,
    pub body: Value,
    asked: String,
}

impl Reply {
    /// The status and the body, for a test that looks at both.
    pub fn parts(self) -> (u16, Value) {
        (self.status, self.body)
    }

    /// The body, after asserting that the status is `status`.
    pub fn want(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.asked, self.body);
        self.body
    }

    /// The id of what a POST created, after asserting the status 201.
    pub fn created(self) -> i64 {
        let v = self.want(201);
        v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
    }

    /// The body, after asserting the status and the house's error code
    /// (`{"error": {"code": …}}`) of a refusal.
    pub fn want_error(self, status: u16, code: &str) -> Value {
        let got = (self.status, self.body["error"]["code"].as_str());
        assert_eq!(got, (status, Some(code)), "{}: {}", self.asked, self.body);
        self.body
    }
}

impl Server {
    /// Sends one JSON request as the bearer of `token`.
    pub async fn call(&self, method: &str, token: &str, path: &str, body: Option<&Value>) -> Reply {
        let (status, answer) = send(self, method, Some(token), path, body).await;
        let asked = format!("{method} {path} {body:?}");
        Reply {
            status,
            body: answer,
            asked,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call("GET", token, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Option<&Value>) -> Reply {
        self.call("POST", token, path, body).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Option<&Value>) -> Reply {
        self.call("PUT", token, path, body).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Option<&Value>) -> Reply {
        self.call("PATCH", token, path, body).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Reply {
        self.call("DELETE", token, path, None).await
    }
}
