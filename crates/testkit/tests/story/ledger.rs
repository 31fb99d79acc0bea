//! The transparency log through its real interfaces: C2SP endpoints, proofs, receipts,
//! cosignatures, and Go's reference implementation (x/mod sumdb/note + tlog) as an outside check.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use glassroom_ledger::note::{Note, Signer, Verifier};
use glassroom_ledger::proof::{verify_consistency, verify_inclusion};
use glassroom_ledger::receipt::Receipt;
use glassroom_ledger::tiles::{TileId, TileKind, split_bundle};
use glassroom_ledger::{Checkpoint, Hash, leaf, leaf_hash};
use glassroom_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{each_backend, request};

fn hash_of(v: &Value) -> Hash {
    B64.decode(v.as_str().expect("base64 string"))
        .expect("base64")
        .try_into()
        .expect("32 bytes")
}

async fn checkpoint(app: &TestApp) -> (String, Checkpoint, Verifier) {
    let (st, vk) = app.get_raw("/log/vkey").await;
    assert_eq!(st, StatusCode::OK);
    let v = Verifier::parse(
        String::from_utf8(vk)
            .expect("utf8")
            .lines()
            .next()
            .expect("a key"),
    )
    .expect("vkey");
    let (st, text) = app.get_raw("/log/checkpoint").await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(text).expect("utf8");
    let note = Note::parse(&text).expect("a signed note");
    note.require(&v).expect("signed by the log key");
    let cp = Checkpoint::parse_body(&note.body).expect("a C2SP checkpoint");
    assert_eq!(cp.origin, "test.glassroom.kz/ledger");
    (text, cp, v)
}

/// Every published entry, read back through `/log/tile/entries/…`.
async fn all_entries(app: &TestApp, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for t in 0..size.div_ceil(256) {
        let id = TileId {
            kind: TileKind::Entries,
            index: t,
            width: (size - t * 256).min(256),
        };
        let (st, bytes) = app.get_raw(&format!("/log/{}", id.path())).await;
        assert_eq!(st, StatusCode::OK, "{}", id.path());
        out.extend(
            split_bundle(&bytes)
                .expect("bundle")
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    out
}

#[tokio::test]
async fn every_event_is_sealed_proved_and_checked_by_outside_code() {
    each_backend(|app| async move {
        let id = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let n1 = app.sealed().await;
        let (old_text, old, log) = checkpoint(&app).await;
        assert!(old.size >= n1);

        // Private data never enters a leaf in clear: the representative is a keyed hash.
        let entries = all_entries(&app, old.size).await;
        assert_eq!(entries.len() as u64, old.size);
        let all = entries
            .iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !all.contains("000740001307") && !all.contains("701 000"),
            "private data in a leaf"
        );
        assert!(
            all.contains("\"representatives_sealed\":[\"hmac-sha256:"),
            "the representative is sealed as a keyed hash"
        );

        // More events: the meeting is cancelled.
        let t = app.token("nurservice").await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/cancel"),
                Some(&t),
                &json!({"reason": "Вопрос решён письмом"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        app.sealed().await;
        let (_, cp, _) = checkpoint(&app).await;
        assert!(cp.size > old.size);

        // The meeting's page links each event to its proof and the checkpoint.
        let page = app.get(&format!("/api/v1/meetings/{id}"), Some(&t)).await;
        let first = &page.body["events"][0];
        assert_eq!(
            first["ledger"]["checkpoint"], "/log/checkpoint",
            "{}",
            page.body
        );
        assert!(
            first["ledger"]["inclusion_proof"]
                .as_str()
                .is_some_and(|l| l.starts_with("/api/v1/log/proof/inclusion?index="))
        );

        // Each of the meeting's events links to an inclusion proof that holds against the checkpoint.
        let events = app
            .get(&format!("/api/v1/meetings/{id}/events"), Some(&t))
            .await;
        assert_eq!(events.status, StatusCode::OK, "{}", events.body);
        let stored = {
            let mut tx = app.app.store.read().await.expect("read");
            tx.events_of(&format!("meeting:{id}"))
                .await
                .expect("events")
        };
        assert_eq!(events.body.as_array().expect("list").len(), stored.len());
        for (ev, row) in events.body.as_array().expect("list").iter().zip(&stored) {
            let link = ev["ledger"]["inclusion_proof"]
                .as_str()
                .expect("proof link");
            let p = app.get(&format!("{link}&size={}", cp.size), None).await;
            assert_eq!(p.status, StatusCode::OK, "{}", p.body);
            let hashes: Vec<Hash> = p.body["hashes"]
                .as_array()
                .expect("hashes")
                .iter()
                .map(hash_of)
                .collect();
            let entry = leaf::encode(row.seq as u64, row.body.as_bytes()).expect("leaf");
            assert_eq!(
                entries
                    .get(row.seq as usize - 1)
                    .map(|e| e.as_slice())
                    .unwrap_or(&entry[..]),
                &entry[..]
            );
            let index = ev["ledger"]["index"].as_u64().expect("index");
            assert!(
                verify_inclusion(index, cp.size, &leaf_hash(&entry), &hashes, &cp.root),
                "event {}",
                row.seq
            );
            assert_eq!(hash_of(&p.body["root"]), cp.root);
        }

        // Consistency from the earlier checkpoint.
        let c = app
            .get(
                &format!(
                    "/api/v1/log/proof/consistency?from={}&to={}",
                    old.size, cp.size
                ),
                None,
            )
            .await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.body);
        let proof: Vec<Hash> = c.body["hashes"]
            .as_array()
            .expect("hashes")
            .iter()
            .map(hash_of)
            .collect();
        assert!(verify_consistency(
            old.size, cp.size, &old.root, &cp.root, &proof
        ));
        assert!(!verify_consistency(
            old.size, cp.size, &cp.root, &cp.root, &proof
        ));

        // An offline receipt stands alone.
        let seq = stored.last().expect("an event").seq;
        let (st, text) = app.get_raw(&format!("/api/v1/log/receipt/{seq}")).await;
        assert_eq!(st, StatusCode::OK);
        let receipt =
            Receipt::parse(&String::from_utf8(text).expect("utf8")).expect("tlog-proof@v1");
        let entry = receipt
            .extra
            .clone()
            .expect("the leaf travels with the receipt");
        assert_eq!(leaf::decode(&entry).expect("leaf").seq, seq as u64);
        receipt
            .verify(&log, &entry)
            .expect("the receipt verifies offline");
        let mut forged = entry.clone();
        let last = forged.len() - 2;
        forged[last] ^= 1;
        assert!(receipt.verify(&log, &forged).is_err());

        // Witnesses: a known witness's cosignature is accepted and published; others are refused.
        let (text, cp, _) = checkpoint(&app).await;
        let note = Note::parse(&text).expect("note");
        let cosigned = format!(
            "{}\n{}",
            note.body,
            app.witness.cosign_line(&note.body, 1_790_000_000)
        );
        let r = app
            .client
            .post(format!("{}/api/v1/log/cosignatures", app.base))
            .body(cosigned)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(
            r.json::<Value>().await.expect("json")["accepted"],
            json!(["witness.test/w1"])
        );
        let (_, text2) = app.get_raw("/log/checkpoint").await;
        let note2 = Note::parse(&String::from_utf8(text2).expect("utf8")).expect("note");
        // Nothing was written since: the published checkpoint is the one cosigned.
        assert_eq!(
            Checkpoint::parse_body(&note2.body).expect("cp").size,
            cp.size
        );
        assert_eq!(
            note2.verified_by(&app.witness.verifier()),
            Some(1_790_000_000)
        );
        // An auditor requiring that witness (1 of 1) accepts the published log; requiring a
        // witness that never cosigned fails.
        use glassroom_app::ledger::audit::{DirSource, Policy, audit};
        let src = std::sync::Arc::new(DirSource(app.ledger_data.join("log")));
        let policy = Policy {
            witnesses: vec![app.witness.verifier()],
            required: 1,
            remembered: Some(old.clone()),
        };
        let report = audit(src.clone(), &log, &policy, Some(app.app.store.clone()))
            .await
            .expect("the audit passes");
        assert_eq!(report.witnesses, ["witness.test/w1"]);
        assert_eq!(report.events_checked, cp.size);
        let absent = Signer::generate_witness("absent.example/w")
            .expect("key")
            .verifier();
        let policy = Policy {
            witnesses: vec![app.witness.verifier(), absent],
            required: 2,
            remembered: None,
        };
        let err = audit(src, &log, &policy, None)
            .await
            .expect_err("2 of 2 witnesses are required");
        assert!(
            err.message.contains("cosigned by 1 of the required 2"),
            "{}",
            err.message
        );
        let stranger = Signer::generate_witness("stranger.example/w").expect("key");
        let bad = format!("{}\n{}", note.body, stranger.cosign_line(&note.body, 1));
        let r = app
            .client
            .post(format!("{}/api/v1/log/cosignatures", app.base))
            .header("accept-language", "ru")
            .body(bad)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["errors"][0]["code"], "invalid_cosignature", "{body}");
        let forged_body = note.body.replace(&cp.root_b64(), &B64.encode([0u8; 32]));
        let forged = format!(
            "{forged_body}\n{}",
            app.witness.cosign_line(&forged_body, 1)
        );
        let r = app
            .client
            .post(format!("{}/api/v1/log/cosignatures", app.base))
            .body(forged)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Bad requests are clear 4xx problems.
        let r = app
            .get(
                &format!("/api/v1/log/proof/inclusion?index={}", cp.size + 10),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = app.get("/api/v1/log/proof/inclusion", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app.get("/api/v1/log/proof/consistency?from=0", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app.get("/api/v1/log/receipt/abc", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for p in [
            "/log/tile/0/1",
            "/log/tile/0/../../etc/passwd",
            "/log/tile/entries/999",
        ] {
            let r = app.get(p, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}");
            assert_eq!(r.content_type, "application/problem+json");
        }

        // The sequencer reports itself in /metrics.
        let (_, metrics) = app.get_raw("/metrics").await;
        let metrics = String::from_utf8(metrics).expect("utf8");
        assert!(
            metrics.contains("glassroom_ledger_size ")
                && metrics.contains("glassroom_ledger_checkpoints_total "),
            "{metrics}"
        );

        go_verifier(&app, &old_text, cp.size).await;
        app
    })
    .await;
}

/// Go's reference implementation checks the live log: signature, root from tiles, every entry,
/// an inclusion and a consistency proof; then it must fail on a tampered tile.
async fn go_verifier(app: &TestApp, old_checkpoint: &str, size: u64) {
    let Some(bin) = glassroom_testkit::go_verifier() else {
        return;
    };
    let dir = app.ledger_data.join("go");
    std::fs::create_dir_all(&dir).expect("dir");
    let old = dir.join("old.checkpoint");
    std::fs::write(&old, old_checkpoint).expect("write");
    // Off the test's runtime thread: the server answering the Go program runs on it.
    let run = || {
        let mut c = std::process::Command::new(&bin);
        c.args([
            "-base",
            &app.base,
            "-old",
            old.to_str().expect("path"),
            "-index",
            &(size / 2).to_string(),
        ]);
        async move {
            tokio::task::spawn_blocking(move || c.output().expect("run the Go verifier"))
                .await
                .expect("join")
        }
    };
    let out = run().await;
    assert!(
        out.status.success(),
        "Go verifier: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("OK size={size}")));
    // Tamper with one byte of the level-0 tile the checkpoint rests on.
    let id = TileId {
        kind: TileKind::Hashes(0),
        index: (size - 1) / 256,
        width: match size % 256 {
            0 => 256,
            w => w,
        },
    };
    let path = app.ledger_data.join("log").join(id.path());
    let mut bytes = std::fs::read(&path).expect("tile");
    bytes[0] ^= 0x01;
    std::fs::write(&path, &bytes).expect("tamper");
    let out = run().await;
    assert!(
        !out.status.success(),
        "Go verifier accepted a tampered tile"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("FAIL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bytes[0] ^= 0x01;
    std::fs::write(&path, &bytes).expect("restore");
}
