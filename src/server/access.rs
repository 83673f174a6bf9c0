//! [`AccessStore`]: where the server's tokens and grants live, chosen
//! like a project's backend. With `TERRACE_BACKEND=postgres` they are in
//! the database named by `TERRACE_DATABASE_URL` (tables `terrace_tokens`
//! and `terrace_grants`, so that every instance on it agrees); otherwise
//! in two JSON files in the server's data directory (mode 0600, written
//! atomically, read-modify-write under a file lock).
//!
//! The plans made through the API and the jobs the server runs are kept
//! beside them (tables `terrace_plans`, `terrace_jobs`,
//! `terrace_job_events`; or the `plans/` and `jobs/` directories).
//!
//! Nothing is cached: each request reads the records afresh, so a token or
//! grant made by `terrace serve token create` or `grant` counts at once.

use super::jobs::JobRecord;
use super::role::Role;
use crate::config::DATABASE_URL_VARIABLE;
use crate::store::BACKEND_VARIABLE;
use crate::store::postgres::access::{GrantRow, PgAccess, PlanRow, TokenRow};
use crate::value::Secret;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A token's record: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub hash: String,
    pub user: String,
    /// RFC 3339.
    pub created: String,
}

/// A user's role on a project (by the project's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub user: String,
    pub project: String,
    pub role: String,
}

impl Grant {
    /// Its role; `None` for a name this terrace does not know (a newer
    /// one's), which grants nothing.
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

impl From<GrantRow> for Grant {
    fn from(r: GrantRow) -> Grant {
        Grant {
            user: r.user,
            project: r.project,
            role: r.role,
        }
    }
}

/// A saved plan made through the API, kept under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptPlan {
    pub id: String,
    pub project: String,
    pub env: String,
    /// Who made it (the authenticated caller).
    pub author: String,
    /// RFC 3339.
    pub created: String,
    /// The plan file's bytes, as `terrace plan --out` writes them.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A user or project name as given: trimmed, not empty, no control
/// characters. The error completes "the user …" or "--user …".
pub fn valid_name(value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(char::is_control) {
        return Err("needs a name without control characters".into());
    }
    Ok(v.to_string())
}

/// Why the access records cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the server's access records ({location}): {cause}")]
pub struct AccessError {
    pub location: String,
    pub cause: String,
}

/// The server's tokens and grants.
pub trait AccessStore: Send + Sync {
    /// Records a new token's hash.
    fn add_token(&self, record: &TokenRecord) -> Result<(), AccessError>;
    /// Removes the token that hashes to `hash` (a console session
    /// signing out); whether there was one.
    fn remove_token(&self, hash: &str) -> Result<bool, AccessError>;
    /// The user whose token hashes to `hash`, if any.
    fn user_of(&self, hash: &str) -> Result<Option<String>, AccessError>;
    /// Gives the user the role on the project, replacing the one it had.
    fn grant(&self, grant: &Grant) -> Result<(), AccessError>;
    /// Takes the user's role on the project away; whether there was one.
    fn revoke(&self, user: &str, project: &str) -> Result<bool, AccessError>;
    /// The user's grants, by project name.
    fn grants_of(&self, user: &str) -> Result<Vec<Grant>, AccessError>;
    /// The grants on the project, by user name.
    fn grants_on(&self, project: &str) -> Result<Vec<Grant>, AccessError>;
    /// Keeps a plan under its id.
    fn keep_plan(&self, plan: &KeptPlan) -> Result<(), AccessError>;
    /// The plan of project `project` kept under `id`, if any.
    fn kept_plan(&self, project: &str, id: &str) -> Result<Option<KeptPlan>, AccessError>;
    /// The plans kept for project `project`, in no order, without their
    /// bytes (for lists: a plan's bytes are read by [`Self::kept_plan`]).
    fn plans_of(&self, project: &str) -> Result<Vec<KeptPlan>, AccessError>;
    /// Records a job, or replaces its record (its state, its heartbeat).
    fn put_job(&self, job: &JobRecord) -> Result<(), AccessError>;
    /// The job `id`, if any.
    fn job(&self, id: &str) -> Result<Option<JobRecord>, AccessError>;
    /// The jobs of project `project`, in no order.
    fn jobs_of(&self, project: &str) -> Result<Vec<JobRecord>, AccessError>;
    /// Appends event lines to job `id`; `first` is the number of the
    /// first (the count of lines appended before: one writer a job).
    fn append_job_events(
        &self,
        id: &str,
        first: usize,
        lines: &[String],
    ) -> Result<(), AccessError>;
    /// The event lines of job `id` from number `from` on.
    fn job_events(&self, id: &str, from: usize) -> Result<Vec<String>, AccessError>;
    /// Where the records are, for messages.
    fn location(&self) -> String;
}

/// Where the server's records are, as the environment chooses: the
/// database's URL with `TERRACE_BACKEND=postgres`, else (`None`) files in
/// the data directory. Shared by the access records and the Terraform
/// states.
pub fn chosen_database() -> Result<Option<Secret>, AccessError> {
    let setting = std::env::var(BACKEND_VARIABLE).unwrap_or_default();
    match setting.trim() {
        "postgres" => std::env::var(DATABASE_URL_VARIABLE)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(|u| Some(Secret::new(u)))
            .ok_or_else(|| AccessError {
                location: format!("postgres ({DATABASE_URL_VARIABLE})"),
                cause: format!(
                    "{BACKEND_VARIABLE}=postgres needs the database URL in {DATABASE_URL_VARIABLE}, which is not set"
                ),
            }),
        "" | "local" => Ok(None),
        _ => Err(AccessError {
            location: BACKEND_VARIABLE.to_string(),
            cause: "it is set to something other than `local` or `postgres`".into(),
        }),
    }
}

/// Opens the store the environment chooses ([`chosen_database`]):
/// PostgreSQL, or the JSON files in `data_dir`.
pub fn open(data_dir: &Path) -> Result<Box<dyn AccessStore>, AccessError> {
    match chosen_database()? {
        Some(url) => {
            let db = PgAccess::open(&url, DATABASE_URL_VARIABLE).map_err(|e| AccessError {
                location: format!("postgres ({DATABASE_URL_VARIABLE})"),
                cause: e.to_string(),
            })?;
            Ok(Box::new(Postgres(db)))
        }
        None => Ok(Box::new(LocalAccess::new(data_dir))),
    }
}

/// Tokens and grants in `tokens.json` and `grants.json` of a directory.
pub struct LocalAccess {
    dir: PathBuf,
}

impl LocalAccess {
    pub fn new(dir: &Path) -> LocalAccess {
        LocalAccess {
            dir: crate::ops::absolute(dir),
        }
    }

    fn err(&self, file: &str, cause: impl std::fmt::Display) -> AccessError {
        AccessError {
            location: self.dir.join(file).display().to_string(),
            cause: cause.to_string(),
        }
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, file: &str) -> Result<Vec<T>, AccessError> {
        match std::fs::read(self.dir.join(file)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.err(file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.err(file, e)),
        }
    }

    /// The JSON records `DIR/ID.json` of directory `dir` (plans, jobs),
    /// those whose id the server could have made; one removed while the
    /// directory is read is left out.
    fn records_in<T: for<'de> Deserialize<'de>>(&self, dir: &str) -> Result<Vec<T>, AccessError> {
        let entries = match std::fs::read_dir(self.dir.join(dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err(dir, e)),
        };
        let mut records = Vec::new();
        for entry in entries {
            let name = entry.map_err(|e| self.err(dir, e))?.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .filter(|id| made_id(id))
            else {
                continue;
            };
            let record = format!("{dir}/{id}.json");
            match std::fs::read(self.dir.join(&record)) {
                Ok(json) => {
                    records.push(serde_json::from_slice(&json).map_err(|e| self.err(&record, e))?)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.err(&record, e)),
            }
        }
        Ok(records)
    }

    /// Reads `file`, lets `change` edit its records and writes them back
    /// atomically, all under the directory's lock (two `grant` commands at
    /// once lose neither).
    fn update<T, R>(
        &self,
        file: &str,
        change: impl FnOnce(&mut Vec<T>) -> R,
    ) -> Result<R, AccessError>
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let _lock = lock_dir(&self.dir).map_err(|e| self.err(".lock", e))?;
        let mut records = self.read(file)?;
        let result = change(&mut records);
        let bytes = serde_json::to_vec_pretty(&records).map_err(|e| self.err(file, e))?;
        crate::state::write_atomic(&self.dir.join(file), &bytes).map_err(|e| self.err(file, e))?;
        Ok(result)
    }
}

/// Creates `dir` (if need be) and holds the lock of its records (the
/// file `.lock`) until the file returned is dropped: two processes
/// updating the same records take turns.
pub(super) fn lock_dir(dir: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    create_private_dir(dir)?;
    let lock = std::fs::OpenOptions::new()
        .mode(0o600)
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))?;
    lock.lock()?;
    Ok(lock)
}

/// Creates `dir` (and its parents) readable by its owner only (the
/// records name users and their roles).
pub(super) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

const TOKENS: &str = "tokens.json";
const GRANTS: &str = "grants.json";
const PLANS: &str = "plans";
const JOBS: &str = "jobs";

/// Whether `id` can be an id the server made (hex): anything else names
/// no plan or job, and never a path outside the directory.
fn made_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl AccessStore for LocalAccess {
    fn add_token(&self, record: &TokenRecord) -> Result<(), AccessError> {
        self.update(TOKENS, |tokens: &mut Vec<TokenRecord>| {
            tokens.push(record.clone())
        })
    }

    fn remove_token(&self, hash: &str) -> Result<bool, AccessError> {
        self.update(TOKENS, |tokens: &mut Vec<TokenRecord>| {
            let before = tokens.len();
            tokens.retain(|t| t.hash != hash);
            tokens.len() != before
        })
    }

    fn user_of(&self, hash: &str) -> Result<Option<String>, AccessError> {
        let tokens: Vec<TokenRecord> = self.read(TOKENS)?;
        Ok(tokens.into_iter().find(|t| t.hash == hash).map(|t| t.user))
    }

    fn grant(&self, grant: &Grant) -> Result<(), AccessError> {
        self.update(GRANTS, |grants: &mut Vec<Grant>| {
            grants.retain(|g| !(g.user == grant.user && g.project == grant.project));
            grants.push(grant.clone());
        })
    }

    fn revoke(&self, user: &str, project: &str) -> Result<bool, AccessError> {
        self.update(GRANTS, |grants: &mut Vec<Grant>| {
            let before = grants.len();
            grants.retain(|g| !(g.user == user && g.project == project));
            grants.len() != before
        })
    }

    fn grants_of(&self, user: &str) -> Result<Vec<Grant>, AccessError> {
        let mut grants: Vec<Grant> = self.read(GRANTS)?;
        grants.retain(|g| g.user == user);
        grants.sort_by(|a, b| a.project.cmp(&b.project));
        Ok(grants)
    }

    fn keep_plan(&self, plan: &KeptPlan) -> Result<(), AccessError> {
        // The plan's bytes first, then the record that names it: a plan
        // is found only once whole.
        let dir = self.dir.join(PLANS);
        let (bytes, record) = (
            format!("{PLANS}/{}.plan", plan.id),
            format!("{PLANS}/{}.json", plan.id),
        );
        create_private_dir(&dir).map_err(|e| self.err(PLANS, e))?;
        crate::state::write_atomic(&self.dir.join(&bytes), &plan.bytes)
            .map_err(|e| self.err(&bytes, e))?;
        let json = serde_json::to_vec_pretty(plan).map_err(|e| self.err(&record, e))?;
        crate::state::write_atomic(&self.dir.join(&record), &json).map_err(|e| self.err(&record, e))
    }

    fn kept_plan(&self, project: &str, id: &str) -> Result<Option<KeptPlan>, AccessError> {
        if !made_id(id) {
            return Ok(None);
        }
        let record = format!("{PLANS}/{id}.json");
        let mut plan: KeptPlan = match std::fs::read(self.dir.join(&record)) {
            Ok(json) => serde_json::from_slice(&json).map_err(|e| self.err(&record, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err(&record, e)),
        };
        if plan.project != project {
            return Ok(None);
        }
        let bytes = format!("{PLANS}/{id}.plan");
        plan.bytes =
            crate::bounded::read_record(&self.dir.join(&bytes)).map_err(|e| self.err(&bytes, e))?;
        Ok(Some(plan))
    }

    fn plans_of(&self, project: &str) -> Result<Vec<KeptPlan>, AccessError> {
        // The records only: a plan's `bytes` are not in its record.
        let mut plans: Vec<KeptPlan> = self.records_in(PLANS)?;
        plans.retain(|p| p.project == project);
        Ok(plans)
    }

    fn put_job(&self, job: &JobRecord) -> Result<(), AccessError> {
        let dir = self.dir.join(JOBS);
        let record = format!("{JOBS}/{}.json", job.id);
        create_private_dir(&dir).map_err(|e| self.err(JOBS, e))?;
        let json = serde_json::to_vec_pretty(job).map_err(|e| self.err(&record, e))?;
        crate::state::write_atomic(&self.dir.join(&record), &json).map_err(|e| self.err(&record, e))
    }

    fn job(&self, id: &str) -> Result<Option<JobRecord>, AccessError> {
        if !made_id(id) {
            return Ok(None);
        }
        let record = format!("{JOBS}/{id}.json");
        match std::fs::read(self.dir.join(&record)) {
            Ok(json) => serde_json::from_slice(&json)
                .map(Some)
                .map_err(|e| self.err(&record, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(&record, e)),
        }
    }

    fn jobs_of(&self, project: &str) -> Result<Vec<JobRecord>, AccessError> {
        let mut jobs: Vec<JobRecord> = self.records_in(JOBS)?;
        jobs.retain(|j| j.project == project);
        Ok(jobs)
    }

    fn append_job_events(
        &self,
        id: &str,
        _first: usize,
        lines: &[String],
    ) -> Result<(), AccessError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let file = format!("{JOBS}/{id}.events");
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        // One write of whole lines: a reader sees a line only once it
        // ends with its newline.
        std::fs::OpenOptions::new()
            .mode(0o600)
            .create(true)
            .append(true)
            .open(self.dir.join(&file))
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| self.err(&file, e))
    }

    fn job_events(&self, id: &str, from: usize) -> Result<Vec<String>, AccessError> {
        if !made_id(id) {
            return Ok(Vec::new());
        }
        let file = format!("{JOBS}/{id}.events");
        let text = match std::fs::read_to_string(self.dir.join(&file)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err(&file, e)),
        };
        // Only whole lines: the last one may be under way.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        Ok(whole
            .split('\n')
            .filter(|_| !whole.is_empty())
            .skip(from)
            .map(str::to_string)
            .collect())
    }

    fn grants_on(&self, project: &str) -> Result<Vec<Grant>, AccessError> {
        let mut grants: Vec<Grant> = self.read(GRANTS)?;
        grants.retain(|g| g.project == project);
        grants.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(grants)
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

/// Tokens and grants in the database.
struct Postgres(PgAccess);

impl Postgres {
    fn err(&self, e: crate::store::postgres::DbError) -> AccessError {
        AccessError {
            location: self.location(),
            cause: e.0,
        }
    }

    fn decode_job(&self, record: &str) -> Result<JobRecord, AccessError> {
        serde_json::from_str(record).map_err(|e| AccessError {
            location: self.location(),
            cause: format!("a job's record: {e}"),
        })
    }
}

impl AccessStore for Postgres {
    fn add_token(&self, record: &TokenRecord) -> Result<(), AccessError> {
        self.0
            .add_token(&TokenRow {
                hash: record.hash.clone(),
                user: record.user.clone(),
                created: record.created.clone(),
            })
            .map_err(|e| self.err(e))
    }

    fn remove_token(&self, hash: &str) -> Result<bool, AccessError> {
        self.0.remove_token(hash).map_err(|e| self.err(e))
    }

    fn user_of(&self, hash: &str) -> Result<Option<String>, AccessError> {
        self.0.user_of(hash).map_err(|e| self.err(e))
    }

    fn grant(&self, grant: &Grant) -> Result<(), AccessError> {
        self.0
            .grant(&GrantRow {
                user: grant.user.clone(),
                project: grant.project.clone(),
                role: grant.role.clone(),
            })
            .map_err(|e| self.err(e))
    }

    fn revoke(&self, user: &str, project: &str) -> Result<bool, AccessError> {
        self.0.revoke(user, project).map_err(|e| self.err(e))
    }

    fn grants_of(&self, user: &str) -> Result<Vec<Grant>, AccessError> {
        let rows = self.0.grants_of(user).map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(Grant::from).collect())
    }

    fn keep_plan(&self, plan: &KeptPlan) -> Result<(), AccessError> {
        self.0
            .keep_plan(&PlanRow {
                id: plan.id.clone(),
                project: plan.project.clone(),
                env: plan.env.clone(),
                author: plan.author.clone(),
                created: plan.created.clone(),
                bytes: plan.bytes.clone(),
            })
            .map_err(|e| self.err(e))
    }

    fn kept_plan(&self, project: &str, id: &str) -> Result<Option<KeptPlan>, AccessError> {
        let row = self.0.plan(project, id).map_err(|e| self.err(e))?;
        Ok(row.map(|r| KeptPlan {
            id: r.id,
            project: r.project,
            env: r.env,
            author: r.author,
            created: r.created,
            bytes: r.bytes,
        }))
    }

    fn plans_of(&self, project: &str) -> Result<Vec<KeptPlan>, AccessError> {
        let rows = self.0.plans_of(project).map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(|r| KeptPlan {
                id: r.id,
                project: r.project,
                env: r.env,
                author: r.author,
                created: r.created,
                bytes: r.bytes,
            })
            .collect())
    }

    fn put_job(&self, job: &JobRecord) -> Result<(), AccessError> {
        let record = serde_json::to_string(job).map_err(|e| AccessError {
            location: self.location(),
            cause: e.to_string(),
        })?;
        self.0
            .put_job(&job.id, &job.project, &record)
            .map_err(|e| self.err(e))
    }

    fn job(&self, id: &str) -> Result<Option<JobRecord>, AccessError> {
        let record = self.0.job(id).map_err(|e| self.err(e))?;
        record.map(|r| self.decode_job(&r)).transpose()
    }

    fn jobs_of(&self, project: &str) -> Result<Vec<JobRecord>, AccessError> {
        let records = self.0.jobs_of(project).map_err(|e| self.err(e))?;
        records.iter().map(|r| self.decode_job(r)).collect()
    }

    fn append_job_events(
        &self,
        id: &str,
        first: usize,
        lines: &[String],
    ) -> Result<(), AccessError> {
        self.0
            .append_job_events(id, first as i64, lines)
            .map_err(|e| self.err(e))
    }

    fn job_events(&self, id: &str, from: usize) -> Result<Vec<String>, AccessError> {
        self.0.job_events(id, from as i64).map_err(|e| self.err(e))
    }

    fn grants_on(&self, project: &str) -> Result<Vec<Grant>, AccessError> {
        let rows = self.0.grants_on(project).map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(Grant::from).collect())
    }

    fn location(&self) -> String {
        format!("postgres ({DATABASE_URL_VARIABLE})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_grants_replace_the_role_and_revoke_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalAccess::new(&dir.path().join("data"));
        let grant = |role: &str| Grant {
            user: "ann".into(),
            project: "shop".into(),
            role: role.into(),
        };
        store.grant(&grant("Viewer")).unwrap();
        store.grant(&grant("Editor")).unwrap();
        assert_eq!(store.grants_of("ann").unwrap(), [grant("Editor")]);
        assert!(store.revoke("ann", "shop").unwrap());
        assert!(!store.revoke("ann", "shop").unwrap());
        assert!(store.grants_of("ann").unwrap().is_empty());
    }

    #[test]
    fn local_records_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = LocalAccess::new(&data);
        store
            .add_token(&TokenRecord {
                hash: "h".into(),
                user: "ann".into(),
                created: "2026-12-05T00:00:00Z".into(),
            })
            .unwrap();
        assert_eq!(store.user_of("h").unwrap().as_deref(), Some("ann"));
        assert_eq!(store.user_of("x").unwrap(), None);
        assert!(store.remove_token("h").unwrap());
        assert!(!store.remove_token("h").unwrap());
        assert_eq!(store.user_of("h").unwrap(), None);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data.join(TOKENS)), 0o600);
        assert_eq!(mode(&data), 0o700);
    }

    #[test]
    fn local_plans_of_a_project_are_listed_without_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalAccess::new(&dir.path().join("data"));
        assert!(store.plans_of("shop").unwrap().is_empty());
        let plan = |id: &str, project: &str| KeptPlan {
            id: id.into(),
            project: project.into(),
            env: "dev".into(),
            author: "olga".into(),
            created: "2026-12-05T00:00:00Z".into(),
            bytes: b"plan".to_vec(),
        };
        store.keep_plan(&plan("ab12", "shop")).unwrap();
        store.keep_plan(&plan("cd34", "other")).unwrap();
        let listed = store.plans_of("shop").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, "ab12");
        assert!(listed[0].bytes.is_empty());
        let kept = store.kept_plan("shop", "ab12").unwrap().unwrap();
        assert_eq!(kept.bytes, b"plan");
    }
}
