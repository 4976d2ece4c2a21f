// The CLI tests drive real processes with POSIX signals and an embedded PostgreSQL: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
