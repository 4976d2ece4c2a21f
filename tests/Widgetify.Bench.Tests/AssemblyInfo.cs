// The bench (and its smoke test) runs PostgreSQL and the service as processes stopped with POSIX signals: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
