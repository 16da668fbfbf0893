//! SQL for `OutcomesStore`, stamped out for both backends.

use super::outcomes::{Client, MemberLink, Sealed, StoredIncident, StoredRecord};
use super::{StoreError, StoreResult};
use crate::outcomes::{ClientCode, Incident, Record};
use chrono::{DateTime, Utc};

pub(super) const CLIENT_COLUMNS: &str = "SELECT c.id, c.code, c.created_at, \
     EXISTS (SELECT 1 FROM identities i WHERE i.client_id = c.id) FROM clients c";

pub(super) type ClientRow = (i64, String, DateTime<Utc>, bool);

pub(super) const LINK_COLUMNS: &str =
    "SELECT cm.client_id, m.id, m.group_id, g.name, m.member_code \
     FROM client_members cm JOIN members m ON m.id = cm.member_id \
     JOIN shg_groups g ON g.id = m.group_id";

pub(super) type LinkRow = (i64, i64, i64, String, String);

pub(super) fn clients_of(rows: Vec<ClientRow>, links: Vec<LinkRow>) -> StoreResult<Vec<Client>> {
    let mut by_client: std::collections::HashMap<i64, Vec<MemberLink>> =
        std::collections::HashMap::new();
    for (client_id, member_id, group_id, group_name, member_code) in links {
        by_client.entry(client_id).or_default().push(MemberLink {
            member_id,
            group_id,
            group_name,
            member_code,
        });
    }
    rows.into_iter()
        .map(|(id, code, created_at, has_identity)| {
            Ok(Client {
                id,
                code: ClientCode::parse(&code).map_err(|_| {
                    StoreError::Corrupt(format!("client {id} has a malformed code"))
                })?,
                created_at,
                members: by_client.remove(&id).unwrap_or_default(),
                has_identity,
            })
        })
        .collect()
}

pub(super) const RECORD_COLUMNS: &str = "SELECT r.id, r.client_id, r.payload, u.display_name, \
     r.recorded_at FROM outcome_records r JOIN users u ON u.id = r.recorded_by";

pub(super) type RecordRow = (i64, i64, String, String, DateTime<Utc>);

pub(super) fn record_of(r: RecordRow) -> StoreResult<StoredRecord> {
    let (id, client_id, payload, recorded_by, recorded_at) = r;
    let record: Record = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("outcome record {id}: {e}")))?;
    Ok(StoredRecord {
        id,
        client_id,
        record,
        recorded_by,
        recorded_at,
    })
}

pub(super) const INCIDENT_COLUMNS: &str = "SELECT i.id, i.client_id, i.payload, i.narrative, \
     i.key_fingerprint, u.display_name, i.updated_at \
     FROM incidents i JOIN users u ON u.id = i.recorded_by";

pub(super) type IncidentRow = (
    i64,
    i64,
    String,
    Option<Vec<u8>>,
    Option<String>,
    String,
    DateTime<Utc>,
);

pub(super) fn incident_of(r: IncidentRow) -> StoreResult<StoredIncident> {
    let (id, client_id, payload, narrative, fingerprint, recorded_by, updated_at) = r;
    let incident: Incident = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("incident {id}: {e}")))?;
    Ok(StoredIncident {
        id,
        client_id,
        incident,
        narrative: narrative.map(|bytes| Sealed {
            bytes,
            key_fingerprint: fingerprint.unwrap_or_default(),
        }),
        recorded_by,
        updated_at,
    })
}

pub(super) fn payload<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot store record: {e}")))
}

macro_rules! impl_outcomes_store {
    ($store:ident, $db:ty) => {
        mod outcomes_impl {
            use super::$store;
            use $crate::ledger::MemberId;
            use $crate::outcomes::{ClientCode, Incident, Record};
            use $crate::store::outcomes::{
                Access, AccessLine, Client, ClientId, IncidentId, OutcomesStore, Sealed,
                StoredIncident, StoredRecord,
            };
            use $crate::store::outcomes_sql::{
                clients_of, incident_of, payload, record_of, ClientRow, IncidentRow, LinkRow,
                RecordRow, CLIENT_COLUMNS, INCIDENT_COLUMNS, LINK_COLUMNS, RECORD_COLUMNS,
            };
            use $crate::store::{StoreError, StoreResult, UserId};
            use $crate::store::shared::ROWS_PER_INSERT;
            use chrono::{DateTime, NaiveDate, Utc};
            use std::collections::HashMap;

            /// The row a form key already wrote in `table` (`outcome_records`
            /// or `incidents`): its id when the values are the same, a
            /// conflict when they differ.
            async fn replayed(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                client_id: ClientId,
                key: &str,
                body: &str,
            ) -> StoreResult<i64> {
                let (id, stored): (i64, String) = sqlx::query_as(&format!(
                    "SELECT id, payload FROM {table} WHERE client_id = $1 AND idempotency_key = $2"
                ))
                .bind(client_id)
                .bind(key)
                .fetch_one(&mut **tx)
                .await?;
                if stored != body {
                    return Err(StoreError::Duplicate(
                        "this form was already saved with other values: reload the page".into(),
                    ));
                }
                Ok(id)
            }

            impl $store {
                async fn clients_where(&self, filter: &str, bind: Option<&str>) -> StoreResult<Vec<Client>> {
                    let sql = format!("{CLIENT_COLUMNS} {filter} ORDER BY c.id DESC");
                    let mut q = sqlx::query_as::<_, ClientRow>(&sql);
                    if let Some(b) = bind {
                        q = q.bind(b.to_string());
                    }
                    let rows = q.fetch_all(&self.pool).await?;
                    let links: Vec<LinkRow> = if rows.len() == 1 {
                        sqlx::query_as(&format!("{LINK_COLUMNS} WHERE cm.client_id = $1 ORDER BY m.id"))
                            .bind(rows[0].0)
                            .fetch_all(&self.pool)
                            .await?
                    } else {
                        sqlx::query_as(&format!("{LINK_COLUMNS} ORDER BY m.id"))
                            .fetch_all(&self.pool)
                            .await?
                    };
                    clients_of(rows, links)
                }
            }

            #[async_trait::async_trait]
            impl OutcomesStore for $store {
                async fn create_client(
                    &self,
                    code: &ClientCode,
                    members: &[MemberId],
                    identity: Option<&Sealed>,
                    by: UserId,
                ) -> StoreResult<Client> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let now = Utc::now();
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO clients (code, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(code.as_str())
                    .bind(now)
                    .bind(by)
                    .fetch_one(&mut *tx)
                    .await?;
                    for member in members {
                        sqlx::query("INSERT INTO client_members (client_id, member_id) VALUES ($1, $2)")
                            .bind(id)
                            .bind(member)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(sealed) = identity {
                        sqlx::query(
                            "INSERT INTO identities (client_id, sealed, key_fingerprint, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(id)
                        .bind(&sealed.bytes)
                        .bind(&sealed.key_fingerprint)
                        .bind(now)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    self.client(code).await
                }

                async fn client(&self, code: &ClientCode) -> StoreResult<Client> {
                    self.clients_where("WHERE c.code = $1", Some(code.as_str()))
                        .await?
                        .into_iter()
                        .next()
                        .ok_or_else(|| StoreError::not_found("client", code))
                }

                async fn client_of_member(&self, member_id: MemberId) -> StoreResult<Option<Client>> {
                    let code: Option<(String,)> = sqlx::query_as(
                        "SELECT c.code FROM clients c JOIN client_members cm ON cm.client_id = c.id \
                         WHERE cm.member_id = $1",
                    )
                    .bind(member_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    match code {
                        None => Ok(None),
                        Some((code,)) => {
                            let code = ClientCode::parse(&code).map_err(|_| {
                                StoreError::Corrupt("a client has a malformed code".into())
                            })?;
                            self.client(&code).await.map(Some)
                        }
                    }
                }

                async fn clients(&self) -> StoreResult<Vec<Client>> {
                    self.clients_where("", None).await
                }

                async fn link_member(&self, client_id: ClientId, member_id: MemberId) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("INSERT INTO client_members (client_id, member_id) VALUES ($1, $2)")
                        .bind(client_id)
                        .bind(member_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn identity(&self, client_id: ClientId) -> StoreResult<Option<Sealed>> {
                    let row: Option<(Vec<u8>, String)> = sqlx::query_as(
                        "SELECT sealed, key_fingerprint FROM identities WHERE client_id = $1",
                    )
                    .bind(client_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(|(bytes, key_fingerprint)| Sealed { bytes, key_fingerprint }))
                }

                async fn sealed_identities(&self) -> StoreResult<Vec<(ClientCode, Sealed)>> {
                    let rows: Vec<(String, Vec<u8>, String)> = sqlx::query_as(
                        "SELECT c.code, i.sealed, i.key_fingerprint FROM identities i \
                         JOIN clients c ON c.id = i.client_id ORDER BY c.id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter()
                        .map(|(code, bytes, key_fingerprint)| {
                            let code = ClientCode::parse(&code).map_err(|_| {
                                StoreError::Corrupt("a client has a malformed code".into())
                            })?;
                            Ok((code, Sealed { bytes, key_fingerprint }))
                        })
                        .collect()
                }

                async fn set_identity(&self, client_id: ClientId, sealed: &Sealed, by: UserId) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO identities (client_id, sealed, key_fingerprint, updated_at, updated_by) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (client_id) DO UPDATE SET sealed = excluded.sealed, \
                         key_fingerprint = excluded.key_fingerprint, updated_at = excluded.updated_at, \
                         updated_by = excluded.updated_by",
                    )
                    .bind(client_id)
                    .bind(&sealed.bytes)
                    .bind(&sealed.key_fingerprint)
                    .bind(Utc::now())
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn sealing_fingerprints(&self) -> StoreResult<Vec<String>> {
                    let rows: Vec<(String,)> = sqlx::query_as(
                        "SELECT key_fingerprint FROM identities \
                         UNION SELECT key_fingerprint FROM incidents WHERE key_fingerprint IS NOT NULL",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(|r| r.0).collect())
                }

                async fn add_record(
                    &self,
                    client_id: ClientId,
                    record: &Record,
                    key: &str,
                    by: UserId,
                ) -> StoreResult<i64> {
                    let body = payload(record)?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    let inserted: Option<(i64,)> = sqlx::query_as(
                        "INSERT INTO outcome_records \
                         (client_id, kind, event_on, payload, idempotency_key, recorded_by, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (client_id, idempotency_key) DO NOTHING RETURNING id",
                    )
                    .bind(client_id)
                    .bind(record.kind())
                    .bind(record.event_on())
                    .bind(&body)
                    .bind(key)
                    .bind(by)
                    .bind(Utc::now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let id = match inserted {
                        Some((id,)) => id,
                        None => replayed(&mut tx, "outcome_records", client_id, key, &body).await?,
                    };
                    tx.commit().await?;
                    Ok(id)
                }

                async fn add_records(
                    &self,
                    client_id: ClientId,
                    records: &[(String, Record)],
                    by: UserId,
                ) -> StoreResult<Vec<i64>> {
                    let conflict = |n: usize| {
                        StoreError::Duplicate(format!(
                            "record {} of {} was already saved with other values",
                            n + 1,
                            records.len()
                        ))
                    };
                    let bodies = records
                        .iter()
                        .map(|(_, record)| payload(record))
                        .collect::<StoreResult<Vec<_>>>()?;
                    // A key's first record in the batch is the one written; a
                    // later one with the same key is checked against it here.
                    let mut first: HashMap<&str, usize> = HashMap::new();
                    let mut fresh = Vec::with_capacity(records.len());
                    for (n, (key, _)) in records.iter().enumerate() {
                        match first.get(key.as_str()) {
                            Some(&f) if bodies[f] != bodies[n] => return Err(conflict(n)),
                            Some(_) => {}
                            None => {
                                first.insert(key.as_str(), n);
                                fresh.push(n);
                            }
                        }
                    }
                    if fresh.is_empty() {
                        return Ok(Vec::new());
                    }
                    let now = Utc::now();
                    let mut ids: HashMap<String, i64> = HashMap::with_capacity(fresh.len());
                    let (_guard, mut tx) = self.begin_write().await?;
                    for chunk in fresh.chunks(ROWS_PER_INSERT / 5) {
                        let values = (0..chunk.len())
                            .map(|i| {
                                let p = 4 * i + 4;
                                format!("($1, ${p}, ${}, ${}, ${}, $2, $3)", p + 1, p + 2, p + 3)
                            })
                            .collect::<Vec<_>>()
                            .join(", ");
                        let sql = format!(
                            "INSERT INTO outcome_records \
                             (client_id, kind, event_on, payload, idempotency_key, recorded_by, recorded_at) \
                             VALUES {values} \
                             ON CONFLICT (client_id, idempotency_key) DO NOTHING \
                             RETURNING id, idempotency_key"
                        );
                        let mut insert = sqlx::query_as::<_, (i64, String)>(&sql)
                            .bind(client_id)
                            .bind(by)
                            .bind(now);
                        for &n in chunk {
                            let (key, record) = &records[n];
                            insert = insert
                                .bind(record.kind())
                                .bind(record.event_on())
                                .bind(bodies[n].as_str())
                                .bind(key.as_str());
                        }
                        ids.extend(insert.fetch_all(&mut *tx).await?.into_iter().map(|(id, key)| (key, id)));
                    }
                    // Keys written before: a replay when the stored record is
                    // the same.
                    let sent: Vec<usize> = fresh
                        .into_iter()
                        .filter(|&n| !ids.contains_key(&records[n].0))
                        .collect();
                    for chunk in sent.chunks(ROWS_PER_INSERT / 5) {
                        let keys = (0..chunk.len())
                            .map(|i| format!("${}", i + 2))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let sql = format!(
                            "SELECT id, idempotency_key, payload FROM outcome_records \
                             WHERE client_id = $1 AND idempotency_key IN ({keys})"
                        );
                        let mut select = sqlx::query_as::<_, (i64, String, String)>(&sql).bind(client_id);
                        for &n in chunk {
                            select = select.bind(records[n].0.as_str());
                        }
                        for (id, key, stored) in select.fetch_all(&mut *tx).await? {
                            let Some(&n) = first.get(key.as_str()) else { continue };
                            if stored != bodies[n] {
                                return Err(conflict(n));
                            }
                            ids.insert(key, id);
                        }
                    }
                    tx.commit().await?;
                    records
                        .iter()
                        .map(|(key, _)| {
                            ids.get(key).copied().ok_or_else(|| {
                                StoreError::Corrupt("an outcome record key was neither written nor found".into())
                            })
                        })
                        .collect()
                }

                async fn records(&self, client_id: ClientId) -> StoreResult<Vec<StoredRecord>> {
                    let rows: Vec<RecordRow> = sqlx::query_as(&format!(
                        "{RECORD_COLUMNS} WHERE r.client_id = $1 ORDER BY r.event_on, r.id"
                    ))
                    .bind(client_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(record_of).collect()
                }

                async fn all_records(&self) -> StoreResult<Vec<StoredRecord>> {
                    let rows: Vec<RecordRow> = sqlx::query_as(&format!(
                        "{RECORD_COLUMNS} ORDER BY r.client_id, r.event_on, r.id"
                    ))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(record_of).collect()
                }

                async fn add_incident(
                    &self,
                    client_id: ClientId,
                    incident: &Incident,
                    narrative: Option<&Sealed>,
                    key: &str,
                    by: UserId,
                ) -> StoreResult<IncidentId> {
                    let body = payload(incident)?;
                    let now = Utc::now();
                    let (_guard, mut tx) = self.begin_write().await?;
                    let inserted: Option<(i64,)> = sqlx::query_as(
                        "INSERT INTO incidents (client_id, reported_at, payload, narrative, key_fingerprint, \
                         idempotency_key, recorded_by, recorded_at, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8) \
                         ON CONFLICT (client_id, idempotency_key) DO NOTHING RETURNING id",
                    )
                    .bind(client_id)
                    .bind(incident.reported_at)
                    .bind(&body)
                    .bind(narrative.map(|n| n.bytes.clone()))
                    .bind(narrative.map(|n| n.key_fingerprint.clone()))
                    .bind(key)
                    .bind(by)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let id = match inserted {
                        Some((id,)) => id,
                        // A re-sent form: the narrative is sealed with a fresh
                        // nonce each time, so only the values are compared.
                        None => replayed(&mut tx, "incidents", client_id, key, &body).await?,
                    };
                    tx.commit().await?;
                    Ok(id)
                }

                async fn update_incident(
                    &self,
                    id: IncidentId,
                    incident: &Incident,
                    narrative: Option<&Sealed>,
                    by: UserId,
                ) -> StoreResult<()> {
                    let body = payload(incident)?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    let done = match narrative {
                        Some(n) => sqlx::query(
                            "UPDATE incidents SET payload = $1, reported_at = $2, narrative = $3, \
                             key_fingerprint = $4, updated_by = $5, updated_at = $6 WHERE id = $7",
                        )
                        .bind(&body)
                        .bind(incident.reported_at)
                        .bind(&n.bytes)
                        .bind(&n.key_fingerprint)
                        .bind(by)
                        .bind(Utc::now())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?,
                        None => sqlx::query(
                            "UPDATE incidents SET payload = $1, reported_at = $2, updated_by = $3, \
                             updated_at = $4 WHERE id = $5",
                        )
                        .bind(&body)
                        .bind(incident.reported_at)
                        .bind(by)
                        .bind(Utc::now())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?,
                    };
                    if done.rows_affected() == 0 {
                        return Err(StoreError::not_found("incident", id));
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn incidents(&self, client_id: ClientId) -> StoreResult<Vec<StoredIncident>> {
                    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
                        "{INCIDENT_COLUMNS} WHERE i.client_id = $1 ORDER BY i.reported_at DESC, i.id DESC"
                    ))
                    .bind(client_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(incident_of).collect()
                }

                async fn all_incidents(&self) -> StoreResult<Vec<StoredIncident>> {
                    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
                        "{INCIDENT_COLUMNS} ORDER BY i.reported_at, i.id"
                    ))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(incident_of).collect()
                }

                async fn log_access(&self, access: &Access<'_>) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO access_log (at, user_id, actor, role, client_id, record, page, reason) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(Utc::now())
                    .bind(access.user_id)
                    .bind(access.actor)
                    .bind(access.role)
                    .bind(access.client_id)
                    .bind(access.record)
                    .bind(access.page)
                    .bind(access.reason)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn access_log(
                    &self,
                    client: Option<ClientId>,
                    since: Option<NaiveDate>,
                    limit: u32,
                ) -> StoreResult<Vec<AccessLine>> {
                    let since: DateTime<Utc> = since
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                    let rows: Vec<(i64, DateTime<Utc>, String, String, Option<String>, String, String, Option<String>)> =
                        sqlx::query_as(
                            "SELECT l.id, l.at, l.actor, l.role, c.code, l.record, l.page, l.reason \
                             FROM access_log l LEFT JOIN clients c ON c.id = l.client_id \
                             WHERE ($1 IS NULL OR l.client_id = $1) AND l.at >= $2 \
                             ORDER BY l.id DESC LIMIT $3",
                        )
                        .bind(client)
                        .bind(since)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, at, actor, role, code, record, page, reason)| AccessLine {
                            id,
                            at,
                            actor,
                            role,
                            client: code.and_then(|c| ClientCode::parse(&c).ok()),
                            record,
                            page,
                            reason,
                        })
                        .collect())
                }
            }
        }
    };
}
