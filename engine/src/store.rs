//! The durable state, in one SQLite file (docs/deploy.md, "State"): event sourcing. A contact's
//! state is its record (when it became known, its profile and consent then) and its event log;
//! beside them, how many of its replay's actions were already taken (`done`, with a hash of
//! that prefix), when it is next due, and the outbox of sends not yet delivered. A replay's new
//! actions, outbox rows and progress are written in one transaction, so a crash leaves either
//! all of them or none.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The schema, created on first use. `outbox.key` is the send's idempotency key: a send has
/// one key and one row, whatever happens to the process.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (id TEXT PRIMARY KEY, since INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, contact TEXT NOT NULL, at INTEGER NOT NULL,
  line TEXT NOT NULL, received_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_contact ON events (contact, seq);
CREATE TABLE IF NOT EXISTS progress (
  contact TEXT PRIMARY KEY, done INTEGER NOT NULL, prefix TEXT NOT NULL, next_due INTEGER,
  watermark INTEGER NOT NULL, bundles TEXT NOT NULL, frozen TEXT);
CREATE INDEX IF NOT EXISTS progress_by_due ON progress (next_due) WHERE next_due IS NOT NULL AND frozen IS NULL;
CREATE TABLE IF NOT EXISTS actions (contact TEXT NOT NULL, n INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (contact, n));
CREATE TABLE IF NOT EXISTS outbox (
  key TEXT PRIMARY KEY, contact TEXT NOT NULL, at INTEGER NOT NULL, action TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered) WHERE delivered = 0;
CREATE TABLE IF NOT EXISTS bundle_sets (hash TEXT PRIMARY KEY, texts TEXT NOT NULL);
";

/// Opens (or creates) the database: WAL, so the deliverer reads while the engine writes, and
/// `synchronous=FULL`, so a committed transaction is on disk before the commit returns.
pub fn open(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(|e| format!("cannot open the database `{}`: {e}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| format!("cannot use WAL: {e}"))?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(|e| e.to_string())?;
    conn.execute_batch(SCHEMA).map_err(|e| format!("cannot create the schema: {e}"))?;
    Ok(conn)
}

pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, String> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(|e| e.to_string())
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), String> {
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", [key, value])
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Keeps a bundle set's JSON texts under its hash (once): a contact keeps running on the set it
/// started on, so every set a contact may still run on must stay readable.
pub fn keep_bundle_set(conn: &Connection, hash: &str, texts: &[String]) -> Result<(), String> {
    let texts = serde_json::to_string(texts).map_err(|e| e.to_string())?;
    conn.execute("INSERT OR IGNORE INTO bundle_sets (hash, texts) VALUES (?1, ?2)", [hash, texts.as_str()])
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The JSON texts of the bundle set with this hash, if the database keeps it.
pub fn bundle_set(conn: &Connection, hash: &str) -> Result<Option<Vec<String>>, String> {
    let texts: Option<String> = conn
        .query_row("SELECT texts FROM bundle_sets WHERE hash = ?1", [hash], |r| r.get(0))
        .optional()
        .map_err(|e| e.to_string())?;
    match texts {
        None => Ok(None),
        Some(texts) => serde_json::from_str(&texts).map(Some).map_err(|e| format!("bundle set {hash}: {e}")),
    }
}

/// A contact's record: since when it is known, and its contact line (contacts.jsonl's shape).
pub struct Record {
    pub since: i64,
    pub line: String,
}

pub fn record(tx: &Connection, contact: &str) -> Result<Option<Record>, String> {
    tx.query_row("SELECT since, record FROM contacts WHERE id = ?1", [contact], |r| {
        Ok(Record { since: r.get(0)?, line: r.get(1)? })
    })
    .optional()
    .map_err(|e| e.to_string())
}

pub fn insert_record(tx: &Transaction<'_>, contact: &str, record: &Record) -> Result<(), String> {
    tx.execute(
        "INSERT INTO contacts (id, since, record) VALUES (?1, ?2, ?3)",
        params![contact, record.since, record.line],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

pub fn insert_event(tx: &Transaction<'_>, contact: &str, at: i64, line: &str, received_ms: i64) -> Result<(), String> {
    tx.execute(
        "INSERT INTO events (contact, at, line, received_ms) VALUES (?1, ?2, ?3, ?4)",
        params![contact, at, line, received_ms],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// A contact's events in arrival order (which is time order: times are clamped on arrival).
pub fn events(conn: &Connection, contact: &str) -> Result<Vec<String>, String> {
    let mut statement =
        conn.prepare_cached("SELECT line FROM events WHERE contact = ?1 ORDER BY seq").map_err(|e| e.to_string())?;
    let rows = statement.query_map([contact], |r| r.get(0)).map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<String>, _>>().map_err(|e| e.to_string())
}

pub fn event_count(conn: &Connection, contact: &str) -> Result<usize, String> {
    conn.query_row("SELECT count(*) FROM events WHERE contact = ?1", [contact], |r| r.get::<_, i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .map_err(|e| e.to_string())
}

/// Where a contact's replays stand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// Actions of the replay already taken (recorded, and their sends put in the outbox).
    pub done: usize,
    /// The hash of those actions' JSON lines, to check that a replay extends them.
    pub prefix: String,
    pub next_due: Option<i64>,
    /// The latest `now` the contact was replayed at: a later event is never placed before it.
    pub watermark: i64,
    /// The bundle set the contact was last replayed on.
    pub bundles: String,
    /// Why the contact is stopped (a replay that would change what was already taken), if it is.
    pub frozen: Option<String>,
}

pub fn progress(conn: &Connection, contact: &str) -> Result<Option<Progress>, String> {
    conn.query_row(
        "SELECT done, prefix, next_due, watermark, bundles, frozen FROM progress WHERE contact = ?1",
        [contact],
        |r| {
            Ok(Progress {
                done: usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                prefix: r.get(1)?,
                next_due: r.get(2)?,
                watermark: r.get(3)?,
                bundles: r.get(4)?,
                frozen: r.get(5)?,
            })
        },
    )
    .optional()
    .map_err(|e| e.to_string())
}

pub fn set_progress(tx: &Transaction<'_>, contact: &str, p: &Progress) -> Result<(), String> {
    tx.execute(
        "INSERT OR REPLACE INTO progress (contact, done, prefix, next_due, watermark, bundles, frozen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            contact,
            i64::try_from(p.done).unwrap_or(i64::MAX),
            p.prefix,
            p.next_due,
            p.watermark,
            p.bundles,
            p.frozen
        ],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

pub fn insert_action(tx: &Transaction<'_>, contact: &str, n: usize, line: &str) -> Result<(), String> {
    tx.execute(
        "INSERT OR REPLACE INTO actions (contact, n, line) VALUES (?1, ?2, ?3)",
        params![contact, i64::try_from(n).unwrap_or(i64::MAX), line],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

pub fn actions(conn: &Connection, contact: &str) -> Result<Vec<String>, String> {
    let mut statement =
        conn.prepare_cached("SELECT line FROM actions WHERE contact = ?1 ORDER BY n").map_err(|e| e.to_string())?;
    let rows = statement.query_map([contact], |r| r.get(0)).map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<String>, _>>().map_err(|e| e.to_string())
}

/// Puts a send in the outbox. A key already there (the same send, recorded before) is left
/// as it is: the row, and whether it was delivered, stay.
pub fn insert_outbox(tx: &Transaction<'_>, key: &str, contact: &str, at: i64, line: &str) -> Result<(), String> {
    tx.execute(
        "INSERT OR IGNORE INTO outbox (key, contact, at, action) VALUES (?1, ?2, ?3, ?4)",
        params![key, contact, at, line],
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Contacts due at or before `now`, earliest first, at most `limit`.
pub fn due(conn: &Connection, now: i64, limit: usize) -> Result<Vec<String>, String> {
    let mut statement = conn
        .prepare_cached(
            "SELECT contact FROM progress WHERE next_due IS NOT NULL AND frozen IS NULL AND next_due <= ?1
             ORDER BY next_due, contact LIMIT ?2",
        )
        .map_err(|e| e.to_string())?;
    let rows = statement
        .query_map(params![now, i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<String>, _>>().map_err(|e| e.to_string())
}

pub fn earliest_due(conn: &Connection) -> Result<Option<i64>, String> {
    conn.query_row("SELECT min(next_due) FROM progress WHERE next_due IS NOT NULL AND frozen IS NULL", [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

pub fn timers_pending(conn: &Connection) -> Result<i64, String> {
    conn.query_row("SELECT count(*) FROM progress WHERE next_due IS NOT NULL AND frozen IS NULL", [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

pub fn outbox_pending(conn: &Connection) -> Result<i64, String> {
    conn.query_row("SELECT count(*) FROM outbox WHERE delivered = 0", [], |r| r.get(0)).map_err(|e| e.to_string())
}

/// An undelivered send: its row, key and JSON line.
pub struct Pending {
    pub row: i64,
    pub key: String,
    pub action: String,
}

/// Undelivered sends in the order they were recorded, at most `limit`.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<Pending>, String> {
    let mut statement = conn
        .prepare_cached("SELECT rowid, key, action FROM outbox WHERE delivered = 0 ORDER BY rowid LIMIT ?1")
        .map_err(|e| e.to_string())?;
    let rows = statement
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(Pending { row: r.get(0)?, key: r.get(1)?, action: r.get(2)? })
        })
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<Pending>, _>>().map_err(|e| e.to_string())
}

pub fn mark_delivered(conn: &Connection, row: i64) -> Result<(), String> {
    conn.execute("UPDATE outbox SET delivered = 1 WHERE rowid = ?1", [row]).map(|_| ()).map_err(|e| e.to_string())
}

/// Marks outbox rows in one transaction: (row, 1 delivered or 2 refused by the sink).
pub fn mark(conn: &Connection, rows: &[(i64, i64)]) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    for (row, state) in rows {
        tx.execute("UPDATE outbox SET delivered = ?2 WHERE rowid = ?1", [row, state]).map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())
}

/// Every contact id, sorted (tests and the crash test's check read the whole log).
pub fn contact_ids(conn: &Connection) -> Result<Vec<String>, String> {
    let mut statement = conn.prepare("SELECT id FROM contacts ORDER BY id").map_err(|e| e.to_string())?;
    let rows = statement.query_map([], |r| r.get(0)).map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<String>, _>>().map_err(|e| e.to_string())
}
