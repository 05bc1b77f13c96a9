//! The bulk loader: writes a benchmark dataset straight into the tables (multi-row inserts in
//! large transactions), far faster than the API could. Every account gets the same password
//! hash, computed once, because 500,000 argon2 hashes would take hours.

use chrono::{DateTime, Datelike, Duration, Utc};
use domain::registry::CreditCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use std::time::Instant;
use uuid::Uuid;

/// The password of every benchmark account.
pub const PASSWORD: &str = "bench12345";

/// How big a dataset is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Communities.
    pub communities: usize,
    /// Estates per community.
    pub estates_per_community: usize,
    /// Property companies.
    pub companies: usize,
    /// Residents (each with an account).
    pub residents: usize,
    /// Complaints.
    pub complaints: usize,
}

impl Size {
    /// 1 county, 50 estates, about 5,000 accounts, 10,000 complaints.
    pub const SMALL: Size =
        Size { communities: 5, estates_per_community: 10, companies: 5, residents: 4_990, complaints: 10_000 };
    /// 10,000 communities, 50,000 estates, about 500,000 accounts, 1,000,000 complaints.
    pub const LARGE: Size = Size {
        communities: 10_000,
        estates_per_community: 5,
        companies: 2_000,
        residents: 488_000,
        complaints: 1_000_000,
    };
}

/// What the driver needs to know about the dataset.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Community 0 (the one the scenarios act in).
    pub community: Uuid,
    /// Complaints of community 0 that the scenarios read.
    pub readable: Vec<Uuid>,
    /// Submitted complaints of company 0, for accept and resolve.
    pub submitted: Vec<Uuid>,
    /// Usernames of residents of company 0's estates, for filing.
    pub residents: Vec<(String, Uuid)>,
    /// Rows written, and how long it took.
    pub rows: usize,
    /// Seconds spent loading.
    pub seconds: f64,
}

/// Collects rows for one table and writes them in multi-row inserts.
struct Bulk<'a> {
    table: &'static str,
    columns: &'a [&'static str],
    rows: Vec<Vec<Value>>,
    written: usize,
}

impl<'a> Bulk<'a> {
    fn new(table: &'static str, columns: &'a [&'static str]) -> Self {
        Self { table, columns, rows: Vec::new(), written: 0 }
    }

    async fn push<C: ConnectionTrait>(&mut self, _conn: &C, row: Vec<Value>) -> Result<(), sea_orm::DbErr> {
        self.rows.push(row);
        Ok(())
    }

    /// Adds a row to a table written on its own, flushing when a batch is full.
    async fn push_alone<C: ConnectionTrait>(&mut self, conn: &C, row: Vec<Value>) -> Result<(), sea_orm::DbErr> {
        self.rows.push(row);
        if self.full() {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Whether a flush is due: stay well under both databases' limit on bound parameters.
    fn full(&self) -> bool {
        self.rows.len() * self.columns.len() >= 16_000
    }

    async fn flush<C: ConnectionTrait>(&mut self, conn: &C) -> Result<(), sea_orm::DbErr> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let backend = conn.get_database_backend();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
        let mut values = Vec::with_capacity(self.rows.len() * self.columns.len());
        let mut n = 0;
        for (i, row) in self.rows.drain(..).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (j, v) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                match backend {
                    DbBackend::Postgres => sql.push_str(&format!("${n}")),
                    _ => sql.push('?'),
                }
                values.push(v);
            }
            sql.push(')');
            self.written += 1;
        }
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        Ok(())
    }
}

fn life(now: DateTime<Utc>) -> [Value; 3] {
    [now.into(), Option::<DateTime<Utc>>::None.into(), Option::<String>::None.into()]
}

/// Loads a dataset of `size` into an empty, migrated database.
///
/// # Errors
/// Database errors.
pub async fn load(db: &DatabaseConnection, size: Size) -> Result<Loaded, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let hash = infra::accounts::hash_password(PASSWORD.to_owned()).await?;
    let txn = db.begin().await?;

    let life_cols = ["created_at", "ended_at", "end_reason"];
    let community_cols: Vec<&str> = ["id", "name", "code", "street"].into_iter().chain(life_cols).collect();
    let estate_cols: Vec<&str> =
        ["id", "community_id", "grid_id", "name", "address", "version"].into_iter().chain(life_cols).collect();
    let company_cols: Vec<&str> = ["id", "name", "credit_code", "address"].into_iter().chain(life_cols).collect();
    let contract_cols: Vec<&str> =
        ["id", "company_id", "estate_id", "starts_on", "ends_on", "reference"].into_iter().chain(life_cols).collect();
    let person_cols: Vec<&str> = ["id", "name", "phone", "is_party_member"].into_iter().chain(life_cols).collect();
    let post_cols: Vec<&str> =
        ["id", "person_id", "org_kind", "org_id", "title", "starts_on", "ends_on", "community_id", "estate_id"]
            .into_iter()
            .chain(life_cols)
            .collect();
    let account_cols = [
        "id",
        "person_id",
        "username",
        "password_hash",
        "is_admin",
        "failed_logins",
        "locked_until",
        "created_at",
        "disabled_at",
    ];
    let complaint_cols = [
        "id",
        "case_number",
        "estate_id",
        "community_id",
        "category",
        "priority",
        "title",
        "description",
        "filer_id",
        "for_committee",
        "joint",
        "handling_company_id",
        "department_id",
        "reported_in",
        "status",
        "respond_by",
        "resolve_by",
        "resolved_at",
        "closed_at",
        "rating",
        "cosign_count",
        "filed_at",
        "version",
        "last_event_at",
    ];
    let event_cols = [
        "id",
        "stream",
        "stream_id",
        "at",
        "actor_person_id",
        "actor_account_id",
        "acting_as",
        "action",
        "from_status",
        "to_status",
        "note",
        "detail",
    ];

    let mut communities = Bulk::new("communities", &community_cols);
    let mut estates = Bulk::new("estates", &estate_cols);
    let mut companies = Bulk::new("property_companies", &company_cols);
    let mut contracts = Bulk::new("service_contracts", &contract_cols);
    let mut people = Bulk::new("people", &person_cols);
    let mut posts = Bulk::new("posts", &post_cols);
    let mut accounts = Bulk::new("accounts", &account_cols);
    let mut complaints = Bulk::new("complaints", &complaint_cols);
    let mut events = Bulk::new("events", &event_cols);

    let community_ids: Vec<Uuid> = (0..size.communities).map(|_| Uuid::now_v7()).collect();
    for (i, id) in community_ids.iter().enumerate() {
        let mut row: Vec<Value> =
            vec![(*id).into(), format!("压测社区{i}").into(), format!("B{i}").into(), "压测街道".into()];
        row.extend(life(now));
        communities.push_alone(&txn, row).await?;
    }
    let company_ids: Vec<Uuid> = (0..size.companies).map(|_| Uuid::now_v7()).collect();
    for (i, id) in company_ids.iter().enumerate() {
        let code = CreditCode::complete(&format!("91610000MA{i:07}"))?;
        let mut row: Vec<Value> =
            vec![(*id).into(), format!("压测物业{i}").into(), code.as_str().to_owned().into(), "压测路1号".into()];
        row.extend(life(now));
        companies.push_alone(&txn, row).await?;
    }
    communities.flush(&txn).await?;
    companies.flush(&txn).await?;
    // Estates: community c has estates c*k .. c*k+k; estate e is served by company e % companies.
    let mut estate_ids = Vec::new();
    for (c, community) in community_ids.iter().enumerate() {
        for k in 0..size.estates_per_community {
            let id = Uuid::now_v7();
            let mut row: Vec<Value> = vec![
                id.into(),
                (*community).into(),
                Option::<Uuid>::None.into(),
                format!("压测小区{c}-{k}").into(),
                "压测地址".into(),
                0i32.into(),
            ];
            row.extend(life(now));
            estates.push_alone(&txn, row).await?;
            estate_ids.push((id, *community));
        }
    }
    estates.flush(&txn).await?;
    let serving = |e: usize| company_ids[e % company_ids.len()];
    for (e, (estate, _)) in estate_ids.iter().enumerate() {
        let mut row: Vec<Value> = vec![
            Uuid::now_v7().into(),
            serving(e).into(),
            (*estate).into(),
            (today - Duration::days(365)).into(),
            (today + Duration::days(3 * 365)).into(),
            Option::<String>::Some(format!("压测合同{e}")).into(),
        ];
        row.extend(life(now));
        contracts.push_alone(&txn, row).await?;
    }

    let person = |name: String| -> (Uuid, Vec<Value>) {
        let id = Uuid::now_v7();
        let mut row: Vec<Value> =
            vec![id.into(), name.into(), Option::<String>::Some("13800000000".into()).into(), false.into()];
        row.extend(life(now));
        (id, row)
    };
    let post_row = |person: Uuid,
                    kind: &str,
                    org: Uuid,
                    title: &str,
                    community: Option<Uuid>,
                    estate: Option<Uuid>|
     -> Vec<Value> {
        let mut row: Vec<Value> = vec![
            Uuid::now_v7().into(),
            person.into(),
            kind.to_owned().into(),
            org.into(),
            title.to_owned().into(),
            (today - Duration::days(30)).into(),
            Option::<chrono::NaiveDate>::None.into(),
            community.into(),
            estate.into(),
        ];
        row.extend(life(now));
        row
    };
    let account_row = |person: Uuid, username: String| -> Vec<Value> {
        vec![
            Uuid::now_v7().into(),
            person.into(),
            username.into(),
            hash.clone().into(),
            false.into(),
            0i32.into(),
            Option::<DateTime<Utc>>::None.into(),
            now.into(),
            Option::<DateTime<Utc>>::None.into(),
        ]
    };

    // Officials: a party branch secretary per community, a manager per company, one county overseer.
    for (i, community) in community_ids.iter().enumerate() {
        let (id, row) = person(format!("书记{i}"));
        people.push(&txn, row).await?;
        posts.push(&txn, post_row(id, "party_branch", *community, "secretary", Some(*community), None)).await?;
        accounts.push(&txn, account_row(id, format!("sec{i}"))).await?;
        if people.full() || posts.full() || accounts.full() {
            people.flush(&txn).await?;
            posts.flush(&txn).await?;
            accounts.flush(&txn).await?;
        }
    }
    for (i, company) in company_ids.iter().enumerate() {
        let (id, row) = person(format!("经理{i}"));
        people.push(&txn, row).await?;
        posts.push(&txn, post_row(id, "property_company", *company, "manager", None, None)).await?;
        accounts.push(&txn, account_row(id, format!("mgr{i}"))).await?;
        if people.full() || posts.full() || accounts.full() {
            people.flush(&txn).await?;
            posts.flush(&txn).await?;
            accounts.flush(&txn).await?;
        }
    }
    let (overseer, row) = person("县级管理员".into());
    people.push(&txn, row).await?;
    posts.push(&txn, post_row(overseer, "county", Uuid::nil(), "administrator", None, None)).await?;
    accounts.push(&txn, account_row(overseer, "county".into())).await?;

    // Residents spread over the estates.
    let mut residents_of: Vec<Vec<Uuid>> = vec![Vec::new(); estate_ids.len()];
    let mut resident_names = Vec::new();
    for r in 0..size.residents {
        let e = r % estate_ids.len();
        let (estate, community) = estate_ids[e];
        let (id, row) = person(format!("居民{r}"));
        people.push(&txn, row).await?;
        posts.push(&txn, post_row(id, "estate", estate, "resident", Some(community), Some(estate))).await?;
        accounts.push(&txn, account_row(id, format!("res{r}"))).await?;
        residents_of[e].push(id);
        if people.full() || posts.full() || accounts.full() {
            people.flush(&txn).await?;
            posts.flush(&txn).await?;
            accounts.flush(&txn).await?;
        }
        if serving(e) == company_ids[0] && estate_ids[e].1 == community_ids[0] && resident_names.len() < 256 {
            resident_names.push((format!("res{r}"), estate));
        }
    }

    for bulk in [&mut contracts, &mut people, &mut posts, &mut accounts] {
        bulk.flush(&txn).await?;
    }
    // Complaints with their timelines: a third submitted, a third accepted, a third resolved.
    let rules = domain::complaint::DeadlineRules::default();
    let mut readable = Vec::new();
    let mut submitted = Vec::new();
    let mut sequence = vec![0u32; community_ids.len()];
    for n in 0..size.complaints {
        let e = n % estate_ids.len();
        let (estate, community) = estate_ids[e];
        let c = e / size.estates_per_community;
        sequence[c] += 1;
        let filer = residents_of[e][n % residents_of[e].len()];
        let id = Uuid::now_v7();
        let filed_at = now - Duration::minutes(i64::try_from(size.complaints - n).unwrap_or(0));
        let (respond_by, resolve_by) = rules.deadlines(domain::complaint::Priority::Normal, filed_at);
        let (status, version) = match n % 3 {
            0 => ("submitted", 0),
            1 => ("accepted", 1),
            _ => ("resolved", 2),
        };
        let company = serving(e);
        complaints
            .push(
                &txn,
                vec![
                    id.into(),
                    format!("B{c}-{}-{:07}", today.year(), sequence[c]).into(),
                    estate.into(),
                    community.into(),
                    "repair".into(),
                    "normal".into(),
                    format!("压测诉求{n}").into(),
                    "楼道灯不亮".into(),
                    filer.into(),
                    false.into(),
                    false.into(),
                    Some(company).into(),
                    Option::<Uuid>::None.into(),
                    false.into(),
                    status.into(),
                    respond_by.into(),
                    resolve_by.into(),
                    (status == "resolved").then_some(filed_at + Duration::minutes(2)).into(),
                    Option::<DateTime<Utc>>::None.into(),
                    Option::<String>::None.into(),
                    0i32.into(),
                    filed_at.into(),
                    version.into(),
                    (filed_at + Duration::minutes(version.into())).into(),
                ],
            )
            .await?;
        let steps = [
            ("file", None, "submitted"),
            ("accept", Some("submitted"), "accepted"),
            ("resolve", Some("accepted"), "resolved"),
        ];
        for (k, (action, from, to)) in steps.iter().take(usize::try_from(version).unwrap_or(0) + 1).enumerate() {
            let actor = if k == 0 { filer } else { Uuid::nil() };
            events
                .push(
                    &txn,
                    vec![
                        Uuid::now_v7().into(),
                        "complaint".into(),
                        id.into(),
                        (filed_at + Duration::minutes(i64::try_from(k).unwrap_or(0))).into(),
                        Some(actor).filter(|a| !a.is_nil()).into(),
                        Option::<Uuid>::None.into(),
                        "bench".into(),
                        (*action).into(),
                        from.map(str::to_owned).into(),
                        (*to).into(),
                        Option::<String>::None.into(),
                        Option::<String>::None.into(),
                    ],
                )
                .await?;
        }
        if complaints.full() || events.full() {
            complaints.flush(&txn).await?;
            events.flush(&txn).await?;
        }
        if community == community_ids[0] {
            if readable.len() < 1_000 {
                readable.push(id);
            }
            if status == "submitted" && company == company_ids[0] {
                submitted.push(id);
            }
        }
    }
    complaints.flush(&txn).await?;
    events.flush(&txn).await?;
    let year = today.year();
    let mut counters = Bulk::new("case_counters", &["community_id", "year", "next_value"]);
    for (c, community) in community_ids.iter().enumerate() {
        counters
            .push_alone(&txn, vec![(*community).into(), year.into(), i32::try_from(sequence[c]).unwrap_or(0).into()])
            .await?;
    }
    counters.flush(&txn).await?;
    txn.commit().await?;
    // Planner statistics and the visibility map, as a database that has been running would
    // have them (autovacuum would take minutes to get to tables loaded in one go).
    let settle = if db.get_database_backend() == sea_orm::DbBackend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    db.execute_unprepared(settle).await?;
    let rows =
        [&communities, &companies, &estates, &contracts, &people, &posts, &accounts, &complaints, &events, &counters]
            .iter()
            .map(|b| b.written)
            .sum();
    Ok(Loaded {
        community: community_ids[0],
        readable,
        submitted,
        residents: resident_names,
        rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}
