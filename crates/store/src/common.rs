//! The SQL both back ends share. Both accept `$N` placeholders and `RETURNING`, and both schemas use
//! the same column types as seen from Rust (i64, bool, text), so one body serves both; what differs
//! (connecting, locking, migrations) lives in `sqlite.rs` and `postgres.rs`.

macro_rules! impl_tx {
    // `$no_index` prefixes a column to keep the planner from driving a join through that column's
    // index (SQLite's unary `+`); PostgreSQL's planner has statistics and needs no such hint.
    ($tx:ident, $db:ty, $no_index:literal) => {
        #[async_trait::async_trait]
        impl crate::Tx for $tx {
            async fn commit(mut self: Box<Self>) -> crate::Result<()> {
                self.flush_events().await?;
                self.tx.commit().await?;
                if let Some(c) = &self.commits {
                    c.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                }
                Ok(())
            }

            async fn lock_bookings(&mut self) -> crate::Result<()> {
                self.lock(1).await
            }

            async fn directory_version(&mut self) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("SELECT version FROM directory_version WHERE id = 1").fetch_one(&mut *self.tx).await?)
            }
            async fn bump_directory_version(&mut self) -> crate::Result<()> {
                sqlx::query("UPDATE directory_version SET version = version + 1 WHERE id = 1").execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn organisations(&mut self) -> crate::Result<Vec<crate::OrgRow>> {
                Ok(sqlx::query_as("SELECT id, code, parent_id, kind, name_ru, name_kk, name_en, bin, time_zone, calendar FROM organisations ORDER BY id")
                    .fetch_all(&mut *self.tx).await?)
            }
            async fn insert_organisation(&mut self, o: &crate::OrgRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO organisations (code, parent_id, kind, name_ru, name_kk, name_en, bin, time_zone, calendar) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                    .bind(&o.code).bind(o.parent_id).bind(&o.kind).bind(&o.name_ru).bind(&o.name_kk).bind(&o.name_en).bind(&o.bin).bind(&o.time_zone).bind(&o.calendar)
                    .fetch_one(&mut *self.tx).await?)
            }
            async fn update_organisation(&mut self, o: &crate::OrgRow) -> crate::Result<()> {
                sqlx::query("UPDATE organisations SET code = $2, parent_id = $3, kind = $4, name_ru = $5, name_kk = $6, name_en = $7, bin = $8, time_zone = $9, calendar = $10 WHERE id = $1")
                    .bind(o.id).bind(&o.code).bind(o.parent_id).bind(&o.kind).bind(&o.name_ru).bind(&o.name_kk).bind(&o.name_en).bind(&o.bin).bind(&o.time_zone).bind(&o.calendar)
                    .execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn people(&mut self) -> crate::Result<Vec<crate::PersonRow>> {
                Ok(sqlx::query_as("SELECT id, code, full_name, position_ru, position_kk, position_en, org_id, public_servant, iin, phone FROM people ORDER BY id")
                    .fetch_all(&mut *self.tx).await?)
            }
            async fn person(&mut self, id: i64) -> crate::Result<Option<crate::PersonRow>> {
                Ok(sqlx::query_as("SELECT id, code, full_name, position_ru, position_kk, position_en, org_id, public_servant, iin, phone FROM people WHERE id = $1")
                    .bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn insert_person(&mut self, p: &crate::PersonRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO people (code, full_name, position_ru, position_kk, position_en, org_id, public_servant, iin, phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                    .bind(&p.code).bind(&p.full_name).bind(&p.position_ru).bind(&p.position_kk).bind(&p.position_en).bind(p.org_id).bind(p.public_servant).bind(&p.iin).bind(&p.phone)
                    .fetch_one(&mut *self.tx).await?)
            }
            async fn update_person(&mut self, p: &crate::PersonRow) -> crate::Result<()> {
                sqlx::query("UPDATE people SET code = $2, full_name = $3, position_ru = $4, position_kk = $5, position_en = $6, org_id = $7, public_servant = $8, iin = $9, phone = $10 WHERE id = $1")
                    .bind(p.id).bind(&p.code).bind(&p.full_name).bind(&p.position_ru).bind(&p.position_kk).bind(&p.position_en).bind(p.org_id).bind(p.public_servant).bind(&p.iin).bind(&p.phone)
                    .execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn roles(&mut self) -> crate::Result<Vec<crate::RoleRow>> {
                Ok(sqlx::query_as("SELECT person_id, org_id, role FROM person_roles ORDER BY person_id, org_id, role").fetch_all(&mut *self.tx).await?)
            }
            async fn roles_of(&mut self, person_id: i64) -> crate::Result<Vec<crate::RoleRow>> {
                Ok(sqlx::query_as("SELECT person_id, org_id, role FROM person_roles WHERE person_id = $1 ORDER BY org_id, role")
                    .bind(person_id).fetch_all(&mut *self.tx).await?)
            }
            async fn insert_role(&mut self, r: &crate::RoleRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO person_roles (person_id, org_id, role) VALUES ($1, $2, $3)")
                    .bind(r.person_id).bind(r.org_id).bind(&r.role).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delete_role(&mut self, r: &crate::RoleRow) -> crate::Result<()> {
                sqlx::query("DELETE FROM person_roles WHERE person_id = $1 AND org_id = $2 AND role = $3")
                    .bind(r.person_id).bind(r.org_id).bind(&r.role).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn businesses(&mut self) -> crate::Result<Vec<crate::BusinessRow>> {
                Ok(sqlx::query_as("SELECT id, bin, name, address FROM businesses ORDER BY id").fetch_all(&mut *self.tx).await?)
            }
            async fn business(&mut self, id: i64) -> crate::Result<Option<crate::BusinessRow>> {
                Ok(sqlx::query_as("SELECT id, bin, name, address FROM businesses WHERE id = $1").bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn business_by_bin(&mut self, bin: &str) -> crate::Result<Option<crate::BusinessRow>> {
                Ok(sqlx::query_as("SELECT id, bin, name, address FROM businesses WHERE bin = $1").bind(bin).fetch_optional(&mut *self.tx).await?)
            }
            async fn insert_business(&mut self, b: &crate::BusinessRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO businesses (bin, name, address) VALUES ($1, $2, $3) RETURNING id")
                    .bind(&b.bin).bind(&b.name).bind(&b.address).fetch_one(&mut *self.tx).await?)
            }
            async fn update_business(&mut self, b: &crate::BusinessRow) -> crate::Result<()> {
                sqlx::query("UPDATE businesses SET bin = $2, name = $3, address = $4 WHERE id = $1")
                    .bind(b.id).bind(&b.bin).bind(&b.name).bind(&b.address).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn rooms(&mut self) -> crate::Result<Vec<crate::RoomRow>> {
                Ok(sqlx::query_as("SELECT id, code, org_id, name, building, floor, designated FROM rooms ORDER BY id").fetch_all(&mut *self.tx).await?)
            }
            async fn room(&mut self, id: i64) -> crate::Result<Option<crate::RoomRow>> {
                Ok(sqlx::query_as("SELECT id, code, org_id, name, building, floor, designated FROM rooms WHERE id = $1").bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn insert_room(&mut self, r: &crate::RoomRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO rooms (code, org_id, name, building, floor, designated) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(&r.code).bind(r.org_id).bind(&r.name).bind(&r.building).bind(r.floor).bind(r.designated).fetch_one(&mut *self.tx).await?)
            }
            async fn update_room(&mut self, r: &crate::RoomRow) -> crate::Result<()> {
                sqlx::query("UPDATE rooms SET code = $2, org_id = $3, name = $4, building = $5, floor = $6, designated = $7 WHERE id = $1")
                    .bind(r.id).bind(&r.code).bind(r.org_id).bind(&r.name).bind(&r.building).bind(r.floor).bind(r.designated).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn inputs(&mut self) -> crate::Result<Vec<crate::InputRow>> {
                Ok(sqlx::query_as("SELECT id, room_id, code, video, audio, url, state, state_since_us FROM room_inputs ORDER BY id").fetch_all(&mut *self.tx).await?)
            }
            async fn inputs_of(&mut self, room_id: i64) -> crate::Result<Vec<crate::InputRow>> {
                Ok(sqlx::query_as("SELECT id, room_id, code, video, audio, url, state, state_since_us FROM room_inputs WHERE room_id = $1 ORDER BY id")
                    .bind(room_id).fetch_all(&mut *self.tx).await?)
            }
            async fn insert_input(&mut self, i: &crate::InputRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO room_inputs (room_id, code, video, audio, url, state, state_since_us) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                    .bind(i.room_id).bind(&i.code).bind(i.video).bind(i.audio).bind(&i.url).bind(&i.state).bind(i.state_since_us).fetch_one(&mut *self.tx).await?)
            }
            async fn update_input(&mut self, i: &crate::InputRow) -> crate::Result<()> {
                sqlx::query("UPDATE room_inputs SET room_id = $2, code = $3, video = $4, audio = $5, url = $6, state = $7, state_since_us = $8 WHERE id = $1")
                    .bind(i.id).bind(i.room_id).bind(&i.code).bind(i.video).bind(i.audio).bind(&i.url).bind(&i.state).bind(i.state_since_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn log_input_state(&mut self, input_id: i64, at_us: i64, state: &str) -> crate::Result<()> {
                sqlx::query("INSERT INTO input_state_log (input_id, at_us, state) VALUES ($1, $2, $3)")
                    .bind(input_id).bind(at_us).bind(state).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn input_state_log(&mut self, input_id: i64, from_us: i64, until_us: i64) -> crate::Result<Vec<crate::InputStateRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT at_us, state FROM input_state_log WHERE input_id = $1 AND at_us <= $3 AND at_us >= ",
                    "COALESCE((SELECT MAX(at_us) FROM input_state_log WHERE input_id = $1 AND at_us <= $2), $2) ORDER BY at_us, id"
                ))
                .bind(input_id).bind(from_us).bind(until_us).fetch_all(&mut *self.tx).await?)
            }

            async fn conflicts(&mut self) -> crate::Result<Vec<crate::ConflictRow>> {
                Ok(sqlx::query_as("SELECT person_id, business_id, note FROM conflicts ORDER BY person_id, business_id").fetch_all(&mut *self.tx).await?)
            }
            async fn insert_conflict(&mut self, c: &crate::ConflictRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO conflicts (person_id, business_id, note) VALUES ($1, $2, $3)")
                    .bind(c.person_id).bind(c.business_id).bind(&c.note).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn update_conflict(&mut self, c: &crate::ConflictRow) -> crate::Result<()> {
                sqlx::query("UPDATE conflicts SET note = $3 WHERE person_id = $1 AND business_id = $2")
                    .bind(c.person_id).bind(c.business_id).bind(&c.note).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn accounts(&mut self) -> crate::Result<Vec<crate::AccountRow>> {
                Ok(sqlx::query_as("SELECT id, login, person_id, business_id, disabled FROM accounts ORDER BY id").fetch_all(&mut *self.tx).await?)
            }
            async fn account_by_login(&mut self, login: &str) -> crate::Result<Option<crate::AccountRow>> {
                Ok(sqlx::query_as("SELECT id, login, person_id, business_id, disabled FROM accounts WHERE login = $1").bind(login).fetch_optional(&mut *self.tx).await?)
            }
            async fn account_by_token(&mut self, token_hash: &str) -> crate::Result<Option<crate::AccountRow>> {
                Ok(sqlx::query_as("SELECT a.id, a.login, a.person_id, a.business_id, a.disabled FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1")
                    .bind(token_hash).fetch_optional(&mut *self.tx).await?)
            }
            async fn insert_account(&mut self, a: &crate::AccountRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO accounts (login, person_id, business_id, disabled) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(&a.login).bind(a.person_id).bind(a.business_id).bind(a.disabled).fetch_one(&mut *self.tx).await?)
            }
            async fn update_account(&mut self, a: &crate::AccountRow) -> crate::Result<()> {
                sqlx::query("UPDATE accounts SET login = $2, person_id = $3, business_id = $4, disabled = $5 WHERE id = $1")
                    .bind(a.id).bind(&a.login).bind(a.person_id).bind(a.business_id).bind(a.disabled).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn insert_token(&mut self, token_hash: &str, account_id: i64, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO api_tokens (token_hash, account_id, created_us) VALUES ($1, $2, $3)")
                    .bind(token_hash).bind(account_id).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn password_of(&mut self, account_id: i64) -> crate::Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT hash FROM account_passwords WHERE account_id = $1").bind(account_id).fetch_optional(&mut *self.tx).await?)
            }
            async fn set_password(&mut self, account_id: i64, hash: &str, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO account_passwords (account_id, hash, set_us) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET hash = excluded.hash, set_us = excluded.set_us")
                    .bind(account_id).bind(hash).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn insert_session(&mut self, s: &crate::SessionRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO sessions (id_hash, account_id, csrf, created_us, expires_us) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&s.id_hash).bind(s.account_id).bind(&s.csrf).bind(s.created_us).bind(s.expires_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn session(&mut self, id_hash: &str) -> crate::Result<Option<crate::SessionRow>> {
                Ok(sqlx::query_as("SELECT id_hash, account_id, csrf, created_us, expires_us FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(&mut *self.tx).await?)
            }
            async fn delete_session(&mut self, id_hash: &str) -> crate::Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delete_expired_sessions(&mut self, now_us: i64) -> crate::Result<u64> {
                Ok(sqlx::query("DELETE FROM sessions WHERE expires_us < $1").bind(now_us).execute(&mut *self.tx).await?.rows_affected())
            }

            async fn awards(&mut self) -> crate::Result<Vec<crate::AwardRow>> {
                Ok(sqlx::query_as("SELECT id, org_id, business_id, reference, kind, award_date, end_date, active FROM awards ORDER BY id").fetch_all(&mut *self.tx).await?)
            }
            async fn ocds_releases_of(&mut self, ocid: &str) -> crate::Result<Vec<(String, String)>> {
                Ok(sqlx::query_as("SELECT date, body FROM ocds_releases WHERE ocid = $1 ORDER BY date, id")
                    .bind(ocid).fetch_all(&mut *self.tx).await?)
            }
            async fn insert_ocds_releases(&mut self, rows: &[(&str, &str, &str, &str)]) -> crate::Result<Vec<usize>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO ocds_releases (ocid, release_id, date, body) ");
                q.push_values(rows, |mut b, r| {
                    b.push_bind(r.0.to_owned()).push_bind(r.1.to_owned()).push_bind(r.2.to_owned()).push_bind(r.3.to_owned());
                });
                q.push(" ON CONFLICT (ocid, release_id) DO NOTHING RETURNING ocid, release_id");
                let done: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *self.tx).await?;
                let done: std::collections::HashSet<(String, String)> = done.into_iter().collect();
                Ok(rows.iter().enumerate().filter(|(_, r)| done.contains(&(r.0.to_owned(), r.1.to_owned()))).map(|(i, _)| i).collect())
            }
            async fn insert_ocds_records(&mut self, ocids: &[&str], at_us: i64) -> crate::Result<Vec<usize>> {
                if ocids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO ocds_records (ocid, compiled, releases, updated_us) ");
                q.push_values(ocids, |mut b, o| {
                    b.push_bind((*o).to_owned()).push_bind(None::<String>).push_bind(1_i64).push_bind(at_us);
                });
                q.push(" ON CONFLICT (ocid) DO NOTHING RETURNING ocid");
                let done: Vec<String> = q.build_query_scalar().fetch_all(&mut *self.tx).await?;
                let done: std::collections::HashSet<String> = done.into_iter().collect();
                Ok(ocids.iter().enumerate().filter(|(_, o)| done.contains(**o)).map(|(i, _)| i).collect())
            }
            async fn ocds_record(&mut self, ocid: &str) -> crate::Result<Option<(Option<String>, i64)>> {
                Ok(sqlx::query_as("SELECT compiled, releases FROM ocds_records WHERE ocid = $1")
                    .bind(ocid).fetch_optional(&mut *self.tx).await?)
            }
            async fn upsert_ocds_record(&mut self, ocid: &str, compiled: &str, releases: i64, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO ocds_records (ocid, compiled, releases, updated_us) VALUES ($1, $2, $3, $4) ON CONFLICT (ocid) DO UPDATE SET compiled = excluded.compiled, releases = excluded.releases, updated_us = excluded.updated_us")
                    .bind(ocid).bind(compiled).bind(releases).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn portal_cursor(&mut self, customer_bin: &str) -> crate::Result<Option<Option<String>>> {
                Ok(sqlx::query_scalar("SELECT next_url FROM portal_cursors WHERE customer_bin = $1")
                    .bind(customer_bin).fetch_optional(&mut *self.tx).await?)
            }
            async fn set_portal_cursor(&mut self, customer_bin: &str, next_url: Option<&str>, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO portal_cursors (customer_bin, next_url, updated_us) VALUES ($1, $2, $3) ON CONFLICT (customer_bin) DO UPDATE SET next_url = excluded.next_url, updated_us = excluded.updated_us")
                    .bind(customer_bin).bind(next_url).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn ocds_counts(&mut self) -> crate::Result<(i64, i64)> {
                let ocids: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ocds_records").fetch_one(&mut *self.tx).await?;
                let releases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ocds_releases").fetch_one(&mut *self.tx).await?;
                Ok((ocids, releases))
            }
            async fn insert_award(&mut self, a: &crate::AwardRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO awards (org_id, business_id, reference, kind, award_date, end_date, active) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                    .bind(a.org_id).bind(a.business_id).bind(&a.reference).bind(&a.kind).bind(&a.award_date).bind(&a.end_date).bind(a.active).fetch_one(&mut *self.tx).await?)
            }
            async fn update_award(&mut self, a: &crate::AwardRow) -> crate::Result<()> {
                sqlx::query("UPDATE awards SET org_id = $2, business_id = $3, reference = $4, kind = $5, award_date = $6, end_date = $7, active = $8 WHERE id = $1")
                    .bind(a.id).bind(a.org_id).bind(a.business_id).bind(&a.reference).bind(&a.kind).bind(&a.award_date).bind(&a.end_date).bind(a.active).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn unreliable_listings(&mut self) -> crate::Result<Vec<crate::UnreliableRow>> {
                Ok(sqlx::query_as("SELECT bin, name, registry, since, until, reason, delisted, seen_run FROM unreliable_suppliers ORDER BY bin, registry").fetch_all(&mut *self.tx).await?)
            }
            async fn unreliable_of(&mut self, bin: &str) -> crate::Result<Vec<crate::UnreliableRow>> {
                Ok(sqlx::query_as("SELECT bin, name, registry, since, until, reason, delisted, seen_run FROM unreliable_suppliers WHERE bin = $1 ORDER BY registry")
                    .bind(bin).fetch_all(&mut *self.tx).await?)
            }
            async fn upsert_unreliable(&mut self, r: &crate::UnreliableRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO unreliable_suppliers (bin, name, registry, since, until, reason, delisted, seen_run) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (bin, registry) DO UPDATE SET name = excluded.name, since = excluded.since, until = excluded.until, reason = excluded.reason, delisted = excluded.delisted, seen_run = excluded.seen_run")
                    .bind(&r.bin).bind(&r.name).bind(&r.registry).bind(&r.since).bind(&r.until).bind(&r.reason).bind(&r.delisted).bind(&r.seen_run)
                    .execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delist_unseen(&mut self, registry: &str, run: &str, day: &str) -> crate::Result<Vec<crate::UnreliableRow>> {
                Ok(sqlx::query_as("UPDATE unreliable_suppliers SET delisted = $3 WHERE registry = $1 AND seen_run <> $2 AND delisted IS NULL RETURNING bin, name, registry, since, until, reason, delisted, seen_run")
                    .bind(registry).bind(run).bind(day).fetch_all(&mut *self.tx).await?)
            }
            async fn registry_pull(&mut self, registry: &str) -> crate::Result<Option<(String, Option<String>)>> {
                Ok(sqlx::query_as("SELECT run, next_url FROM registry_pulls WHERE registry = $1")
                    .bind(registry).fetch_optional(&mut *self.tx).await?)
            }
            async fn set_registry_pull(&mut self, registry: &str, run: &str, next_url: Option<&str>, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO registry_pulls (registry, run, next_url, updated_us) VALUES ($1, $2, $3, $4) ON CONFLICT (registry) DO UPDATE SET run = excluded.run, next_url = excluded.next_url, updated_us = excluded.updated_us")
                    .bind(registry).bind(run).bind(next_url).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn all_calendar_days(&mut self) -> crate::Result<Vec<crate::CalendarDayRow>> {
                Ok(sqlx::query_as("SELECT calendar, day, kind, name FROM calendar_days ORDER BY calendar, day").fetch_all(&mut *self.tx).await?)
            }
            async fn upsert_calendar_day(&mut self, d: &crate::CalendarDayRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO calendar_days (calendar, day, kind, name) VALUES ($1, $2, $3, $4) ON CONFLICT (calendar, day) DO UPDATE SET kind = excluded.kind, name = excluded.name")
                    .bind(&d.calendar).bind(&d.day).bind(&d.kind).bind(&d.name).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delete_calendar_day(&mut self, calendar: &str, day: &str) -> crate::Result<()> {
                sqlx::query("DELETE FROM calendar_days WHERE calendar = $1 AND day = $2").bind(calendar).bind(day).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn work_schedules(&mut self) -> crate::Result<Vec<crate::ScheduleRow>> {
                Ok(sqlx::query_as("SELECT org_id, effective_from, week, start_time, end_time, lunch_start, lunch_end FROM work_schedules ORDER BY org_id, effective_from")
                    .fetch_all(&mut *self.tx).await?)
            }
            async fn upsert_work_schedule(&mut self, s: &crate::ScheduleRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO work_schedules (org_id, effective_from, week, start_time, end_time, lunch_start, lunch_end) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, effective_from) DO UPDATE SET week = excluded.week, start_time = excluded.start_time, end_time = excluded.end_time, lunch_start = excluded.lunch_start, lunch_end = excluded.lunch_end")
                    .bind(s.org_id).bind(&s.effective_from).bind(&s.week).bind(&s.start_time).bind(&s.end_time).bind(&s.lunch_start).bind(&s.lunch_end).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delete_work_schedule(&mut self, org_id: i64, effective_from: &str) -> crate::Result<()> {
                sqlx::query("DELETE FROM work_schedules WHERE org_id = $1 AND effective_from = $2").bind(org_id).bind(effective_from).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn policy_settings(&mut self) -> crate::Result<Vec<crate::PolicyRow>> {
                Ok(sqlx::query_as("SELECT org_id, effective_from, setting, value FROM policy_settings ORDER BY org_id, setting, effective_from").fetch_all(&mut *self.tx).await?)
            }
            async fn upsert_policy_setting(&mut self, p: &crate::PolicyRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO policy_settings (org_id, effective_from, setting, value) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, setting, effective_from) DO UPDATE SET value = excluded.value")
                    .bind(p.org_id).bind(&p.effective_from).bind(&p.setting).bind(&p.value).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn delete_policy_setting(&mut self, p: &crate::PolicyRow) -> crate::Result<()> {
                sqlx::query("DELETE FROM policy_settings WHERE org_id = $1 AND setting = $2 AND effective_from = $3")
                    .bind(p.org_id).bind(&p.setting).bind(&p.effective_from).execute(&mut *self.tx).await?;
                Ok(())
            }

            async fn insert_meeting(&mut self, m: &crate::MeetingRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO meetings (org_id, host_id, business_id, subject, kind, wished_from_us, wished_to_us, status, listed, room_id, start_us, end_us, actual_start_us, actual_end_us, host_checked_in_us, business_checked_in_us, reason, protocol_summary, protocol_outcome, business_confirmed_us, requested_by, created_us, updated_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id")
                    .bind(m.org_id).bind(m.host_id).bind(m.business_id).bind(&m.subject).bind(&m.kind).bind(m.wished_from_us).bind(m.wished_to_us).bind(&m.status).bind(m.listed)
                    .bind(m.room_id).bind(m.start_us).bind(m.end_us).bind(m.actual_start_us).bind(m.actual_end_us).bind(m.host_checked_in_us).bind(m.business_checked_in_us)
                    .bind(&m.reason).bind(&m.protocol_summary).bind(&m.protocol_outcome).bind(m.business_confirmed_us).bind(m.requested_by).bind(m.created_us).bind(m.updated_us)
                    .fetch_one(&mut *self.tx).await?)
            }
            async fn update_meeting(&mut self, m: &crate::MeetingRow) -> crate::Result<()> {
                sqlx::query("UPDATE meetings SET org_id = $2, host_id = $3, business_id = $4, subject = $5, kind = $6, wished_from_us = $7, wished_to_us = $8, status = $9, listed = $10, room_id = $11, start_us = $12, end_us = $13, actual_start_us = $14, actual_end_us = $15, host_checked_in_us = $16, business_checked_in_us = $17, reason = $18, protocol_summary = $19, protocol_outcome = $20, business_confirmed_us = $21, requested_by = $22, created_us = $23, updated_us = $24 WHERE id = $1")
                    .bind(m.id).bind(m.org_id).bind(m.host_id).bind(m.business_id).bind(&m.subject).bind(&m.kind).bind(m.wished_from_us).bind(m.wished_to_us).bind(&m.status).bind(m.listed)
                    .bind(m.room_id).bind(m.start_us).bind(m.end_us).bind(m.actual_start_us).bind(m.actual_end_us).bind(m.host_checked_in_us).bind(m.business_checked_in_us)
                    .bind(&m.reason).bind(&m.protocol_summary).bind(&m.protocol_outcome).bind(m.business_confirmed_us).bind(m.requested_by).bind(m.created_us).bind(m.updated_us)
                    .execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn meeting(&mut self, id: i64) -> crate::Result<Option<crate::MeetingRow>> {
                Ok(sqlx::query_as("SELECT id, org_id, host_id, business_id, subject, kind, wished_from_us, wished_to_us, status, listed, room_id, start_us, end_us, actual_start_us, actual_end_us, host_checked_in_us, business_checked_in_us, reason, protocol_summary, protocol_outcome, business_confirmed_us, requested_by, created_us, updated_us FROM meetings WHERE id = $1")
                    .bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn commission(&mut self, meeting_id: i64) -> crate::Result<Vec<crate::CommissionRow>> {
                Ok(sqlx::query_as("SELECT meeting_id, person_id, checked_in_us, signed_us FROM meeting_commission WHERE meeting_id = $1 ORDER BY person_id")
                    .bind(meeting_id).fetch_all(&mut *self.tx).await?)
            }
            async fn set_commission(&mut self, meeting_id: i64, members: &[i64], replace: bool) -> crate::Result<()> {
                if replace {
                    sqlx::query("DELETE FROM meeting_commission WHERE meeting_id = $1").bind(meeting_id).execute(&mut *self.tx).await?;
                }
                if members.is_empty() {
                    return Ok(());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO meeting_commission (meeting_id, person_id) ");
                q.push_values(members, |mut row, p| {
                    row.push_bind(meeting_id).push_bind(*p);
                });
                q.build().execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn update_commission_member(&mut self, c: &crate::CommissionRow) -> crate::Result<()> {
                sqlx::query("UPDATE meeting_commission SET checked_in_us = $3, signed_us = $4 WHERE meeting_id = $1 AND person_id = $2")
                    .bind(c.meeting_id).bind(c.person_id).bind(c.checked_in_us).bind(c.signed_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn representatives(&mut self, meeting_id: i64) -> crate::Result<Vec<crate::RepresentativeRow>> {
                Ok(sqlx::query_as("SELECT meeting_id, position, full_name, role, iin, phone FROM meeting_representatives WHERE meeting_id = $1 ORDER BY position")
                    .bind(meeting_id).fetch_all(&mut *self.tx).await?)
            }
            async fn insert_representative(&mut self, r: &crate::RepresentativeRow) -> crate::Result<()> {
                sqlx::query("INSERT INTO meeting_representatives (meeting_id, position, full_name, role, iin, phone) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(r.meeting_id).bind(r.position).bind(&r.full_name).bind(&r.role).bind(&r.iin).bind(&r.phone).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn bookings(&mut self, room_id: i64, people: &[i64], w: &crate::BookingWindow) -> crate::Result<crate::Bookings> {
                let window = |q: &mut sqlx::QueryBuilder<$db>, prefix: &str| {
                    q.push(format!(" {prefix}status IN ('scheduled', 'in_progress') AND {prefix}start_us > ")).push_bind(w.start_us - w.longest_us);
                    q.push(format!(" AND {prefix}start_us < ")).push_bind(w.end_us);
                    q.push(format!(" AND {prefix}end_us > ")).push_bind(w.start_us);
                    q.push(format!(" AND {prefix}id <> ")).push_bind(w.except);
                };
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT 0 AS what, id FROM meetings WHERE room_id = ");
                q.push_bind(room_id).push(" AND");
                window(&mut q, "");
                if !people.is_empty() {
                    q.push(" UNION ALL SELECT 1 AS what, host_id FROM meetings WHERE");
                    window(&mut q, "");
                    q.push(" AND host_id IN (");
                    let mut sep = q.separated(", ");
                    for p in people {
                        sep.push_bind(*p);
                    }
                    q.push(") UNION ALL SELECT 1 AS what, c.person_id FROM meetings m JOIN meeting_commission c ON c.meeting_id = m.id WHERE");
                    window(&mut q, "m.");
                    // `+` keeps SQLite from walking a person's whole history through the
                    // person index: the bookings in the window are few, a person's past is not.
                    q.push(concat!(" AND ", $no_index, "c.person_id IN ("));
                    let mut sep = q.separated(", ");
                    for p in people {
                        sep.push_bind(*p);
                    }
                    q.push(")");
                }
                let rows: Vec<(i32, i64)> = q.build_query_as().fetch_all(&mut *self.tx).await?;
                let mut out = crate::Bookings::default();
                for (what, id) in rows {
                    if what == 0 { out.room.push(id) } else { out.people.push(id) }
                }
                out.room.sort_unstable();
                out.room.dedup();
                out.people.sort_unstable();
                out.people.dedup();
                Ok(out)
            }
            async fn register(&mut self, f: &crate::RegisterFilter) -> crate::Result<Vec<crate::RegisterRow>> {
                // Keyset paging newest first. With an organisation filter, each organisation's
                // newest rows come from its own index range and are merged: the cost is one short
                // index walk per organisation, however rare or common its meetings are.
                fn filters(q: &mut sqlx::QueryBuilder<$db>, f: &crate::RegisterFilter) {
                    if let Some(b) = f.business_id {
                        q.push(" AND business_id = ").push_bind(b);
                    }
                    if let Some(from) = f.from_us {
                        q.push(" AND start_us >= ").push_bind(from);
                    }
                    if let Some(to) = f.to_us {
                        q.push(" AND start_us < ").push_bind(to);
                    }
                    if let Some(s) = &f.status {
                        q.push(" AND status = ").push_bind(s.clone());
                    }
                    if let Some((start, id)) = f.before {
                        q.push(" AND (start_us < ").push_bind(start).push(" OR (start_us = ").push_bind(start).push(" AND id < ").push_bind(id).push("))");
                    }
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("WITH page AS (");
                match &f.org_ids {
                    Some(orgs) if orgs.is_empty() => {
                        q.push("SELECT id, start_us FROM meetings WHERE 1 = 0");
                    }
                    // SQLite allows at most 500 terms in a compound SELECT; a subtree that large
                    // is scanned in start order instead.
                    Some(orgs) if orgs.len() <= 64 => {
                        for (i, org) in orgs.iter().enumerate() {
                            if i > 0 {
                                q.push(" UNION ALL ");
                            }
                            q.push("SELECT id, start_us FROM (SELECT id, start_us FROM meetings WHERE listed AND org_id = ").push_bind(*org);
                            filters(&mut q, f);
                            q.push(" ORDER BY start_us DESC, id DESC LIMIT ").push_bind(f.limit).push(format!(") AS o{i}"));
                        }
                    }
                    Some(orgs) => {
                        q.push("SELECT id, start_us FROM meetings WHERE listed AND org_id IN (");
                        let mut sep = q.separated(", ");
                        for org in orgs {
                            sep.push_bind(*org);
                        }
                        q.push(")");
                        filters(&mut q, f);
                    }
                    None => {
                        q.push("SELECT id, start_us FROM meetings WHERE listed");
                        filters(&mut q, f);
                    }
                }
                q.push(" ORDER BY start_us DESC, id DESC LIMIT ").push_bind(f.limit);
                q.push(concat!(
                    ") SELECT m.id, m.status, m.subject, m.kind, m.start_us, m.end_us, m.wished_from_us, m.org_id, o.code AS org_code, o.name_ru AS org_name_ru, o.name_kk AS org_name_kk, o.name_en AS org_name_en, ",
                    "p.full_name AS host_name, p.position_ru AS host_position_ru, b.bin AS business_bin, b.name AS business_name, r.name AS room_name, m.protocol_outcome ",
                    "FROM page JOIN meetings m ON m.id = page.id JOIN organisations o ON o.id = m.org_id JOIN people p ON p.id = m.host_id JOIN businesses b ON b.id = m.business_id LEFT JOIN rooms r ON r.id = m.room_id ",
                    "ORDER BY m.start_us DESC, m.id DESC"
                ));
                Ok(q.build_query_as().fetch_all(&mut *self.tx).await?)
            }
            async fn meetings_for(&mut self, f: &crate::WorkFilter) -> crate::Result<Vec<crate::RegisterRow>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT m.id, m.status, m.subject, m.kind, m.start_us, m.end_us, m.wished_from_us, m.org_id, o.code AS org_code, o.name_ru AS org_name_ru, o.name_kk AS org_name_kk, o.name_en AS org_name_en, ",
                    "p.full_name AS host_name, p.position_ru AS host_position_ru, b.bin AS business_bin, b.name AS business_name, r.name AS room_name, m.protocol_outcome ",
                    "FROM meetings m JOIN organisations o ON o.id = m.org_id JOIN people p ON p.id = m.host_id JOIN businesses b ON b.id = m.business_id LEFT JOIN rooms r ON r.id = m.room_id ",
                    "WHERE 1 = 1"
                ));
                if let Some(orgs) = &f.org_ids {
                    q.push(" AND m.org_id IN (");
                    let mut sep = q.separated(", ");
                    for id in orgs {
                        sep.push_bind(*id);
                    }
                    if orgs.is_empty() {
                        sep.push("NULL");
                    }
                    q.push(")");
                }
                if let Some(h) = f.host_id {
                    q.push(" AND m.host_id = ").push_bind(h);
                }
                if let Some(c) = f.commission_member {
                    q.push(" AND m.id IN (SELECT meeting_id FROM meeting_commission WHERE person_id = ").push_bind(c).push(")");
                }
                if let Some(b) = f.business_id {
                    q.push(" AND m.business_id = ").push_bind(b);
                }
                if let Some(s) = &f.status {
                    q.push(" AND m.status = ").push_bind(s.clone());
                }
                if let Some(r) = f.room_id {
                    q.push(" AND m.room_id = ").push_bind(r);
                }
                if f.listed {
                    q.push(" AND m.listed");
                }
                if let Some(from) = f.from_us {
                    q.push(" AND m.start_us >= ").push_bind(from);
                }
                if let Some(to) = f.to_us {
                    q.push(" AND m.start_us < ").push_bind(to);
                }
                q.push(" ORDER BY COALESCE(m.start_us, m.wished_from_us) DESC, m.id DESC LIMIT ").push_bind(f.limit);
                Ok(q.build_query_as().fetch_all(&mut *self.tx).await?)
            }
            async fn insert_override(&mut self, o: &crate::OverrideRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO overrides (meeting_id, rule, justification, account_id, at_us) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(o.meeting_id).bind(&o.rule).bind(&o.justification).bind(o.account_id).bind(o.at_us).fetch_one(&mut *self.tx).await?)
            }
            async fn overrides(&mut self, meeting_id: i64) -> crate::Result<Vec<crate::OverrideRow>> {
                Ok(sqlx::query_as("SELECT id, meeting_id, rule, justification, account_id, at_us FROM overrides WHERE meeting_id = $1 ORDER BY id")
                    .bind(meeting_id).fetch_all(&mut *self.tx).await?)
            }
            async fn commissions_of(&mut self, meeting_ids: &[i64]) -> crate::Result<Vec<(i64, String, String, bool, bool)>> {
                if meeting_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT c.meeting_id, p.full_name, p.position_ru, c.checked_in_us IS NOT NULL, c.signed_us IS NOT NULL FROM meeting_commission c JOIN people p ON p.id = c.person_id WHERE c.meeting_id IN (");
                let mut sep = q.separated(", ");
                for id in meeting_ids {
                    sep.push_bind(*id);
                }
                q.push(") ORDER BY c.meeting_id, p.full_name");
                Ok(q.build_query_as().fetch_all(&mut *self.tx).await?)
            }
            async fn overrides_in(&mut self, org_ids: &[i64], limit: i64) -> crate::Result<Vec<crate::OverrideListRow>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT o.id, o.meeting_id, m.org_id, m.subject, o.rule, o.justification, a.login, o.at_us FROM overrides o JOIN meetings m ON m.id = o.meeting_id JOIN accounts a ON a.id = o.account_id WHERE m.org_id IN (");
                let mut sep = q.separated(", ");
                for id in org_ids {
                    sep.push_bind(*id);
                }
                if org_ids.is_empty() {
                    sep.push("NULL");
                }
                q.push(") ORDER BY o.at_us DESC, o.id DESC LIMIT ").push_bind(limit);
                Ok(q.build_query_as().fetch_all(&mut *self.tx).await?)
            }
            async fn insert_violation(&mut self, v: &crate::ViolationRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO violations (org_id, meeting_id, rule, details, status, opened_us) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(v.org_id).bind(v.meeting_id).bind(&v.rule).bind(&v.details).bind(&v.status).bind(v.opened_us).fetch_one(&mut *self.tx).await?)
            }
            async fn violations(&mut self, org_ids: &[i64]) -> crate::Result<Vec<crate::ViolationRow>> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT id, org_id, meeting_id, rule, details, status, opened_us FROM violations WHERE org_id IN (");
                let mut sep = q.separated(", ");
                for id in org_ids {
                    sep.push_bind(*id);
                }
                if org_ids.is_empty() {
                    sep.push("NULL");
                }
                q.push(") ORDER BY opened_us DESC, id DESC LIMIT 500");
                Ok(q.build_query_as().fetch_all(&mut *self.tx).await?)
            }

            async fn append_event(&mut self, e: &crate::NewEvent) -> crate::Result<()> {
                self.push_event(e).await
            }
            async fn events_after(&mut self, after: i64, limit: i64) -> crate::Result<Vec<crate::EventRow>> {
                Ok(sqlx::query_as("SELECT seq, at_us, kind, subject, actor, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after).bind(limit).fetch_all(&mut *self.tx).await?)
            }
            async fn events_for_audit(&mut self, after: i64, limit: i64) -> crate::Result<Vec<crate::EventRow>> {
                let rows: Vec<(i64, i64, String)> = sqlx::query_as("SELECT seq, at_us, kind || $3 || subject || $3 || (CASE WHEN actor IS NULL THEN '-' ELSE '+' || actor END) || $3 || body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after).bind(limit).bind("\u{1f}").fetch_all(&mut *self.tx).await?;
                rows.into_iter().map(|(seq, at_us, packed)| crate::rows::unpack_event(seq, at_us, &packed)).collect()
            }
            async fn events_of_kind(&mut self, kind: &str) -> crate::Result<Vec<crate::EventRow>> {
                Ok(sqlx::query_as("SELECT seq, at_us, kind, subject, actor, body FROM events WHERE kind = $1 ORDER BY seq").bind(kind).fetch_all(&mut *self.tx).await?)
            }
            async fn max_event_seq(&mut self) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events").fetch_one(&mut *self.tx).await?)
            }
            async fn ledger_state(&mut self) -> crate::Result<(i64, Vec<u8>)> {
                Ok(sqlx::query_as("SELECT size, state FROM ledger_state WHERE id = 1").fetch_one(&mut *self.tx).await?)
            }
            async fn advance_ledger(&mut self, old_size: i64, cp: &crate::CheckpointRow, state: &[u8]) -> crate::Result<bool> {
                let moved = sqlx::query("UPDATE ledger_state SET size = $1, state = $2 WHERE id = 1 AND size = $3")
                    .bind(cp.size).bind(state).bind(old_size).execute(&mut *self.tx).await?.rows_affected();
                if moved != 1 {
                    return Ok(false);
                }
                sqlx::query("INSERT INTO ledger_checkpoints (size, root, note, at_us) VALUES ($1, $2, $3, $4)")
                    .bind(cp.size).bind(&cp.root).bind(&cp.note).bind(cp.at_us).execute(&mut *self.tx).await?;
                Ok(true)
            }
            async fn insert_segment(&mut self, s: &crate::SegmentRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO recording_segments (input_id, start_us, end_us, path, size, sha256, prev_sha256, damaged, video_frames, audio_frames, lost_packets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                    .bind(s.input_id).bind(s.start_us).bind(s.end_us).bind(&s.path).bind(s.size).bind(&s.sha256).bind(&s.prev_sha256).bind(s.damaged).bind(s.video_frames).bind(s.audio_frames).bind(s.lost_packets)
                    .fetch_one(&mut *self.tx).await?)
            }
            async fn segments_of(&mut self, input_id: i64, from_us: i64, to_us: i64) -> crate::Result<Vec<crate::SegmentRow>> {
                Ok(sqlx::query_as("SELECT id, input_id, start_us, end_us, path, size, sha256, prev_sha256, damaged, video_frames, audio_frames, lost_packets, deleted_us FROM recording_segments WHERE input_id = $1 AND end_us > $2 AND start_us < $3 AND deleted_us IS NULL ORDER BY start_us")
                    .bind(input_id).bind(from_us).bind(to_us).fetch_all(&mut *self.tx).await?)
            }
            async fn last_segment(&mut self, input_id: i64) -> crate::Result<Option<crate::SegmentRow>> {
                Ok(sqlx::query_as("SELECT id, input_id, start_us, end_us, path, size, sha256, prev_sha256, damaged, video_frames, audio_frames, lost_packets, deleted_us FROM recording_segments WHERE input_id = $1 ORDER BY start_us DESC, id DESC LIMIT 1")
                    .bind(input_id).fetch_optional(&mut *self.tx).await?)
            }
            async fn insert_access(&mut self, a: &crate::AccessRow) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("INSERT INTO recording_access (account_id, meeting_id, purpose, at_us) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(a.account_id).bind(a.meeting_id).bind(&a.purpose).bind(a.at_us).fetch_one(&mut *self.tx).await?)
            }
            async fn access(&mut self, id: i64) -> crate::Result<Option<crate::AccessRow>> {
                Ok(sqlx::query_as("SELECT id, account_id, meeting_id, purpose, at_us FROM recording_access WHERE id = $1").bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn segment(&mut self, id: i64) -> crate::Result<Option<crate::SegmentRow>> {
                Ok(sqlx::query_as("SELECT id, input_id, start_us, end_us, path, size, sha256, prev_sha256, damaged, video_frames, audio_frames, lost_packets, deleted_us FROM recording_segments WHERE id = $1").bind(id).fetch_optional(&mut *self.tx).await?)
            }
            async fn segment_by_path(&mut self, path: &str) -> crate::Result<Option<crate::SegmentRow>> {
                Ok(sqlx::query_as("SELECT id, input_id, start_us, end_us, path, size, sha256, prev_sha256, damaged, video_frames, audio_frames, lost_packets, deleted_us FROM recording_segments WHERE path = $1").bind(path).fetch_optional(&mut *self.tx).await?)
            }
            async fn aged_segments(&mut self, before_us: i64, limit: i64) -> crate::Result<Vec<crate::AgedSegment>> {
                Ok(sqlx::query_as("SELECT s.id, s.path, s.sha256, s.start_us, s.end_us, s.input_id, i.room_id, r.org_id FROM recording_segments s JOIN room_inputs i ON i.id = s.input_id JOIN rooms r ON r.id = i.room_id WHERE s.deleted_us IS NULL AND s.end_us < $1 ORDER BY s.end_us LIMIT $2")
                    .bind(before_us).bind(limit).fetch_all(&mut *self.tx).await?)
            }
            async fn mark_segment_deleted(&mut self, id: i64, at_us: i64) -> crate::Result<()> {
                sqlx::query("UPDATE recording_segments SET deleted_us = $2 WHERE id = $1").bind(id).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn rooms_in_use(&mut self, from_us: i64, to_us: i64, since_us: i64) -> crate::Result<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT room_id FROM meetings WHERE status IN ('scheduled', 'in_progress') AND room_id IS NOT NULL AND start_us > $3 AND start_us < $2 AND end_us > $1 UNION SELECT room_id FROM meetings WHERE status IN ('scheduled', 'in_progress') AND status = 'in_progress' AND room_id IS NOT NULL")
                    .bind(from_us).bind(to_us).bind(since_us).fetch_all(&mut *self.tx).await?)
            }
            async fn meetings_with_open_violations(&mut self) -> crate::Result<Vec<crate::MeetingRow>> {
                let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT meeting_id FROM violations WHERE status = 'open' AND meeting_id IS NOT NULL").fetch_all(&mut *self.tx).await?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(m) = self.meeting(id).await? {
                        out.push(m);
                    }
                }
                Ok(out)
            }
            async fn latest_checkpoint(&mut self) -> crate::Result<Option<crate::CheckpointRow>> {
                Ok(sqlx::query_as("SELECT size, root, note, at_us FROM ledger_checkpoints ORDER BY size DESC LIMIT 1").fetch_optional(&mut *self.tx).await?)
            }
            async fn checkpoint_at(&mut self, size: i64) -> crate::Result<Option<crate::CheckpointRow>> {
                Ok(sqlx::query_as("SELECT size, root, note, at_us FROM ledger_checkpoints WHERE size = $1").bind(size).fetch_optional(&mut *self.tx).await?)
            }
            async fn upsert_cosignature(&mut self, size: i64, witness: &str, line: &str, at_us: i64) -> crate::Result<()> {
                sqlx::query("INSERT INTO ledger_cosignatures (size, witness, line, at_us) VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at_us = excluded.at_us")
                    .bind(size).bind(witness).bind(line).bind(at_us).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn cosignatures(&mut self, size: i64) -> crate::Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT line FROM ledger_cosignatures WHERE size = $1 ORDER BY witness").bind(size).fetch_all(&mut *self.tx).await?)
            }
            async fn events_of(&mut self, subject: &str) -> crate::Result<Vec<crate::EventRow>> {
                Ok(sqlx::query_as("SELECT seq, at_us, kind, subject, actor, body FROM events WHERE subject = $1 ORDER BY seq").bind(subject).fetch_all(&mut *self.tx).await?)
            }
            async fn count_meetings(&mut self) -> crate::Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM meetings").fetch_one(&mut *self.tx).await?)
            }
        }
    };
}

pub(crate) use impl_tx;
