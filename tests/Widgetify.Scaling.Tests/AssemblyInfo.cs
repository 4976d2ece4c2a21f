// The command provider is tested against bash scripts and fake executables (Unix file modes): these tests are for Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// The named collections (classes sharing one fixture, run one after another) start before the one-class collections,
// so a long chain is not left to run alone at the end: see ChainsFirstCollectionOrderer.
[assembly: TestCollectionOrderer("Widgetify.Testing.ChainsFirstCollectionOrderer", "Widgetify.Scaling.Tests")]
