namespace Bulwark.Operations.Configuration;

/// <summary>The commented bulwark.yml that 'bulwark init' writes.</summary>
public static class ConfigTemplate
{
    public static string Render(string repository) => $"""
        # Bulwark configuration. Every key can also be set by an environment variable named after its path,
        # e.g. postgres.url -> BULWARK_POSTGRES_URL. Relative paths are relative to this file's folder.

        # Where backups go: a folder (or, with the object-store backends, s3://bucket/prefix, azure://container/prefix).
        repository: {repository}

        # Local state: the operations log and caches. Default: ~/.local/state/bulwark
        # state: ~/.local/state/bulwark

        postgres:
          # The database to back up, as a libpq URL or key=value string. Unset, libpq's environment decides, as for
          # psql and pg_dump: PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE. Keep the password out of this file:
          # PGPASSWORD, ~/.pgpass (mode 0600) or PGSERVICE supply it.
          # url: postgres://postgres@localhost:5432/postgres
          # Folder of pg_dump/pg_restore; by default the newest installed version is used.
          # bin-dir: /usr/lib/postgresql/16/bin
          # Also back up roles and tablespaces (pg_dumpall --globals-only). Default: false, but true for the supabase
          # profile, which keeps only the team's own roles.
          # globals: false
          # auto, plain or supabase. auto picks supabase for a host under supabase.co/supabase.com or a database with
          # the platform's schemas and roles: backed up as the project's postgres role (docs/supabase.md).
          # profile: auto
          # supabase:
          #   platform:            # each list, when set, replaces the built-in one (for platform changes)
          #     schemas: [auth, storage, realtime, extensions, ...]
          #     reserved-roles: [postgres, anon, authenticated, service_role, ...]
          #     reserved-role-prefixes: [supabase_, pgsodium_, pg_]
          #     bookkeeping-tables: [auth.schema_migrations, storage.migrations, ...]
          # schemas: [public]
          # exclude-schemas: []
          # exclude-table-data: [audit_log]
          # A Supabase project's Storage files, kept in the same snapshot (docs/supabase.md, "Storage files"). The access key
          # comes from SUPABASE_STORAGE_ACCESS_KEY_ID / SUPABASE_STORAGE_SECRET_ACCESS_KEY, never from this file.
          # supabase:
          #   storage:
          #     endpoint: https://<project-ref>.supabase.co/storage/v1/s3
          #     region: eu-central-1
          #     buckets: []            # empty: every bucket
          #     connections: 4
          #     key-file: ~/.config/bulwark/supabase-storage.env   # instead of the variables (mode 0600)

        # Several databases in one configuration: instead of 'postgres:' above, a list of named sources, each with its
        # own postgres: section and optionally its own files:, modules:, schedule: (backup, drill), retention: and
        # alerts:. Commands take --source NAME (docs/configuration.md, "Sources").
        # sources:
        #   - name: app
        #     postgres:
        #       url: postgres://backup@db1.example.com:5432/app
        #     schedule:
        #       backup: "0 * * * *"
        #   - name: crm
        #     postgres:
        #       url: postgres://backup@db2.example.com:5432/crm
        #     retention:
        #       keep-daily: 14

        backup:
          # Tags added to every snapshot.
          tags: []
          # zstd level 1 (fastest) to 19 (smallest).
          compression-level: 1
          # zstd level of archived WAL files ('bulwark wal push', docs/pitr.md).
          wal-compression-level: 3

        # What 'bulwark cleanup' keeps (per database). Keep rules choose, max-age and max-count cap; the newest
        # snapshot, the newest verified one and the newest drilled one are always kept. See docs/retention.md.
        retention:
          max-age: 30d
          max-count: 100
          # keep-daily: 7
          # keep-weekly: 4
          # keep-monthly: 12     # needs max-age of at least 308d, or max-age: off
          # time-zone: Europe/Berlin

        # A second repository (offsite) that every backup is also copied to; a failed copy fails the command.
        # copy-to: s3://offsite-bucket/bulwark

        # Object stores: credentials come from the environment (AWS_* / AZURE_STORAGE_*), never from this file.
        # storage:
        #   retries: 5
        #   s3:
        #     endpoint: https://s3.example.com
        #     region: eu-west-1

        # When 'bulwark daemon' (or 'bulwark schedule install --cron/--systemd') runs each job; off disables one.
        # schedule:
        #   time-zone: Europe/Berlin
        #   backup: "0 2 * * *"
        #   check: "0 9 * * 1"
        #   cleanup: "0 3 * * 0"
        #   drill: "0 4 * * 6"
        # daemon:
        #   listen: 127.0.0.1:9577      # the dashboard (/), /health, /metrics, /status
        #   token-file: daemon.token    # required to listen on any address other than loopback

        # Thresholds of 'bulwark check' (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
        # check:
        #   backup-age-warning: 26h
        #   backup-age-critical: 50h
        #   disk-free-warning: 10%

        # Failed scheduled jobs and checks that are not OK, once each, and their recovery.
        # alerts:
        #   webhook: https://hooks.example.com/bulwark
        #   slack-webhook: https://hooks.slack.com/services/...
        #   on-failure: /usr/local/bin/page-oncall

        """;
}
