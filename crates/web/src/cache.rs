//! A micro-cache for the public register's pages as anonymous visitors see them.
//!
//! An entry is served only while (a) no write has committed in this process since it was
//! rendered (the store's commit count) and (b) it is younger than [`FRESH`], which bounds how late
//! a change made by another process (a second server on the same PostgreSQL, `glassroom import`)
//! can show. Signed-in visitors are never served from it: their pages carry their own links and
//! CSRF token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

/// How long a page may be served without re-reading the store.
pub const FRESH: Duration = Duration::from_secs(1);
/// Distinct pages kept at most (language × path and query); all are dropped when it fills.
const MAX_ENTRIES: usize = 1024;

struct Entry {
    commits: u64,
    made: Instant,
    status: StatusCode,
    body: String,
}

#[derive(Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PageCache {
    /// The page under `key`, if still fresh for `commits`.
    pub fn get(&self, key: &str, commits: u64) -> Option<(StatusCode, String)> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        (e.commits == commits && e.made.elapsed() < FRESH).then(|| (e.status, e.body.clone()))
    }

    pub fn put(&self, key: String, commits: u64, status: StatusCode, body: String) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    commits,
                    made: Instant::now(),
                    status,
                    body,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_until_a_write_commits_or_it_ages() {
        let c = PageCache::default();
        c.put("ru|/".into(), 7, StatusCode::OK, "page".into());
        assert_eq!(c.get("ru|/", 7), Some((StatusCode::OK, "page".into())));
        assert_eq!(c.get("kk|/", 7), None, "another language is another page");
        assert_eq!(c.get("ru|/", 8), None, "a write since");
        if let Ok(mut e) = c.entries.lock()
            && let Some(x) = e.get_mut("ru|/")
            && let Some(old) = x.made.checked_sub(FRESH)
        {
            x.made = old;
        }
        assert_eq!(c.get("ru|/", 7), None, "too old");
    }
}
