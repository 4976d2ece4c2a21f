// The bench runs PostgreSQL and PgBouncer as the postgres user and stops processes with POSIX signals: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
