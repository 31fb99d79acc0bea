//! Events: every change is recorded, in the same transaction, as an immutable, canonically encoded
//! record. Canonical form: JSON with object keys sorted by code point, no insignificant whitespace,
//! `"v": 1` as the encoding version. The ledger seals these bytes.

use jiff::Timestamp;
use serde_json::{Map, Value};

use glassroom_store::{NewEvent, Tx};

use crate::AppError;
use crate::auth::Actor;

/// Serialises `v` canonically (sorted keys whatever the map implementation).
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(x) = map.get(k) {
                        write(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Appends one event (numbered at commit, see `Tx::append_event`).
pub async fn record(
    tx: &mut dyn Tx,
    at: Timestamp,
    kind: &str,
    subject: &str,
    actor: Option<&Actor>,
    data: Value,
) -> Result<(), AppError> {
    let actor_ref = actor.map(|a| format!("account:{}", a.login));
    let mut body = Map::new();
    body.insert("v".into(), Value::from(1));
    body.insert("at".into(), Value::String(at.to_string()));
    body.insert("kind".into(), Value::String(kind.into()));
    body.insert("subject".into(), Value::String(subject.into()));
    body.insert(
        "actor".into(),
        actor_ref.clone().map(Value::String).unwrap_or(Value::Null),
    );
    body.insert("data".into(), data);
    let event = NewEvent {
        at_us: crate::time::to_us(at),
        kind: kind.into(),
        subject: subject.into(),
        actor: actor_ref,
        body: canonical_json(&Value::Object(body)),
    };
    tx.append_event(&event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let v = json!({"b": 1, "a": {"z": [1, {"y": null, "x": "é"}], "c": true}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"z":[1,{"x":"é","y":null}]},"b":1}"#
        );
    }
}
