// The clusters these tests start run on Linux and macOS only (PostgresCluster refuses Windows).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
