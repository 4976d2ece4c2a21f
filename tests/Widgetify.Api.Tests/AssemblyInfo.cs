// The named collections (classes sharing one fixture, run one after another) start before the one-class collections,
// so a long chain is not left to run alone at the end: see ChainsFirstCollectionOrderer.
[assembly: TestCollectionOrderer("Widgetify.Testing.ChainsFirstCollectionOrderer", "Widgetify.Api.Tests")]
