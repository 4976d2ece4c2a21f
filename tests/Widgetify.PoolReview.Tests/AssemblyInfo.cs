// The history is tested against a real PostgreSQL started by PostgresCluster, which runs on Linux and macOS only.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
