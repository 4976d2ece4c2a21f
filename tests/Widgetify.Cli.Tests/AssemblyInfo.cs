// The CLI tests drive real processes with POSIX signals and an embedded PostgreSQL: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The fleet chain (collection "cluster") starts first rather than last: see ChainsFirstCollectionOrderer.
[assembly: TestCollectionOrderer("Widgetify.Testing.ChainsFirstCollectionOrderer", "Widgetify.Cli.Tests")]
