//! Embedded schema migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: repositories and their tags.
    "CREATE TABLE repositories (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        kms_key_id TEXT NOT NULL,
        creation_date REAL NOT NULL,
        last_modified_date REAL NOT NULL,
        default_branch TEXT,
        UNIQUE (account, region, name)
    );
    CREATE TABLE repository_tags (
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (repository_id, key)
    );",
    // 2: temporary credentials issued by our STS (identity::sts).
    "CREATE TABLE sts_sessions (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT,
        session_token TEXT,
        account TEXT NOT NULL,
        arn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expiration REAL
    );",
    // 3: pull requests (api::pull_requests). `key` is the internal row id that every table of
    // the review areas references (approval rules, approvals, overrides, comments); the public
    // `pullRequestId` is `number`, counted per account and region. Deleting a repository
    // deletes its pull requests and everything hanging off them (ON DELETE CASCADE).
    "CREATE TABLE pull_request_counters (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        last_number INTEGER NOT NULL,
        PRIMARY KEY (account, region)
    );
    CREATE TABLE pull_requests (
        key INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        number INTEGER NOT NULL,
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        description TEXT,
        status TEXT NOT NULL,
        author_arn TEXT NOT NULL,
        client_request_token TEXT,
        request_digest TEXT,
        revision_id TEXT NOT NULL,
        creation_date REAL NOT NULL,
        last_activity_date REAL NOT NULL,
        UNIQUE (account, region, number)
    );
    CREATE UNIQUE INDEX pull_requests_by_token
        ON pull_requests (account, region, client_request_token)
        WHERE client_request_token IS NOT NULL;
    CREATE INDEX pull_requests_by_activity
        ON pull_requests (repository_id, last_activity_date, key);
    CREATE INDEX pull_requests_by_status
        ON pull_requests (repository_id, status, last_activity_date, key);
    CREATE INDEX pull_requests_by_author
        ON pull_requests (repository_id, author_arn, last_activity_date, key);
    CREATE TABLE pull_request_targets (
        pull_request_key INTEGER NOT NULL REFERENCES pull_requests(key) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        source_ref TEXT NOT NULL,
        destination_ref TEXT NOT NULL,
        source_commit TEXT NOT NULL,
        destination_commit TEXT NOT NULL,
        merge_base TEXT,
        open INTEGER NOT NULL,
        is_merged INTEGER NOT NULL DEFAULT 0,
        merged_by TEXT,
        merge_commit_id TEXT,
        merge_option TEXT,
        PRIMARY KEY (pull_request_key, position)
    );
    CREATE INDEX pull_request_targets_open_source
        ON pull_request_targets (repository_id, source_ref) WHERE open = 1;
    CREATE INDEX pull_request_targets_open_destination
        ON pull_request_targets (repository_id, destination_ref) WHERE open = 1;
    CREATE INDEX pull_request_targets_repository ON pull_request_targets (repository_id);
    CREATE TABLE pull_request_revisions (
        pull_request_key INTEGER NOT NULL REFERENCES pull_requests(key) ON DELETE CASCADE,
        revision_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        source_commit TEXT NOT NULL,
        destination_commit TEXT NOT NULL,
        merge_base TEXT,
        creation_date REAL NOT NULL,
        PRIMARY KEY (pull_request_key, revision_id)
    );
    CREATE TABLE pull_request_events (
        seq INTEGER PRIMARY KEY,
        pull_request_key INTEGER NOT NULL REFERENCES pull_requests(key) ON DELETE CASCADE,
        event_type TEXT NOT NULL,
        actor_arn TEXT NOT NULL,
        event_date REAL NOT NULL,
        metadata TEXT NOT NULL
    );
    CREATE INDEX pull_request_events_by_pull_request
        ON pull_request_events (pull_request_key, seq);",
    // 4: revisions are ordered by rowid; the per-pull-request counter cost a scan per push.
    "ALTER TABLE pull_request_revisions DROP COLUMN seq;",
    // 5: repository triggers (events::triggers) and the event outbox (events::outbox). Triggers
    // belong to the repository id, so renames keep them and deletes take them along; outbox rows
    // outlive their repository (what was acknowledged is still delivered).
    "CREATE TABLE repository_triggers (
        repository_id TEXT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
        configuration_id TEXT NOT NULL,
        triggers TEXT NOT NULL
    );
    CREATE TABLE event_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        repository_id TEXT,
        repository_name TEXT,
        format TEXT NOT NULL,
        target TEXT NOT NULL,
        destination TEXT NOT NULL,
        event_name TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered REAL
    );
    CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE status = 'pending';
    CREATE INDEX event_outbox_repository ON event_outbox (repository_name, seq);",
    // 6: approval rules, approvals, overrides and approval rule templates
    // (api::approval_rules). Rules, approvals and overrides hang off a pull request (approvals
    // and overrides off one of its revisions); associations name repositories by id, so a
    // renamed repository keeps them and a deleted one drops them. `requirements` and
    // `destinations` are the content's statements and branch filters in a form evaluation
    // reads without parsing JSON (see approval_rules::content). Rules made from a template keep
    // its id and name as they were, with no reference: deleting the template leaves them.
    // `pull_request_evaluations` is the evaluation of a revision as of the last write that could
    // change it (rule names one per line), so reads do not recompute it.
    "CREATE TABLE approval_rule_templates (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        content TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        requirements TEXT NOT NULL,
        destinations TEXT,
        creation_date REAL NOT NULL,
        last_modified_date REAL NOT NULL,
        last_modified_user TEXT NOT NULL,
        UNIQUE (account, region, name)
    );
    CREATE INDEX approval_rule_templates_by_scope
        ON approval_rule_templates (account, region, seq);
    CREATE TABLE approval_rule_template_associations (
        seq INTEGER PRIMARY KEY,
        template_seq INTEGER NOT NULL REFERENCES approval_rule_templates(seq) ON DELETE CASCADE,
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        UNIQUE (template_seq, repository_id)
    );
    CREATE INDEX approval_rule_template_associations_by_repository
        ON approval_rule_template_associations (repository_id, seq);
    CREATE TABLE pull_request_approval_rules (
        seq INTEGER PRIMARY KEY,
        pull_request_key INTEGER NOT NULL REFERENCES pull_requests(key) ON DELETE CASCADE,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        requirements TEXT NOT NULL,
        creation_date REAL NOT NULL,
        last_modified_date REAL NOT NULL,
        last_modified_user TEXT NOT NULL,
        author_arn TEXT NOT NULL,
        origin_template_id TEXT,
        origin_template_name TEXT,
        UNIQUE (pull_request_key, name)
    );
    CREATE TABLE pull_request_approvals (
        seq INTEGER PRIMARY KEY,
        pull_request_key INTEGER NOT NULL,
        revision_id TEXT NOT NULL,
        user_arn TEXT NOT NULL,
        approval_date REAL NOT NULL,
        UNIQUE (pull_request_key, revision_id, user_arn),
        FOREIGN KEY (pull_request_key, revision_id)
            REFERENCES pull_request_revisions (pull_request_key, revision_id) ON DELETE CASCADE
    );
    CREATE TABLE pull_request_evaluations (
        pull_request_key INTEGER NOT NULL,
        revision_id TEXT NOT NULL,
        satisfied TEXT NOT NULL,
        not_satisfied TEXT NOT NULL,
        overridden INTEGER NOT NULL,
        PRIMARY KEY (pull_request_key, revision_id),
        FOREIGN KEY (pull_request_key, revision_id)
            REFERENCES pull_request_revisions (pull_request_key, revision_id) ON DELETE CASCADE
    );
    CREATE TABLE pull_request_overrides (
        pull_request_key INTEGER NOT NULL,
        revision_id TEXT NOT NULL,
        overrider_arn TEXT NOT NULL,
        override_date REAL NOT NULL,
        PRIMARY KEY (pull_request_key, revision_id),
        FOREIGN KEY (pull_request_key, revision_id)
            REFERENCES pull_request_revisions (pull_request_key, revision_id) ON DELETE CASCADE
    );",
    // 7: comments and reactions (api::comments). A group is one (before, after, location) of a
    // comparison or pull request, as GetCommentsFor… answer them; its comments (replies join
    // the group of the comment they answer) are listed by (group_key, key), i.e. groups in the
    // order they were started and comments in the order they were posted. `before_commit_id`
    // is '' for a comparison with the empty tree (an initial commit); `file_path` '' is a
    // general comment, `file_position` 0 a file-level one, `relative_file_version` '' absent.
    // The listing columns of a comment repeat its group's so one index serves each listing.
    // Deleting a repository (or its pull requests) deletes its groups, their comments and
    // the comments' reactions.
    "CREATE TABLE comment_groups (
        key INTEGER PRIMARY KEY,
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        pull_request_key INTEGER REFERENCES pull_requests(key) ON DELETE CASCADE,
        before_commit_id TEXT NOT NULL,
        after_commit_id TEXT NOT NULL,
        file_path TEXT NOT NULL,
        file_position INTEGER NOT NULL,
        relative_file_version TEXT NOT NULL,
        before_blob_id TEXT,
        after_blob_id TEXT
    );
    CREATE UNIQUE INDEX comment_groups_identity ON comment_groups (repository_id,
        IFNULL(pull_request_key, 0), after_commit_id, before_commit_id, file_path,
        file_position, relative_file_version);
    CREATE INDEX comment_groups_by_pull_request ON comment_groups (pull_request_key);
    CREATE TABLE comments (
        key INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        comment_id TEXT NOT NULL,
        group_key INTEGER NOT NULL REFERENCES comment_groups(key) ON DELETE CASCADE,
        repository_id TEXT NOT NULL,
        pull_request_key INTEGER,
        before_commit_id TEXT NOT NULL,
        after_commit_id TEXT NOT NULL,
        in_reply_to TEXT,
        content TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        author_arn TEXT NOT NULL,
        client_request_token TEXT,
        request_digest TEXT,
        creation_date REAL NOT NULL,
        last_modified_date REAL NOT NULL,
        UNIQUE (account, region, comment_id)
    );
    CREATE UNIQUE INDEX comments_by_token ON comments (account, region, client_request_token)
        WHERE client_request_token IS NOT NULL;
    CREATE INDEX comments_by_group ON comments (group_key, key);
    CREATE INDEX comments_by_pull_request ON comments (pull_request_key, group_key, key)
        WHERE pull_request_key IS NOT NULL;
    CREATE INDEX comments_by_pull_request_commits ON comments (pull_request_key,
        before_commit_id, after_commit_id, group_key, key) WHERE pull_request_key IS NOT NULL;
    CREATE INDEX comments_by_compared_commit ON comments (repository_id, after_commit_id,
        group_key, key) WHERE pull_request_key IS NULL;
    CREATE TABLE comment_reactions (
        comment_key INTEGER NOT NULL REFERENCES comments(key) ON DELETE CASCADE,
        user_arn TEXT NOT NULL,
        reaction TEXT NOT NULL,
        reaction_date REAL NOT NULL,
        PRIMARY KEY (comment_key, user_arn)
    ) WITHOUT ROWID;",
    // 8: the outbox is written on the path of every acknowledged write; its two indexes cost
    // more there than they saved (the startup scan and the `/_events` filters read a table
    // bounded by --events-max-pending plus --events-history).
    "DROP INDEX event_outbox_pending;
    DROP INDEX event_outbox_repository;",
    // 9: a write records all the deliveries it causes as one row here (eleven with ten
    // triggers: eleven inserts cost a PutFile 13 %); the deliverer spreads each into
    // `event_outbox` rows, under the sequence numbers the write gave them, before it touches
    // them (events::outbox).
    "CREATE TABLE event_writes (
        first_seq INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        parts BLOB NOT NULL
    );",
    // 10: a write records what it did (its recipe: for a ref move, the facts its trigger
    // records and events are made of) instead of the rendered rows, and the deliverer renders
    // and numbers them; rows of the previous format still have `parts` and their numbers.
    "ALTER TABLE event_writes ADD COLUMN recipe TEXT;",
    // 11: the session tags CodeCommit copies into events (identity::SessionTags).
    "ALTER TABLE sts_sessions ADD COLUMN display_name TEXT;
    ALTER TABLE sts_sessions ADD COLUMN email_address TEXT;",
];

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_at_any_version_migrates_to_the_latest() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A data directory made when pull requests arrived (version 3), with a revision row.
        for (i, sql) in MIGRATIONS.iter().take(3).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO repositories VALUES ('r', 'a', 'us-east-1', 'n', NULL, 'k', 1, 1, NULL);
             INSERT INTO pull_requests (key, account, region, number, repository_id, title, status,
                 author_arn, revision_id, creation_date, last_activity_date)
             VALUES (1, 'a', 'us-east-1', 1, 'r', 't', 'OPEN', 'arn', 'rev', 1, 1);
             INSERT INTO pull_request_revisions VALUES (1, 'rev', 1, 's', 'd', NULL, 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('pull_request_revisions')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!columns.iter().any(|c| c == "seq"), "{columns:?}");
        let kept: String = conn
            .query_row(
                "SELECT source_commit FROM pull_request_revisions",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, "s");
    }
}
